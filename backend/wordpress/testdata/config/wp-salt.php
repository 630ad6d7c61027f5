<?php
define('AUTH_KEY',         'salt-file-1');
define('SECURE_AUTH_KEY',  'salt-file-2');
define('LOGGED_IN_KEY',    'salt-file-3');
define('NONCE_KEY',        'salt-file-4');
define('AUTH_SALT',        'salt-file-5');
define('SECURE_AUTH_SALT', 'salt-file-6');
define('LOGGED_IN_SALT',   'salt-file-7');
define('NONCE_SALT',       'salt-file-8');
