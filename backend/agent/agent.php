<?php
// Ferry database agent: uploaded for one migration under a random name, removed when it
// ends. It answers only requests signed with this migration's key (anything else gets a
// 404), runs the SQL it is sent on this site's database and streams the results back, or
// streams back files of its own folder (the site's files, read many in one request). It
// deletes itself when no signed request came for __IDLE__ seconds. Never writes to disk.
error_reporting(0);
ini_set('display_errors', '0');
const FERRY_KEY = __KEY__;
const FERRY_IDLE = __IDLE__;

function ferry_404() {
    http_response_code(404);
    header('Content-Type: text/html');
    echo "<!DOCTYPE html><title>404 Not Found</title><h1>Not Found</h1>";
    exit;
}

clearstatcache();
$mt = @filemtime(__FILE__);
if ($mt !== false && $mt < time() - FERRY_IDLE) {
    @unlink(__FILE__);
    ferry_404();
}
if (!isset($_SERVER['REQUEST_METHOD']) || $_SERVER['REQUEST_METHOD'] !== 'POST') {
    ferry_404();
}
$ts = isset($_SERVER['HTTP_X_FERRY_TIME']) ? $_SERVER['HTTP_X_FERRY_TIME'] : '';
$sig = isset($_SERVER['HTTP_X_FERRY_SIG']) ? $_SERVER['HTTP_X_FERRY_SIG'] : '';
$body = file_get_contents('php://input');
if (!ctype_digit($ts) || abs(time() - (int)$ts) > 600 || !is_string($body)
    || !hash_equals(hash_hmac('sha256', $ts . "\n" . $body, FERRY_KEY), $sig)) {
    ferry_404();
}
@touch(__FILE__);

// The body is a list of fields, each a 4-byte big-endian length and its bytes:
// op, then for "query": the number of session statements, each of them, the query;
// for "files": the time budget in ms, "1" to allow compressed chunks, the number of
// paths, each path.
$pos = 0;
function ferry_field() {
    global $body, $pos;
    if ($pos + 4 > strlen($body)) { ferry_404(); }
    $n = unpack('N', substr($body, $pos, 4));
    $n = $n[1];
    $v = (string)substr($body, $pos + 4, $n);
    $pos += 4 + $n;
    return $v;
}
function ferry_str($s) { return pack('N', strlen($s)) . $s; }
// A row of a result is 'r', each value's 4-byte length (0xffffffff for NULL), then the
// values one after the other: one pack and one implode a row, whatever its width.

$op = ferry_field();
header('Content-Type: application/octet-stream');
header('Cache-Control: no-store');
header('X-Content-Type-Options: nosniff');
if (function_exists('apache_setenv')) { @apache_setenv('no-gzip', '1'); }
while (ob_get_level() > 0) { ob_end_flush(); }
echo "FERRY1\n";
if ($op === 'bye') {
    echo @unlink(__FILE__) ? "Z" : "EZ";
    exit;
}
if ($op === 'ping') {
    echo 'P' . ferry_str(PHP_VERSION) . ferry_str((string)ini_get('max_execution_time'))
        . ferry_str((string)ini_get('post_max_size')) . 'Z';
    exit;
}
if ($op === 'files') {
    // Files of this folder, in request order, each as chunks of at most 64 KiB, until the
    // time budget or 32 MiB is spent (checked between files only); Ferry asks again for
    // the rest. A path that is not a plain relative one, or names a Ferry agent, is refused.
    // A chunk is sent deflated ('d') when that makes it a tenth smaller; a file whose chunk
    // did not shrink, or named as an image or archive, is sent as it is.
    $budget = (int)ferry_field() / 1000.0;
    $z = ferry_field() === '1' && function_exists('gzdeflate');
    $n = (int)ferry_field();
    $start = microtime(true);
    $sent = 0;
    $flushed = 0;
    for ($i = 0; $i < $n; $i++) {
        if ($i > 0 && ($sent > 33554432 || microtime(true) - $start > $budget)) { break; }
        $p = ferry_field();
        $why = '';
        $seg = explode('/', $p);
        if ($p === '' || strpbrk($p, "\\\0") !== false || in_array('', $seg, true)
            || in_array('.', $seg, true) || in_array('..', $seg, true)
            || preg_match('/^ferry-[0-9a-f]{32}\.php$/', end($seg))) {
            $why = 'path refused';
        } elseif (!is_file(__DIR__ . '/' . $p)) {
            $why = 'not a regular file';
        } elseif (($f = @fopen(__DIR__ . '/' . $p, 'rb')) === false) {
            $why = 'cannot open';
        }
        if ($why !== '') {
            echo 'X' . ferry_str($p) . ferry_str($why);
            continue;
        }
        echo 'F' . ferry_str($p);
        $try = $z && !preg_match('/\.(jpe?g|png|gif|webp|avif|ico|zip|gz|tgz|bz2|xz|7z|rar|woff2?|mp[34]|m4a|mov|webm|ogg)$/i', $p);
        while (true) {
            $b = fread($f, 65536);
            if ($b === false) { $why = 'read failed'; break; }
            if ($b === '') { break; }
            $d = $try && strlen($b) > 256 ? gzdeflate($b, 1) : false;
            if ($d !== false && strlen($d) < strlen($b) * 0.9) {
                $b = 'd' . ferry_str($d);
            } else {
                $try = $try && $d === false && strlen($b) <= 256;
                $b = 'c' . ferry_str($b);
            }
            echo $b;
            $sent += strlen($b);
            if ($sent - $flushed > 262144) { flush(); $flushed = $sent; }
        }
        fclose($f);
        echo $why === '' ? 'e' : 'x' . ferry_str($why);
    }
    echo 'Z';
    exit;
}
if ($op !== 'query' && $op !== 'slice') { ferry_404(); }

$ns = (int)ferry_field();
$session = array();
for ($i = 0; $i < $ns; $i++) { $session[] = ferry_field(); }
$sql = ferry_field();
if ($op === 'slice') {
    $next = ferry_field();
    $ki = (int)ferry_field();
    $limit = (int)ferry_field();
    $budget = (int)ferry_field() / 1000.0;
    $cursor = ferry_field();
    $resume = ferry_field() === 'true';
}

function ferry_error($errno, $state, $msg) {
    echo 'E' . pack('n', $errno) . substr($state . 'HY000', 0, 5) . ferry_str($msg) . 'Z';
    exit;
}
if (!function_exists('mysqli_init')) { ferry_error(2047, 'HY000', 'PHP on this site has no mysqli extension'); }
mysqli_report(MYSQLI_REPORT_OFF);
$db = mysqli_init();
$ok = @$db->real_connect(__HOST__, __USER__, __PASS__, __NAME__, __PORT__, __SOCKET__);
if (!$ok) { ferry_error(mysqli_connect_errno(), 'HY000', mysqli_connect_error()); }
$db->set_charset('utf8mb4');
foreach ($session as $s) {
    if (!$db->query($s)) { ferry_error($db->errno, $db->sqlstate, $db->error); }
}
$db->query('SET autocommit = 1');

if ($op === 'slice') {
    // Rows of one table in key order, at most LIMIT a query, until the time budget or
    // 8 MiB is spent; then the last key read, for the next request to go on from. Once
    // rows were read, a query asks for about as many as still fit, so that the server
    // does not read rows the response then leaves out. Rows are written about 64 KiB at
    // a time: one write per row costs more than formatting it.
    $start = microtime(true);
    $bytes = 0;
    $rows = 0;
    $want = $limit;
    $header = false;
    while (true) {
        $q = ($resume ? str_replace("\0CURSOR\0", "'" . $db->real_escape_string($cursor) . "'", $next) : $sql) . ' LIMIT ' . $want;
        $res = $db->query($q, MYSQLI_USE_RESULT);
        if (!$res) { ferry_error($db->errno, $db->sqlstate, $db->error); }
        if (!$header) {
            $fields = $res->fetch_fields();
            $out = 'R' . pack('N', count($fields));
            foreach ($fields as $f) {
                $out .= ferry_str($f->name) . pack('CnnCN', $f->type, $f->flags & 0xffff, $f->charsetnr, $f->decimals, $f->length);
            }
            echo $out;
            $header = true;
        }
        $n = 0;
        $cut = false; // stopped before the query's last row
        $out = '';
        while (!$cut && ($row = $res->fetch_row())) {
            $l = array();
            foreach ($row as $v) { $l[] = $v === null ? -1 : strlen($v); }
            $out .= 'r' . pack('N*', ...$l) . implode('', $row);
            $cursor = $row[$ki];
            $n++;
            if (strlen($out) > 65536) {
                $bytes += strlen($out);
                echo $out;
                $out = '';
                $cut = $bytes > 8388608 || microtime(true) - $start > $budget;
            }
        }
        $err = $db->errno;
        $res->free();
        if ($err) { ferry_error($db->errno, $db->sqlstate, $db->error); }
        $resume = true;
        $bytes += strlen($out);
        echo $out;
        $rows += $n;
        if (!$cut && $n < $want) { echo 'D'; break; }
        if ($cut || $bytes > 8388608 || microtime(true) - $start > $budget) { echo 'C' . ferry_str($cursor); break; }
        $want = (int)min($limit, max(64, ceil((8388608 - $bytes) * $rows / max($bytes, 1)) + 1));
    }
    echo 'Z';
    exit;
}
if (!$db->multi_query($sql)) { ferry_error($db->errno, $db->sqlstate, $db->error); }
$sent = 0;
do {
    $res = $db->use_result();
    if ($res) {
        $fields = $res->fetch_fields();
        $out = 'R' . pack('N', count($fields));
        foreach ($fields as $f) {
            $out .= ferry_str($f->name) . pack('CnnCN', $f->type, $f->flags & 0xffff, $f->charsetnr, $f->decimals, $f->length);
        }
        while ($row = $res->fetch_row()) {
            $l = array();
            foreach ($row as $v) { $l[] = $v === null ? -1 : strlen($v); }
            $out .= 'r' . pack('N*', ...$l) . implode('', $row);
            if (strlen($out) > 65536) {
                echo $out;
                $sent += strlen($out);
                $out = '';
                if ($sent > 1048576) { flush(); $sent = 0; }
            }
        }
        $err = $db->errno;
        $res->free();
        if ($err) { ferry_error($db->errno, $db->sqlstate, $db->error); }
        echo $out . 'e';
    } elseif ($db->errno) {
        ferry_error($db->errno, $db->sqlstate, $db->error);
    } else {
        echo 'O' . ferry_str((string)$db->affected_rows) . ferry_str((string)$db->insert_id) . pack('n', $db->warning_count);
    }
    if (!$db->more_results()) { break; }
    if (!$db->next_result()) { ferry_error($db->errno, $db->sqlstate, $db->error); }
} while (true);
echo 'Z';
