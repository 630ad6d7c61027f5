<?php
/** Plesk WordPress Toolkit writes its own values with these spacings. */
define( 'DB_NAME', 'wp_8k2jd' );
define( 'DB_USER', 'wp_h3x9q' );
define( 'DB_PASSWORD', 'K!8o^2#vJ&Wq3Zr$' );
define( 'DB_HOST', 'localhost:3306' );
define( 'DB_CHARSET', 'utf8' );
define( 'DB_COLLATE', '' );

define( 'AUTH_KEY', '9F%1:0uX0R@1)n2V@5z3k[0)o_2Cf1S9' );
define( 'SECURE_AUTH_KEY', 'n:7/82N/C+J3T1*L2@9(#3BTp2!38T!1' );
define( 'LOGGED_IN_KEY', '+N6u-G7u-_g7+t6R;G9T[1mJ1A%1H_1K' );
define( 'NONCE_KEY', '2&w[6(Y@#j7Rl10T3~@U1p-59U97|4(8' );
define( 'AUTH_SALT', 'h2Y5h(Tr-)8g(6d;&34*4;6J7A8c[p0)' );
define( 'SECURE_AUTH_SALT', '[a&3l99)/M!02G@F1]u8#9v2i/l3+3~6' );
define( 'LOGGED_IN_SALT', 'Em6F&7!63NDb/*5N*1/FQv[29|_3m85q' );
define( 'NONCE_SALT', 'cQ3*69Gz-25f;7o1Hj&X|!xH~!!]%@3v' );

$table_prefix = 'Lq9_';

define( 'WP_AUTO_UPDATE_CORE', false );
define( 'WP_HOME', 'http://old.test' );
define( 'WP_SITEURL', 'http://old.test/' );
define( 'FS_METHOD', 'direct' );

/* That's all, stop editing! Happy publishing. */

/** Absolute path to the WordPress directory. */
if ( ! defined( 'ABSPATH' ) ) {
	define( 'ABSPATH', dirname( __FILE__ ) . '/' );
}

/** Sets up WordPress vars and included files. */
require_once ABSPATH . 'wp-settings.php';
