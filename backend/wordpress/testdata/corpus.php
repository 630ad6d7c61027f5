<?php
// Generates corpus.json: database values shaped like the ones real WordPress sites
// store, built with PHP's own serialize() and json_encode() so the bytes are exactly
// what WordPress writes. Run: php testdata/corpus.php > testdata/corpus.json
$old = 'http://old.test';
$cases = [];
$add = function ($name, $table, $column, $value) use (&$cases) {
    $cases[] = ['name' => $name, 'table' => $table, 'column' => $column, 'value' => $value];
};

$add('siteurl', 'wp_options', 'option_value', $old);
$add('home with slash', 'wp_options', 'option_value', "$old/");
$add('widget_text', 'wp_options', 'option_value', serialize([
    2 => ['title' => 'About', 'text' => "<a href=\"$old/about/\">About us</a> — café ☕", 'filter' => true, 'visual' => true],
    '_multiwidget' => 1,
]));
$add('widget_block', 'wp_options', 'option_value', serialize([
    3 => ['content' => "<!-- wp:image {\"id\":12,\"sizeSlug\":\"large\"} -->\n<figure class=\"wp-block-image size-large\"><img src=\"$old/wp-content/uploads/2023/05/logo.png\" alt=\"\"/></figure>\n<!-- /wp:image -->"],
    '_multiwidget' => 1,
]));
$add('sidebars_widgets', 'wp_options', 'option_value', serialize([
    'wp_inactive_widgets' => [], 'sidebar-1' => ['block-2', 'block-3', 'text-2'], 'array_version' => 3,
]));
$mods = [
    0 => false,
    'nav_menu_locations' => ['primary' => 3, 'footer' => 4],
    'custom_css_post_id' => 42,
    'header_image' => "$old/wp-content/uploads/2022/01/header-😀.jpg",
    'header_image_data' => (object) ['attachment_id' => 7, 'url' => "$old/wp-content/uploads/2022/01/header-😀.jpg",
        'thumbnail_url' => "$old/wp-content/uploads/2022/01/header-😀-150x150.jpg", 'height' => 400, 'width' => 1200],
    'background_image' => "https://old.test/wp-content/uploads/bg.png",
    'custom_logo' => 8,
];
$add('theme_mods_twentytwentyone', 'wp_options', 'option_value', serialize($mods));
$elementor = [[
    'id' => 'a1b2c3', 'elType' => 'section', 'settings' => ['background_image' => ['url' => "$old/wp-content/uploads/2021/hero.jpg", 'id' => 55]],
    'elements' => [[
        'id' => 'd4e5f6', 'elType' => 'widget', 'widgetType' => 'button',
        'settings' => ['text' => 'Réservez 🎉', 'link' => ['url' => "$old/contact/?ref=home#form", 'is_external' => '']],
    ], [
        'id' => 'f7', 'elType' => 'widget', 'widgetType' => 'text-editor',
        'settings' => ['editor' => "<p>See <a href=\"//old.test/blog\">blog</a>, not bold.test or old.testing.com</p>"],
    ]],
]];
// WordPress stores _elementor_data through wp_slash(wp_json_encode()): the slashes
// arrive escaped as \/ in the column.
$add('_elementor_data', 'wp_postmeta', 'meta_value', json_encode($elementor));
$add('_elementor_page_settings', 'wp_postmeta', 'meta_value', serialize(['background_image' => ['url' => "$old/wp-content/uploads/bg.jpg", 'id' => 9]]));
$add('woocommerce_email_footer_text', 'wp_options', 'option_value', "{site_title} — Built with <a href=\"$old/\">WooCommerce</a>");
$add('woocommerce_paypal_settings', 'wp_options', 'option_value', serialize([
    'enabled' => 'no', 'title' => 'PayPal', 'email' => 'shop@old.test', 'image_url' => "$old/wp-content/uploads/paypal.png",
    'receiver_email' => 'shop@old.test', 'invoice_prefix' => 'WC-', 'api_signature' => '', 'page_style' => '',
]));
$add('woocommerce_permalinks', 'wp_options', 'option_value', serialize(['product_base' => 'product', 'category_base' => 'product-category', 'use_verbose_page_rules' => false]));
// A plugin that stores a serialized array inside an option of another serialized array
// (serialized twice, as maybe_serialize does for already-serialized strings).
$inner = serialize(['logo' => "$old/wp-content/uploads/logo.svg", 'links' => ["$old/a", "$old/b"]]);
$add('nested serialized', 'wp_options', 'option_value', serialize(['version' => '2.1', 'cache' => $inner, 'twice' => serialize($inner)]));
$add('object of unknown class', 'wp_options', 'option_value', serialize(['obj' => unserialize('O:18:"Vendor_Plugin_Conf":2:{s:3:"url";s:15:"http://old.test";s:5:"count";i:3;}', ['allowed_classes' => false])]));
$add('url-encoded share link', 'wp_posts', 'post_content', "<a href=\"https://twitter.com/intent/tweet?url=" . rawurlencode("$old/hello-world/") . "\">Tweet</a> and " . urlencode("https://www.old.test/x"));
$add('protocol-relative and www', 'wp_posts', 'post_content', "<img src=\"//old.test/a.png\"><a href=\"http://www.old.test\">www</a> <a href=\"https://old.test:8080/\">other port</a>");
$add('partial host traps', 'wp_posts', 'post_content', "http://bold.test/ http://old.testing.com/ http://old.test.example.com/ http://cdn.old.test/ mailto:admin@old.test ftp://old.test/ old.test");
$add('sentence end', 'wp_comments', 'comment_content', "Moved to http://old.test. See http://old.test/page.");
$add('gutenberg blocks', 'wp_posts', 'post_content', "<!-- wp:cover {\"url\":\"$old/wp-content/uploads/cover.jpg\",\"id\":5} -->\n<div class=\"wp-block-cover\"><img src=\"$old/wp-content/uploads/cover.jpg\"/></div>\n<!-- /wp:cover -->");
$add('emoji and multibyte serialized', 'wp_usermeta', 'meta_value', serialize(['名前' => "日本語 $old/日本/ 🎌", 'e' => '👩‍👩‍👧']));
$add('broken before: wrong length', 'wp_options', 'option_value', 's:20:"http://old.test/x";');
$add('broken before: naive sed', 'wp_options', 'option_value', 'a:1:{s:4:"home";s:15:"http://old.test/";}');
$add('broken before: nested', 'wp_options', 'option_value', serialize(['inner' => 'a:1:{i:0;s:99:"http://old.test";}']));
$add('not serialized lookalike', 'wp_posts', 'post_content', "a:b see http://old.test/ ;");
$add('no url at all', 'wp_options', 'option_value', serialize(['a' => 'bold.test']));
$add('serialized with trailing newline', 'wp_options', 'option_value', serialize(['u' => "$old/"]) . "\n");
$add('float int bool null', 'wp_options', 'option_value', serialize(['f' => 0.1, 'big' => 1.0E+25, 'n' => null, 'b' => true, 'i' => -5, 'u' => $old]));
$add('references', 'wp_options', 'option_value', serialize((function () use ($old) { $o = (object) ['u' => $old]; $a = [$o, $o]; $s = "$old/x"; $a[] = &$s; $a[] = &$s; return $a; })()));
echo json_encode($cases, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE), "\n";
