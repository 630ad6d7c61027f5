<?php
/**
 * The base configuration for WordPress
 *
 * The wp-config.php creation script uses this file during the installation.
 * You don't have to use the web site, you can copy this file to "wp-config.php"
 * and fill in the values.
 *
 * This file contains the following configurations:
 *
 * * Database settings
 * * Secret keys
 * * Database table prefix
 * * ABSPATH
 *
 * @link https://wordpress.org/support/article/editing-wp-config-php/
 *
 * @package WordPress
 */

// ** Database settings - You can get this info from your web host ** //
/** The name of the database for WordPress */
define( 'DB_NAME', 'new_db' );

/** Database username */
define( 'DB_USER', 'new_user' );

/** Database password */
define( 'DB_PASSWORD', 'n\'ew\\pa"ss$x' );

/** Database hostname */
define( 'DB_HOST', 'db.new.example:3307' );

/** Database charset to use in creating database tables. */
define( 'DB_CHARSET', 'utf8' );

/** The database collate type. Don't change this if in doubt. */
define( 'DB_COLLATE', '' );

/**#@+
 * Authentication unique keys and salts.
 *
 * Change these to different unique phrases! You can generate these using
 * the {@link https://api.wordpress.org/secret-key/1.1/salt/ WordPress.org secret-key service}.
 *
 * You can change these at any point in time to invalidate all existing cookies.
 * This will force all users to have to log in again.
 *
 * @since 2.6.0
 */
define( 'AUTH_KEY',         'V+mvQqV+P![Ix9Sg&W0DK8K,7U)<*i#RgS)l@pi6a)kDuYo#g,8wD^-_%:tusq3U' );
define( 'SECURE_AUTH_KEY',  'fQ)iyEK7BE3m39VKM9:^2gE1*!<(-O@n?z5{Lcr>cG4x<F87f8EHD@@?9b6NpQd/' );
define( 'LOGGED_IN_KEY',    'Pc`B2YC3jx::j5B/p2Vg+AufiCu!+C>:7H9,D}SAm<._$VC_#cqH!i,e?9|,rhQD' );
define( 'NONCE_KEY',        '0V8cQ5Q_(Z9;j7qk&bcAFxH1hjoCW,w?q:B(2a<;zMP7c$T9$uM4WB38pH,mQ4b+' );
define( 'AUTH_SALT',        '4bh,0tTp~Rfo2jV%3CVe`RuIV}U/T%l0mOT+&w`+VLN-RhQ3AlE4_v>#nG_4t{$$' );
define( 'SECURE_AUTH_SALT', 'v5t/[yuX%h.v72pSD;iyl_W?ptkVp!$$N/OmUWA$C<@F|SN2o72DUH^z*O([37S^' );
define( 'LOGGED_IN_SALT',   '*t{gAh2EgI1LsacG_7_%W%;~$7gV,T#oj2Oro34L/rw6`nIA$[:T1~ ZlK~ |#}}' );
define( 'NONCE_SALT',       '$$^dk;L]VaDXzH+4u>IC]9hdwKitwfRY@F*w;u?TT<HZTyp#Y_7_awXogJ4X+0k[' );

/**#@-*/

/**
 * WordPress database table prefix.
 *
 * You can have multiple installations in one database if you give each
 * a unique prefix. Only numbers, letters, and underscores please!
 */
$table_prefix = 'wp_';

/**
 * For developers: WordPress debugging mode.
 *
 * Change this to true to enable the display of notices during development.
 * It is strongly recommended that plugin and theme developers use WP_DEBUG
 * in their development environments.
 *
 * For information on other constants that can be used for debugging,
 * visit the documentation.
 *
 * @link https://wordpress.org/support/article/debugging-in-wordpress/
 */
define( 'WP_DEBUG', false );

/* Add any custom values between this line and the "stop editing" line. */



/* That's all, stop editing! Happy publishing. */

/** Absolute path to the WordPress directory. */
if ( ! defined( 'ABSPATH' ) ) {
	define( 'ABSPATH', __DIR__ . '/' );
}

/** Sets up WordPress vars and included files. */
require_once ABSPATH . 'wp-settings.php';
