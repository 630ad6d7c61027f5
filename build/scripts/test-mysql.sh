#!/usr/bin/env bash
# test-mysql.sh prints, on stdout, the DSN of a MariaDB/MySQL server Ferry's tests can use
# (go-sql-driver format, no database name). `make test` exports it as FERRY_TEST_MYSQL_DSN.
#
# Order: FERRY_TEST_MYSQL_DSN when already set; else the server on 127.0.0.1:3306 when it
# answers; else a private mariadbd started in a temporary folder (installed with apt-get when
# missing and we are root). The private server keeps running after this script exits so the
# tests can use it; its folder and pid are reported on stderr.
#
# Environment: FERRY_TEST_MYSQL_PORT (private server port, default 33306),
#              FERRY_TEST_MYSQL_DIR  (private server folder, default a new mktemp -d),
#              FERRY_TEST_MYSQL_PRIVATE=1 (skip the 3306 probe: always start a private server).
set -euo pipefail

log() { echo "test-mysql: $*" >&2; }

if [[ -n "${FERRY_TEST_MYSQL_DSN:-}" ]]; then
	echo "$FERRY_TEST_MYSQL_DSN"
	exit 0
fi

if [[ "${FERRY_TEST_MYSQL_PRIVATE:-}" != 1 ]] && command -v mariadb-admin >/dev/null 2>&1 &&
	mariadb-admin --protocol=tcp -h127.0.0.1 -P3306 -uroot --connect-timeout=3 ping >/dev/null 2>&1; then
	log "using the server on 127.0.0.1:3306"
	echo "root@tcp(127.0.0.1:3306)/"
	exit 0
fi

port="${FERRY_TEST_MYSQL_PORT:-33306}"
if [[ ! -x /usr/sbin/mariadbd ]] || ! command -v mariadb-install-db >/dev/null 2>&1; then
	if [[ "$(id -u)" -ne 0 ]]; then
		log "no server on 127.0.0.1:3306 and mariadb-server is not installed; install it or set FERRY_TEST_MYSQL_DSN"
		exit 1
	fi
	log "installing mariadb-server (its own service kept from starting)"
	"$(dirname "$0")/deps.sh" mariadb-server mariadb-client >&2
fi

dir="${FERRY_TEST_MYSQL_DIR:-$(mktemp -d /tmp/ferry-mysql.XXXXXX)}"
mkdir -p "$dir/data" "$dir/tmp"
cat >"$dir/my.cnf" <<CNF
[mysqld]
user=mysql
datadir=$dir/data
socket=$dir/mysqld.sock
pid-file=$dir/mysqld.pid
port=$port
bind-address=127.0.0.1
skip-name-resolve
tmpdir=$dir/tmp
log-error=$dir/error.log
innodb_buffer_pool_size=128M
CNF
if [[ "$(id -u)" -eq 0 ]]; then
	chown -R mysql:mysql "$dir"
	chmod 755 "$dir"
fi

if [[ ! -d "$dir/data/mysql" ]]; then
	mariadb-install-db --defaults-file="$dir/my.cnf" --user=mysql --skip-test-db \
		--auth-root-authentication-method=socket >"$dir/install.log" 2>&1 ||
		{ log "mariadb-install-db failed, see $dir/install.log"; exit 1; }
fi

nohup /usr/sbin/mariadbd --defaults-file="$dir/my.cnf" >/dev/null 2>&1 &
for _ in $(seq 1 100); do
	[[ -S "$dir/mysqld.sock" ]] && mariadb-admin --socket="$dir/mysqld.sock" -uroot ping >/dev/null 2>&1 && break
	sleep 0.2
done
if ! mariadb-admin --socket="$dir/mysqld.sock" -uroot ping >/dev/null 2>&1; then
	log "private mariadbd did not start, see $dir/error.log"
	exit 1
fi

# A password user over TCP: the socket-authenticated root cannot be used by the Go driver.
pass="$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 20)"
mariadb --socket="$dir/mysqld.sock" -uroot <<SQL
CREATE USER IF NOT EXISTS 'ferry'@'127.0.0.1' IDENTIFIED BY '$pass';
ALTER USER 'ferry'@'127.0.0.1' IDENTIFIED BY '$pass';
GRANT ALL PRIVILEGES ON *.* TO 'ferry'@'127.0.0.1' WITH GRANT OPTION;
FLUSH PRIVILEGES;
SQL
log "private mariadbd on 127.0.0.1:$port, folder $dir, pid $(cat "$dir/mysqld.pid")"
log "stop it with: kill \$(cat $dir/mysqld.pid)"
echo "ferry:${pass}@tcp(127.0.0.1:${port})/"
