#!/usr/bin/env bash
# Real `ferry migrate` runs against an old host whose MySQL the workstation cannot reach:
# the database comes through the site's PHP (FTP-only host) or through the MySQL client
# programs run over SSH (sshd with AllowTcpForwarding no).
#
#   sudo examples/routes/run.sh          # as root on Debian 12; about a minute
#
# The "old host" lives in a network namespace joined to this machine by a veth pair
# (10.77.0.1 here, 10.77.0.2 there). Inside it run, from a temporary folder:
#   - a private MariaDB bound to 127.0.0.1 of the namespace (wp-config.php says 'localhost',
#     so the site reaches it on its socket, which only the host's processes see at
#     /run/mysqld/mysqld.sock);
#   - PHP's built-in web server on 10.77.0.2:8080 serving the site as its owner;
#   - vsftpd on 10.77.0.2:21, the owner's login chrooted to its home (docroot /public_html);
#   - for the SSH runs only, OpenSSH's sshd on 10.77.0.2:22 with AllowTcpForwarding no.
# The destination is a local folder and a database on this machine's MariaDB at
# 127.0.0.1:3306 (reached as root with no password to create it and a user for Ferry).
#
# The site's URL is http://old.test:8080; the job files give "siteIp": "10.77.0.2", so
# Ferry reaches the PHP agent there without a DNS entry.
#
# Four migrations, each into a fresh folder and database:
#   1 php          FTP source, database access "php" (the PHP agent)
#   2 auto-ftp     FTP source, access "automatic": Direct fails, Ferry picks the site's PHP
#   3 ssh-command  SFTP source, access "ssh-command", forwarding off
#   4 auto-ssh     SFTP source, access "automatic": Direct refused, SSH tunnel prohibited,
#                  Ferry picks SSH command
# Runs 1 and 2 happen before sshd starts, so the host offers FTP and HTTP only.
# Before them, a TCP connect from here to 10.77.0.2:3306 must fail.
#
# After each run the destination itself is checked: row counts per table against the
# source's counted inside the namespace, siteurl/home at the new URL, no old URL left,
# serialized options that PHP unserializes, every file's SHA-256, wp-config.php rewritten
# for the new database, no ferry-*.php left in either docroot. Each check prints PASS or
# FAIL, and Ferry's log of each run is printed (the log `ferry migrate` writes to stderr,
# without its progress lines), with the run's requests to Ferry's PHP file on the host. The script exits 0 only when all pass.
#
# Everything is removed on exit: processes, namespace, veth, the site user, the
# destination databases and their user, the temporary folder. Missing packages are
# installed with a policy-rc.d that keeps their services from starting; a unit the install
# enabled is disabled again.
set -euo pipefail
cd "$(dirname "$0")/../.."

[ "$(id -u)" = 0 ] || { echo "run as root: it creates a network namespace, a user and servers" >&2; exit 1; }

# ---- packages -----------------------------------------------------------------------
need_pkgs() {
	local missing=() p policy=/usr/sbin/policy-rc.d own="" before=""
	for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
	[ ${#missing[@]} -eq 0 ] && return
	echo "installing ${missing[*]} ..."
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && own=1
	fi
	local systemd=""
	[ -d /run/systemd/system ] && command -v systemctl >/dev/null && systemd=1
	[ -n "$systemd" ] && before=$(systemctl list-unit-files --state=enabled --no-legend | awk '{print $1}' | sort)
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	[ -n "$own" ] && rm -f "$policy"
	if [ -n "$systemd" ]; then
		local units
		units=$(comm -13 <(echo "$before") <(systemctl list-unit-files --state=enabled --no-legend | awk '{print $1}' | sort) | grep -E '\.(service|socket)$' || true)
		# shellcheck disable=SC2086
		[ -n "$units" ] && systemctl disable --now $units >/dev/null 2>&1
	fi
	return 0
}
need_pkgs iproute2 mariadb-server mariadb-client php-cli php-mysql vsftpd openssh-server util-linux

# ---- names, addresses, clean-up -------------------------------------------------------
NS=ferry-routes-$$
VH=frt$$w VN=frt$$h # veth ends: workstation side, host side
WS_IP=10.77.0.1 HOST_IP=10.77.0.2
if ip -o addr | grep -q ' 10\.77\.0\.'; then echo "10.77.0.0/24 is in use on this machine" >&2; exit 1; fi
T=$(mktemp -d /tmp/ferry-routes.XXXXXX)
chmod 755 "$T"
SITE_USER=ferrysite$$
SITE_PASS=site-$RANDOM$RANDOM
SRC_DB=wp_old SRC_USER=wp_old_user SRC_PASS=src-$RANDOM$RANDOM
DST_USER=ferryrt_$$ DST_PASS=dst-$RANDOM$RANDOM
OLD_URL=http://old.test:8080 NEW_URL=https://www.new-site.example.com/blog
ROOT_SQL=(mariadb --protocol=tcp -h 127.0.0.1 -P 3306 -u root --default-character-set=utf8mb4)
DST_DBS=()
MADE_DIRS=()
PIDS=()
USER_ADDED=""

cleanup() {
	set +e
	local p left
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	if ip netns list | grep -qw "$NS"; then
		# sshd's session children and anything else started in the namespace
		left=$(ip netns pids "$NS")
		[ -n "$left" ] && kill $left 2>/dev/null
		sleep 1
		left=$(ip netns pids "$NS")
		[ -n "$left" ] && kill -9 $left 2>/dev/null
		ip netns del "$NS"
	fi
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	ip link del "$VH" 2>/dev/null
	for p in "${DST_DBS[@]}"; do "${ROOT_SQL[@]}" -e "DROP DATABASE IF EXISTS \`$p\`" 2>/dev/null; done
	for p in 127.0.0.1 localhost; do "${ROOT_SQL[@]}" -e "DROP USER IF EXISTS '$DST_USER'@'$p'" 2>/dev/null; done
	[ -n "$USER_ADDED" ] && userdel "$SITE_USER" 2>/dev/null
	for p in "${MADE_DIRS[@]}"; do rmdir "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for d in /run/mysqld /run/sshd /var/run/vsftpd/empty; do
	[ -d "$d" ] || { mkdir -p "$d"; MADE_DIRS+=("$d"); }
done

# inns runs a command on the old host: in the namespace, with the private MariaDB's socket
# folder ($T/run) where the host's programs look for it (/run/mysqld). `ip netns exec`
# gives each command its own mount namespace, so the workstation's /run/mysqld is untouched.
mkdir -p "$T/run"
inns() { ip netns exec "$NS" sh -c 'mount --bind "$0" /run/mysqld && exec "$@"' "$T/run" "$@"; }

FAILS=0
check() { # NAME CONDITION-COMMAND...
	local name=$1
	shift
	if "$@"; then echo "  PASS $name"; else echo "  FAIL $name"; FAILS=$((FAILS + 1)); fi
}

wait_port() { # NETNS-OR-"" HOST PORT
	local i
	for i in $(seq 100); do
		if [ -n "$1" ]; then
			ip netns exec "$1" bash -c "</dev/tcp/$2/$3" 2>/dev/null && return 0
		else
			bash -c "</dev/tcp/$2/$3" 2>/dev/null && return 0
		fi
		sleep 0.1
	done
	echo "nothing listens on $2:$3" >&2
	return 1
}

# ---- Ferry --------------------------------------------------------------------------
echo "== building ferry"
FERRY=$T/ferry
go build -o "$FERRY" .
export FERRY_DATA_DIR=$T/ferry-data FERRY_KEYRING=off

# ---- the old host ---------------------------------------------------------------------
echo "== old host: namespace $NS, $WS_IP (workstation) <-> $HOST_IP (host)"
ip netns add "$NS"
ip link add "$VH" type veth peer name "$VN"
ip link set "$VN" netns "$NS"
ip addr add "$WS_IP/24" dev "$VH"
ip link set "$VH" up
ip netns exec "$NS" ip addr add "$HOST_IP/24" dev "$VN"
ip netns exec "$NS" ip link set "$VN" up
ip netns exec "$NS" ip link set lo up

useradd -M -d "$T/home" -s /bin/bash "$SITE_USER"
USER_ADDED=1
echo "$SITE_USER:$SITE_PASS" | chpasswd
DOCROOT=$T/home/public_html
mkdir -p "$DOCROOT"

# MariaDB, private to the host
mkdir -p "$T/db" "$T/dbtmp"
chown mysql:mysql "$T/db" "$T/dbtmp" "$T/run"
cat >"$T/my.cnf" <<CNF
[mysqld]
user=mysql
datadir=$T/db
socket=/run/mysqld/mysqld.sock
pid-file=$T/db/mariadbd.pid
port=3306
bind-address=127.0.0.1
skip-name-resolve
tmpdir=$T/dbtmp
log-error=$T/db/mariadbd.err
innodb_buffer_pool_size=32M
CNF
inns mariadb-install-db --defaults-file="$T/my.cnf" --user=mysql --skip-test-db \
	--auth-root-authentication-method=socket >"$T/install-db.log" 2>&1
inns /usr/sbin/mariadbd --defaults-file="$T/my.cnf" &
PIDS+=($!)
wait_port "$NS" 127.0.0.1 3306
HSQL=(inns mariadb -u root --default-character-set=utf8mb4) # the host's root, over its socket
[ "$("${HSQL[@]}" -N -e 'SELECT @@datadir')" = "$T/db/" ] || { echo "the host's socket reached another server" >&2; exit 1; }

# The WordPress database: the shape and content of Ferry's test site (backend/pipeline/sitetest):
# the old URL plain, serialized (nested), JSON-escaped, next to look-alike hosts; zero dates;
# a plugin table without the prefix.
"${HSQL[@]}" <<SQL
CREATE DATABASE $SRC_DB CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER '$SRC_USER'@'localhost' IDENTIFIED BY '$SRC_PASS';
CREATE USER '$SRC_USER'@'127.0.0.1' IDENTIFIED BY '$SRC_PASS';
GRANT ALL ON $SRC_DB.* TO '$SRC_USER'@'localhost';
GRANT ALL ON $SRC_DB.* TO '$SRC_USER'@'127.0.0.1';
USE $SRC_DB;
SET SESSION sql_mode = '';
SET @old = '$OLD_URL';
SET @jold = REPLACE(@old, '/', CONCAT(CHAR(92), '/'));
CREATE TABLE wp_options (option_id bigint unsigned NOT NULL AUTO_INCREMENT, option_name varchar(191) NOT NULL DEFAULT '', option_value longtext NOT NULL, autoload varchar(20) NOT NULL DEFAULT 'yes', PRIMARY KEY (option_id), UNIQUE KEY option_name (option_name)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
CREATE TABLE wp_posts (ID bigint unsigned NOT NULL AUTO_INCREMENT, post_date datetime NOT NULL DEFAULT '0000-00-00 00:00:00', post_content longtext NOT NULL, post_title text NOT NULL, guid varchar(255) NOT NULL DEFAULT '', PRIMARY KEY (ID)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
CREATE TABLE wp_postmeta (meta_id bigint unsigned NOT NULL AUTO_INCREMENT, post_id bigint unsigned NOT NULL DEFAULT 0, meta_key varchar(255) DEFAULT NULL, meta_value longtext, PRIMARY KEY (meta_id), KEY post_id (post_id)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
CREATE TABLE wp_users (ID bigint unsigned NOT NULL AUTO_INCREMENT, user_login varchar(60) NOT NULL DEFAULT '', user_url varchar(100) NOT NULL DEFAULT '', user_registered datetime NOT NULL DEFAULT '0000-00-00 00:00:00', PRIMARY KEY (ID)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
CREATE TABLE yoast_seo_links (id int unsigned NOT NULL AUTO_INCREMENT, url varchar(255) NOT NULL, data longtext, PRIMARY KEY (id)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
SET @about = CONCAT('<a href="', @old, '/about">About</a>');
SET @slash = CONCAT(@old, '/');
SET @inner = CONCAT('a:1:{s:4:"home";s:', LENGTH(@old), ':"', @old, '";}');
INSERT INTO wp_options (option_name, option_value) VALUES
 ('siteurl', @old), ('home', @old), ('blogname', 'Café ☕ Old'),
 ('widget_text', CONCAT('a:2:{i:2;a:3:{s:5:"title";s:5:"Links";s:4:"text";s:', LENGTH(@about), ':"', @about, '";s:3:"url";s:', LENGTH(@slash), ':"', @slash, '";}s:12:"_multiwidget";i:1;}')),
 ('theme_mods_t', CONCAT('s:', LENGTH(@inner), ':"', @inner, '";'));
INSERT INTO wp_posts (ID, post_date, post_content, post_title, guid)
 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 400)
 SELECT i, '0000-00-00 00:00:00',
  CONCAT('<p>Post ', i, ' 😀 see <a href="', @old, '/?p=', i, '">here</a>, not http://bold.test:8080/ nor http://old.testing.com/</p>', REPEAT('<p>Lorem ipsum dolor sit amet — café.</p>', 40)),
  CONCAT('Post ', i), CONCAT(@old, '/?p=', i) FROM n;
INSERT INTO wp_postmeta (post_id, meta_key, meta_value)
 SELECT ID, '_elementor_data', CONCAT('[{"settings":{"link":{"url":"', @jold, CHAR(92), '/page"}}}]') FROM wp_posts
 UNION ALL
 SELECT ID, '_wp_attachment_metadata', CONCAT('a:1:{s:4:"file";s:', LENGTH(CONCAT(@old, '/wp-content/uploads/x.jpg')), ':"', @old, '/wp-content/uploads/x.jpg";}') FROM wp_posts;
INSERT INTO wp_users (user_login, user_url) VALUES ('admin', @old), ('editor', '');
INSERT INTO yoast_seo_links (url, data)
 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3)
 SELECT CONCAT(@old, '/page-', i, '/'),
  CONCAT('a:1:{s:4:"link";s:', LENGTH(CONCAT('{"u":"', @jold, CHAR(92), '/p', i, '"}')), ':"', '{"u":"', @jold, CHAR(92), '/p', i, '"}', '";}') FROM n;
SQL

# The site's files (again sitetest's, plus uploads of a few sizes).
w() { mkdir -p "$(dirname "$DOCROOT/$1")"; printf '%s' "$2" >"$DOCROOT/$1"; }
w index.php $'<?php\ndefine( \'WP_USE_THEMES\', true );\nrequire __DIR__ . \'/wp-blog-header.php\';\n'
w wp-includes/version.php $'<?php\n$wp_version = \'6.4.3\';\n$wp_db_version = 56657;\n'
w wp-includes/functions.php $'<?php\n// core\n'
w wp-admin/index.php $'<?php\n// admin\n'
w .htaccess $'# BEGIN WordPress\nRewriteEngine On\nRewriteRule . /index.php [L]\n# END WordPress\n'
w wp-content/index.php $'<?php\n// Silence is golden.\n'
w wp-content/uploads/.htaccess $'Options -Indexes\n'
w 'wp-content/uploads/2024/01/café menu.txt' $'crème brûlée — 12 €\n'
w wp-content/uploads/empty.txt ''
w wp-content/themes/t/style.css $'/* Theme Name: T */\nbody{background:url(http://old.test:8080/bg.png)}\n'
mkdir -p "$DOCROOT/wp-content/uploads/2024/02"
for i in $(seq -w 1 40); do head -c $((10#$i * 7919)) /dev/urandom >"$DOCROOT/wp-content/uploads/2024/02/img-$i.jpg"; done
head -c 3000000 /dev/urandom >"$DOCROOT/wp-content/uploads/2024/02/video.mp4"
cat >"$DOCROOT/wp-config.php" <<PHP
<?php
define( 'DB_NAME', '$SRC_DB' );
define( 'DB_USER', '$SRC_USER' );
define( 'DB_PASSWORD', '$SRC_PASS' );
define( 'DB_HOST', 'localhost' );
define( 'DB_CHARSET', 'utf8mb4' );
define( 'DB_COLLATE', '' );
define( 'AUTH_KEY',         'put your unique phrase here' );
define( 'SECURE_AUTH_KEY',  'put your unique phrase here' );
define( 'LOGGED_IN_KEY',    'put your unique phrase here' );
define( 'NONCE_KEY',        'put your unique phrase here' );
define( 'AUTH_SALT',        'put your unique phrase here' );
define( 'SECURE_AUTH_SALT', 'put your unique phrase here' );
define( 'LOGGED_IN_SALT',   'put your unique phrase here' );
define( 'NONCE_SALT',       'put your unique phrase here' );
\$table_prefix = 'wp_';
define( 'WP_DEBUG', false );
if ( ! defined( 'ABSPATH' ) ) {
	define( 'ABSPATH', __DIR__ . '/' );
}
require_once ABSPATH . 'wp-settings.php';
PHP
chmod 640 "$DOCROOT/wp-config.php"
chown -R "$SITE_USER:$SITE_USER" "$T/home"
hashes() { (cd "$1" && find . -type f ! -path ./wp-config.php -print0 | sort -z | xargs -0 sha256sum); }
hashes "$DOCROOT" >"$T/site.sha"

# PHP's web server runs as the site's owner, as PHP-FPM pools do on shared hosting.
inns setpriv --reuid="$(id -u "$SITE_USER")" --regid="$(id -g "$SITE_USER")" --init-groups \
	php -S "$HOST_IP:8080" -t "$DOCROOT" >"$T/php.log" 2>&1 &
PIDS+=($!)
cat >"$T/vsftpd.conf" <<CONF
listen=YES
listen_ipv6=NO
listen_address=$HOST_IP
listen_port=21
background=NO
anonymous_enable=NO
local_enable=YES
write_enable=YES
local_umask=022
chroot_local_user=YES
allow_writeable_chroot=YES
pasv_enable=YES
pasv_min_port=40000
pasv_max_port=40099
seccomp_sandbox=NO
isolate=NO
isolate_network=NO
secure_chroot_dir=/var/run/vsftpd/empty
pam_service_name=vsftpd
xferlog_enable=NO
use_localtime=NO
CONF
inns /usr/sbin/vsftpd "$T/vsftpd.conf" &
PIDS+=($!)
wait_port "" "$HOST_IP" 8080
wait_port "" "$HOST_IP" 21

# Source row counts, counted on the host itself.
row_counts() { # SQL-COMMAND...: "table count" lines of the database the command uses
	local t
	for t in $("$@" -N -e "SHOW TABLES"); do echo "$t $("$@" -N -e "SELECT COUNT(*) FROM \`$t\`")"; done
}
SRC_COUNTS=$(MYSQL_PWD=$SRC_PASS row_counts ip netns exec "$NS" mariadb -h 127.0.0.1 -u "$SRC_USER" "$SRC_DB")
echo "source database (counted inside the namespace over its 127.0.0.1): $(echo $SRC_COUNTS)"
echo "source docroot: $(wc -l <"$T/site.sha") files besides wp-config.php"

# ---- what the workstation can reach ------------------------------------------------------
probe() { # HOST PORT: prints how a TCP connect from the workstation ends
	local out
	if out=$(timeout 5 bash -c "exec 3<>/dev/tcp/$1/$2" 2>&1); then echo "connected"; else echo "${out##*: }"; fi
}
echo "== reachability from the workstation (root namespace)"
MYSQL_PROBE=$(probe "$HOST_IP" 3306)
echo "  TCP $HOST_IP:3306 (MySQL) -> $MYSQL_PROBE"
echo "  TCP $HOST_IP:22   (SSH)   -> $(probe "$HOST_IP" 22)"
echo "  TCP $HOST_IP:21   (FTP)   -> $(probe "$HOST_IP" 21)"
echo "  TCP $HOST_IP:8080 (HTTP)  -> $(probe "$HOST_IP" 8080)"
echo "  inside the host: $(inns mariadb -u root -N -e "SELECT CONCAT('MariaDB ', VERSION(), ' on ', @@bind_address, ':', @@port)")"
check "MySQL of the old host unreachable from the workstation" test "$MYSQL_PROBE" != connected

# ---- destination ------------------------------------------------------------------------
for h in 127.0.0.1 localhost; do
	"${ROOT_SQL[@]}" -e "CREATE USER '$DST_USER'@'$h' IDENTIFIED BY '$DST_PASS'"
done
new_dest() { # N: a fresh empty database and folder for run N
	DST_DB=ferryrt_$$_$1
	DST_DBS+=("$DST_DB")
	"${ROOT_SQL[@]}" -e "CREATE DATABASE \`$DST_DB\` CHARACTER SET utf8mb4;
		GRANT ALL ON \`$DST_DB\`.* TO '$DST_USER'@'127.0.0.1'; GRANT ALL ON \`$DST_DB\`.* TO '$DST_USER'@'localhost'"
	DEST=$T/dest-$1
}
export SITE_PASS DST_PASS

job() { # N METHOD ACCESS: writes $T/job-N.json
	local src
	if [ "$2" = ftp ]; then
		src="\"protocol\": \"ftp\", \"host\": \"$HOST_IP\", \"port\": 21, \"path\": \"/public_html\""
	else
		src="\"protocol\": \"sftp\", \"host\": \"$HOST_IP\", \"port\": 22, \"path\": \"$DOCROOT\""
	fi
	cat >"$T/job-$1.json" <<JSON
{
  "method": "$2", "userName": "Site Owner", "userEmail": "owner@example.com", "service": "Business 10GB",
  "domain": "www.new-site.example.com", "oldUrl": "$OLD_URL", "newUrl": "$NEW_URL",
  "source": {$src, "user": "$SITE_USER", "password": "env:SITE_PASS",
    "db": {"fromWpConfig": true, "access": "$3", "siteIp": "$HOST_IP"}},
  "destination": {"protocol": "local", "path": "$DEST",
    "db": {"host": "127.0.0.1", "port": 3306, "user": "$DST_USER", "password": "env:DST_PASS", "name": "$DST_DB",
           "access": "direct"}},
  "options": {"overwrite": false, "freshSalts": false, "excludes": [], "httpCheck": false}
}
JSON
}

# run_one N NAME METHOD ACCESS EXPECTED-LOG-LINE
run_one() {
	local n=$1 name=$2 rc=0 id agent0 agent1
	new_dest "$n"
	job "$n" "$3" "$4"
	echo
	echo "== run $n ($name): $3 source, database access \"$4\""
	agent0=$(grep -c 'ferry-[^ ]*\.php' "$T/php.log" || true)
	id=$("$FERRY" migrate --spec "$T/job-$n.json" 2>"$T/log-$n.txt") || rc=$?
	agent1=$(grep -c 'ferry-[^ ]*\.php' "$T/php.log" || true)
	echo "-- ferry migrate exited $rc; migration ${id:-?}; Ferry's log (progress lines left out):"
	grep -v '^         ' "$T/log-$n.txt" | sed 's/^/  | /'
	echo "-- ferry list --tab successful:"
	"$FERRY" list --tab successful | grep -E "^(ID|\s*${id:-none}\b)" | sed 's/^/  | /' || true
	echo "-- HTTP requests to Ferry's PHP file on the old host during this run: $((agent1 - agent0))"
	if [ "$agent1" -gt "$agent0" ]; then
		grep 'ferry-[^ ]*\.php' "$T/php.log" | sed -n "$((agent0 + 1))p;${agent1}p" | sed 's/^/  | /'
	fi
	echo "-- checks:"
	check "ferry migrate exit 0 (Successful)" test "$rc" = 0
	check "log: $5" grep -qF -- "$5" "$T/log-$n.txt"
	check_dest "$n"
}

check_dest() {
	local got url left bad cfg
	local DSQL=(mariadb --protocol=tcp -h 127.0.0.1 -P 3306 -u "$DST_USER" "$DST_DB" -N --default-character-set=utf8mb4)
	export MYSQL_PWD=$DST_PASS
	got=$(row_counts "${DSQL[@]}")
	echo "     destination rows: $(echo $got)"
	check "row counts per table equal the source's" test "$got" = "$SRC_COUNTS"
	url=$("${DSQL[@]}" -e "SELECT GROUP_CONCAT(option_value ORDER BY option_name) FROM wp_options WHERE option_name IN ('home','siteurl')")
	check "siteurl and home = $NEW_URL" test "$url" = "$NEW_URL,$NEW_URL"
	left=$("${DSQL[@]}" -e "SELECT (SELECT COUNT(*) FROM wp_posts WHERE post_content LIKE '%/old.test:8080%' OR guid LIKE '%/old.test:8080%')
		+ (SELECT COUNT(*) FROM wp_postmeta WHERE meta_value LIKE '%/old.test:8080%')
		+ (SELECT COUNT(*) FROM wp_options WHERE option_value LIKE '%/old.test:8080%')
		+ (SELECT COUNT(*) FROM yoast_seo_links WHERE url LIKE '%/old.test:8080%' OR data LIKE '%/old.test:8080%')")
	check "no old URL left in posts, meta, options, plugin table ($left)" test "$left" = 0
	bad=$("${DSQL[@]}" -e "SELECT HEX(option_value) FROM wp_options WHERE option_value LIKE 'a:%' OR option_value LIKE 's:%'
		UNION ALL SELECT HEX(meta_value) FROM wp_postmeta WHERE meta_value LIKE 'a:%'" |
		php -r '$n = 0; while (($l = fgets(STDIN)) !== false) { if (@unserialize(hex2bin(trim($l))) === false) $n++; } echo $n;')
	check "serialized values unserialize in PHP ($bad broken)" test "$bad" = 0
	unset MYSQL_PWD
	hashes "$DEST" >"$T/got-$1.sha"
	check "SHA-256 of all $(wc -l <"$T/site.sha") files equal the source's" cmp -s "$T/site.sha" "$T/got-$1.sha"
	cfg=$DEST/wp-config.php
	check "wp-config.php rewritten (DB_NAME/DB_USER/DB_PASSWORD/DB_HOST of the new database)" \
		bash -c 'grep -Eq "DB_NAME'"'"', *'"'"'$1'"'"'" "$0" && grep -Eq "DB_USER'"'"', *'"'"'$2'"'"'" "$0" &&
			grep -Fq "$3" "$0" && grep -Eq "DB_HOST'"'"', *'"'"'127\.0\.0\.1" "$0" && ! grep -Fq "$4" "$0"' \
		"$cfg" "$DST_DB" "$DST_USER" "$DST_PASS" "$SRC_PASS"
	check "no ferry-*.php left in the source docroot" test -z "$(find "$DOCROOT" -maxdepth 1 -name 'ferry-*.php')"
	check "no ferry-*.php at the destination" test -z "$(find "$DEST" -name 'ferry-*.php')"
}

# ---- the runs -------------------------------------------------------------------------
# The host offers FTP and HTTP only (sshd is not running yet).
run_one 1 php ftp php "Database access (source): Through the site (PHP), as set for this migration"
run_one 2 auto-ftp ftp automatic \
	"Database access (source): Direct: port 3306 refused; SSH tunnel: needs an SFTP login; SSH command: needs an SFTP login; using the site's PHP"

# Now an SSH login, with TCP forwarding off as many hosts set it.
ssh-keygen -q -t ed25519 -N '' -f "$T/ssh_host_ed25519"
cat >"$T/sshd_config" <<CONF
ListenAddress $HOST_IP:22
HostKey $T/ssh_host_ed25519
PidFile $T/sshd.pid
AllowUsers $SITE_USER
PasswordAuthentication yes
KbdInteractiveAuthentication no
UsePAM yes
StrictModes no
AllowTcpForwarding no
Subsystem sftp /usr/lib/openssh/sftp-server
CONF
inns /usr/sbin/sshd -D -e -f "$T/sshd_config" 2>"$T/sshd.log" &
PIDS+=($!)
wait_port "" "$HOST_IP" 22
echo
echo "== sshd started on $HOST_IP:22: $(inns /usr/sbin/sshd -T -f "$T/sshd_config" | grep -i '^allowtcpforwarding')"
echo "  TCP $HOST_IP:3306 (MySQL) -> $(probe "$HOST_IP" 3306)"
run_one 3 ssh-command sftp ssh-command "Database access (source): SSH command, as set for this migration"
run_one 4 auto-ssh sftp automatic \
	"Database access (source): Direct: port 3306 refused; SSH tunnel: forwarding disabled by the server; using SSH command"

echo
if [ "$FAILS" = 0 ]; then echo "ALL CHECKS PASSED"; else echo "$FAILS CHECK(S) FAILED"; exit 1; fi
