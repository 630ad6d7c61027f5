<?php
define( 'DB_NAME', 'wp_cli_db' );
define( 'DB_USER', 'wpuser' );
define( 'DB_PASSWORD', 'p@ss\'w"rd\\' );
define( 'DB_HOST', 'localhost:/var/run/mysqld/mysqld.sock' );
define( 'DB_CHARSET', 'utf8mb4' );
define( 'DB_COLLATE', '' );

define( 'AUTH_KEY',         '-q|1aN/3h8D]Y-Ilr,D8(k0Gv;MS:}Dm1-Yb3~qRa4ROuT#Z=[k&}{PHB0|w6^Wl' );
define( 'SECURE_AUTH_KEY',  'N/Ck$U=1HX)-]0Z!uZ+iCZ<ZY)@3tR9Y+|lr2y?[=0&x/9+2>6,S_lI%c@O!Qs0q' );
define( 'LOGGED_IN_KEY',    '1^>:v#2`c?B_a`9bM3l*d[R%jW6[c~b<2qkCz]~G4,nJBv7I^,gk/E6 v[O8]6:>' );
define( 'NONCE_KEY',        'Y^Yb{xG)U+]SqGQr7<j2B`J7wH=0|7yRk3^VQ0L5`@vI$7w!c8%Cu5;>o)k?O-(t' );
define( 'AUTH_SALT',        'l#Lc%7m5x,TeI!=5pB&E9tYh|.4xvl?d!Pn^&G<&z9<pBzrF}P*iM-J3]`{m+%A3' );
define( 'SECURE_AUTH_SALT', '&=3xPt-JEX`dJ2Lq7<S0_=>X$>l!W6>X+sI;1jP7mW*:!ZpG*Od$(@4~U]oK}9Fq' );
define( 'LOGGED_IN_SALT',   'v<7k(fM@[gP:gC_o-gD)p1{sf3Ue(2R2yvQ_eY[Ue}l4M0xW!0FnX;?=A$Ia0KzV' );
define( 'NONCE_SALT',       'J0(+3Rze^GQ3CwtR,OexvU)]M(7=1h:zB%0qV(3MO]f^f7h+e~dNb!i$z0p4W9!e' );

$table_prefix = 'wpcli_';

/* Add any custom values between this line and the "stop editing" line. */



/* That's all, stop editing! Happy publishing. */

/** Absolute path to the WordPress directory. */
if ( ! defined( 'ABSPATH' ) ) {
	define( 'ABSPATH', __DIR__ . '/' );
}

/** Sets up WordPress vars and included files. */
require_once ABSPATH . 'wp-settings.php';
