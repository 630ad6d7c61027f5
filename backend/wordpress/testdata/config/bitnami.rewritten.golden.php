<?php
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

define( 'AUTH_KEY',         'V+mvQqV+P![Ix9Sg&W0DK8K,7U)<*i#RgS)l@pi6a)kDuYo#g,8wD^-_%:tusq3U' );
define( 'SECURE_AUTH_KEY',  'fQ)iyEK7BE3m39VKM9:^2gE1*!<(-O@n?z5{Lcr>cG4x<F87f8EHD@@?9b6NpQd/' );
define( 'LOGGED_IN_KEY',    'Pc`B2YC3jx::j5B/p2Vg+AufiCu!+C>:7H9,D}SAm<._$VC_#cqH!i,e?9|,rhQD' );
define( 'NONCE_KEY',        '0V8cQ5Q_(Z9;j7qk&bcAFxH1hjoCW,w?q:B(2a<;zMP7c$T9$uM4WB38pH,mQ4b+' );
define( 'AUTH_SALT',        '4bh,0tTp~Rfo2jV%3CVe`RuIV}U/T%l0mOT+&w`+VLN-RhQ3AlE4_v>#nG_4t{$$' );
define( 'SECURE_AUTH_SALT', 'v5t/[yuX%h.v72pSD;iyl_W?ptkVp!$$N/OmUWA$C<@F|SN2o72DUH^z*O([37S^' );
define( 'LOGGED_IN_SALT',   '*t{gAh2EgI1LsacG_7_%W%;~$7gV,T#oj2Oro34L/rw6`nIA$[:T1~ ZlK~ |#}}' );
define( 'NONCE_SALT',       '$$^dk;L]VaDXzH+4u>IC]9hdwKitwfRY@F*w;u?TT<HZTyp#Y_7_awXogJ4X+0k[' );

$table_prefix = 'wp_';

define( 'WP_DEBUG', false );

/* Add any custom values between this line and the "stop editing" line. */

define( 'FS_METHOD', 'direct' );
/**
 * The WP_SITEURL and WP_HOME options are configured to access from any hostname or IP address.
 * If you want to access only from an specific domain, you can modify them. For example:
 *  define('WP_HOME','http://example.com');
 *  define('WP_SITEURL','http://example.com');
 *
 */
if ( defined( 'WP_CLI' ) ) {
	$_SERVER['HTTP_HOST'] = '127.0.0.1';
}

define( 'WP_HOME', 'http://' . $_SERVER['HTTP_HOST'] . '/' );
define( 'WP_SITEURL', 'http://' . $_SERVER['HTTP_HOST'] . '/' );
define( 'WP_AUTO_UPDATE_CORE', 'minor' );
/* That's all, stop editing! Happy publishing. */

/** Absolute path to the WordPress directory. */
if ( ! defined( 'ABSPATH' ) ) {
	define( 'ABSPATH', __DIR__ . '/' );
}

/**
 * Disable pingback.ping xmlrpc method to prevent WordPress from becoming an
 * unintentional attack vector.
 */
if ( !defined( 'WP_CLI' ) ) {
	// remove x-pingback HTTP header
	add_filter("wp_headers", function($headers) {
		unset($headers["X-Pingback"]);
		return $headers;
	});
}
/** Sets up WordPress vars and included files. */
require_once ABSPATH . 'wp-settings.php';
