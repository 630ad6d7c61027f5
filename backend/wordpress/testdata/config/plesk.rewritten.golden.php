<?php
/** Plesk WordPress Toolkit writes its own values with these spacings. */
define( 'DB_NAME', 'new_db' );
define( 'DB_USER', 'new_user' );
define( 'DB_PASSWORD', 'n\'ew\\pa"ss$x' );
define( 'DB_HOST', 'db.new.example:3307' );
define( 'DB_CHARSET', 'utf8' );
define( 'DB_COLLATE', '' );

define( 'AUTH_KEY', 'V+mvQqV+P![Ix9Sg&W0DK8K,7U)<*i#RgS)l@pi6a)kDuYo#g,8wD^-_%:tusq3U' );
define( 'SECURE_AUTH_KEY', 'fQ)iyEK7BE3m39VKM9:^2gE1*!<(-O@n?z5{Lcr>cG4x<F87f8EHD@@?9b6NpQd/' );
define( 'LOGGED_IN_KEY', 'Pc`B2YC3jx::j5B/p2Vg+AufiCu!+C>:7H9,D}SAm<._$VC_#cqH!i,e?9|,rhQD' );
define( 'NONCE_KEY', '0V8cQ5Q_(Z9;j7qk&bcAFxH1hjoCW,w?q:B(2a<;zMP7c$T9$uM4WB38pH,mQ4b+' );
define( 'AUTH_SALT', '4bh,0tTp~Rfo2jV%3CVe`RuIV}U/T%l0mOT+&w`+VLN-RhQ3AlE4_v>#nG_4t{$$' );
define( 'SECURE_AUTH_SALT', 'v5t/[yuX%h.v72pSD;iyl_W?ptkVp!$$N/OmUWA$C<@F|SN2o72DUH^z*O([37S^' );
define( 'LOGGED_IN_SALT', '*t{gAh2EgI1LsacG_7_%W%;~$7gV,T#oj2Oro34L/rw6`nIA$[:T1~ ZlK~ |#}}' );
define( 'NONCE_SALT', '$$^dk;L]VaDXzH+4u>IC]9hdwKitwfRY@F*w;u?TT<HZTyp#Y_7_awXogJ4X+0k[' );

$table_prefix = 'Lq9_';

define( 'WP_AUTO_UPDATE_CORE', false );
define( 'WP_HOME', 'https://www.new-site.example.com:8080/blog' );
define( 'WP_SITEURL', 'https://www.new-site.example.com:8080/blog' );
define( 'FS_METHOD', 'direct' );

/* That's all, stop editing! Happy publishing. */

/** Absolute path to the WordPress directory. */
if ( ! defined( 'ABSPATH' ) ) {
	define( 'ABSPATH', dirname( __FILE__ ) . '/' );
}

/** Sets up WordPress vars and included files. */
require_once ABSPATH . 'wp-settings.php';
