<?php
/**
 * The base configurations of the WordPress.
 *
 * This file has the following configurations: MySQL settings, Table Prefix,
 * Secret Keys, and ABSPATH.
 */

// ** MySQL settings - You can get this info from your web host ** //
/** The name of the database for WordPress */
define('DB_NAME', 'cpuser_wp123');

/** MySQL database username */
define('DB_USER', 'cpuser_wp123');

/** MySQL database password */
define('DB_PASSWORD', '9S]p3(4Ex!');

/** MySQL hostname */
define('DB_HOST', 'localhost');

/** Database Charset to use in creating database tables. */
define('DB_CHARSET', 'utf8');

/** The Database Collate type. Don't change this if in doubt. */
define('DB_COLLATE', '');

define('AUTH_KEY',         'ozfvn1wclb2rpkgdwjkrlcuzmq0ulzdqb7hcvuoxtx7axfnhy0hwm6ppw3zk1hpu');
define('SECURE_AUTH_KEY',  'ceiyyyzvemxtcozdmsmkuaeqnfckwqzdm8zd4w0bqzlbzz0bpcy2j6yrovsrlsop');
define('LOGGED_IN_KEY',    'u3sdyxq6i3lcsk5lgjsnexoxm6jtp2rnuvhnvwxfoqvzyn7u9nw8i0lqlfpmqtzq');
define('NONCE_KEY',        'zfvmxugbu1c9bdfsm0z4ys3jwe2vlkkmprqa6d4gz8ubdnhwtzkjxhnwvsvxumfb');
define('AUTH_SALT',        'u6lqbyfzcucxkpcjafbqcu6wqswj1gk7wcdzm0a79bcfvxqvnmtnhn5zqqkyzttm');
define('SECURE_AUTH_SALT', 'hghc5acnvs1xrzcvpsblvzeh2eomkvhpesxpskdrmltlqzrx27ku8tt0qxfpxkbj');
define('LOGGED_IN_SALT',   'v0h8hqzdaluxxoefgbgtpefcgfrnpfb4pb2rqtmu1dwdqvvf1jqhtqyfijgxoahv');
define('NONCE_SALT',       'v6nuxcbdyvfqcyvtt1sc7cjdsfvqb0foxkpvyqstsq4hwfkuubvqfkeihwlmabdl');

/**
 * WordPress Database Table prefix.
 */
$table_prefix  = 'wpxt_';

define('WP_DEBUG', false);
define( 'WP_AUTO_UPDATE_CORE', 'minor' );// Softaculous sets this

/* That's all, stop editing! Happy blogging. */

/** Absolute path to the WordPress directory. */
if ( !defined('ABSPATH') )
	define('ABSPATH', dirname(__FILE__) . '/');

/** Sets up WordPress vars and included files. */
require_once(ABSPATH . 'wp-settings.php');
