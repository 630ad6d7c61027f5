<?php
define( 'DB_NAME', 'network' );
define( 'DB_USER', 'network' );
define( 'DB_PASSWORD', 'network' );
define( 'DB_HOST', 'localhost' );
$table_prefix = 'wp_';
define( 'WP_ALLOW_MULTISITE', true );
define( 'MULTISITE', true );
define( 'SUBDOMAIN_INSTALL', false );
define( 'DOMAIN_CURRENT_SITE', 'old.test' );
define( 'PATH_CURRENT_SITE', '/' );
define( 'SITE_ID_CURRENT_SITE', 1 );
define( 'BLOG_ID_CURRENT_SITE', 1 );
/* That's all, stop editing! Happy publishing. */
require_once ABSPATH . 'wp-settings.php';
