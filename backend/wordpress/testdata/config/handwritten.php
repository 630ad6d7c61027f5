<?php
// Settings for the shop, edited by hand over the years.
define("DB_NAME", getenv('SHOP_DB_NAME') ?: "wp_prod");
define ( 'DB_USER' , 'admin' ) ; # the user
/* define('DB_PASSWORD', 'commented-out'); */
// define('DB_PASSWORD', 'also commented out');
define('DB_PASSWORD', "sec\"ret\$x\\y\t'q");
define('DB_HOST', $_ENV['SHOP_DB_HOST'] ?? 'db.internal:3307');
define('DB_CHARSET', 'utf8mb4');
$table_prefix = "wp_" . 'shop_';
define('WP_HOME', 'https://old.test/shop');
require_once __DIR__ . '/wp-salt.php';
define('WP_CACHE', true); // added by WP Super Cache
?>
<?php
require_once(ABSPATH . 'wp-settings.php');
