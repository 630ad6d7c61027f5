#!/usr/bin/env bash
# Whole migration of a WordPress site, FTP source (vsftpd) to SFTP destination (OpenSSH),
# MariaDB database to another database on the same server: `ferry migrate --spec` against
# the by-hand route an admin takes (lftp mirror down, mysqldump, sed on the dump, lftp
# mirror -R up, mysql import), interleaved in the same run (hand, ferry, hand, ferry ...).
# Every timed run is checked (file count and SHA-256 of every file but wp-config.php,
# row counts per table, siteurl/home at the new URL) before its time counts.
#
#   RUNS=3 bench/migration/run.sh
#   ROUTES=ferry RUNS=1 FERRY_CPUPROFILE=/tmp/ferry.prof bench/migration/run.sh
#   ROUTES=ferry RUNS=1 FERRY_WRAP="perf record -a -g -o /tmp/perf.data --" bench/migration/run.sh
#
# The site (~3,950 files / ~230 MB) and the database (~1.08M rows, ~590 MB dump) are made
# once and cached under $FERRY_BENCH_CACHE (/var/tmp/ferry-bench).
set -euo pipefail
RUNS=${RUNS:-3}
ROUTES=${ROUTES:-both} # ROUTES=ferry times Ferry alone (e.g. with FERRY_CPUPROFILE=file set)
cd "$(dirname "$0")/../.."
. bench/migration/lib.sh
need_root
need_pkgs vsftpd openssh-server lftp time mariadb-client wordpress

W=$B/migration.run
rm -rf "$W"; mkdir -p "$W"
cleanup() { [ -n "${FTPD:-}" ] && kill "$FTPD" 2>/dev/null; [ -n "${SSHD:-}" ] && kill "$SSHD" 2>/dev/null; rm -rf "$W/hand" "$W/ferry-data/staging"; }
trap cleanup EXIT

bench_secrets; bench_user; bench_site; bench_db
DEST=$B/home/new_html
echo "site: $NFILES files, $((NBYTES / 1000000)) MB; database $SRC_DB: $SRC_ROWS rows, $SRC_MB MB (data+index): $(echo $SRC_COUNTS)"

# Servers on private loopback ports (bench/servers.sh).
. bench/servers.sh
start_file_servers "$W" 41000
MYSQLD_PID=$(ss -ltnpH "sport = :$PORT" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
FILE_SERVER_PIDS="$FTPD $SSHD"

FERRY=$W/ferry
go build -o "$FERRY" .
FERRY_DATA=$W/ferry-data
export FERRY_KEYRING=off FERRY_DATA_DIR=$FERRY_DATA
cat > "$W/job.json" <<JSON
{
  "method": "ftp", "userName": "Bench Owner", "userEmail": "owner@example.com", "service": "Business 10GB",
  "domain": "new.example.com", "oldUrl": "$OLD_URL", "newUrl": "$NEW_URL",
  "source": {"protocol": "ftp", "host": "$HOST", "port": $FTP_PORT, "user": "$BENCH_USER", "password": "env:BENCH_PASS",
    "path": "$SITE",
    "db": {"host": "$HOST", "port": $PORT, "user": "$SRC_USER", "password": "env:SRC_DB_PASS", "name": "$SRC_DB"}},
  "destination": {"protocol": "sftp", "host": "$HOST", "port": $SSH_PORT, "user": "$BENCH_USER", "password": "env:BENCH_PASS",
    "path": "$DEST",
    "db": {"host": "$HOST", "port": $PORT, "user": "$DST_USER", "password": "env:DST_DB_PASS", "name": "$DST_DB"}},
  "options": {"overwrite": false, "freshSalts": false, "excludes": [], "httpCheck": false, "httpIp": ""}
}
JSON

# The by-hand route, one shell so /usr/bin/time sees every client; each step's time is printed.
cat > "$W/by-hand.sh" <<'SH'
set -euo pipefail
t() { local s; s=$(date +%s.%N); "$@"; awk -v a="$s" -v b="$(date +%s.%N)" -v n="$STEP" 'BEGIN {printf "%s %.1fs; ", n, b - a}' >> "$W/hand.steps"; }
: > "$W/hand.steps"
LFTP_SET="set ftp:ssl-allow no; set ftp:list-options -a; set sftp:auto-confirm yes; set net:max-retries 1"
STEP=lftp-down t lftp -u "$BENCH_USER,$BENCH_PASS" -e "$LFTP_SET; mirror --parallel=4 $SITE $W/hand/files; quit" "ftp://$HOST:$FTP_PORT"
STEP=mysqldump t sh -c 'MYSQL_PWD=$SRC_DB_PASS mysqldump --protocol=tcp -h "$HOST" -P "$PORT" -u "$SRC_USER" --single-transaction "$SRC_DB" > "$W/hand/dump.sql"'
STEP=sed t sed -i 's#http://old.test#https://new.example.com#g' "$W/hand/dump.sql"
STEP=lftp-up t lftp -u "$BENCH_USER,$BENCH_PASS" -e "$LFTP_SET; mirror -R --parallel=4 $W/hand/files $DEST; quit" "sftp://$HOST:$SSH_PORT"
STEP=mysql-import t sh -c 'MYSQL_PWD=$DST_DB_PASS mysql --protocol=tcp -h "$HOST" -P "$PORT" -u "$DST_USER" "$DST_DB" < "$W/hand/dump.sql"'
SH
export W HOST PORT FTP_PORT SSH_PORT BENCH_USER SITE DEST SRC_USER SRC_DB DST_USER DST_DB

fresh_dest() { rm -rf "$DEST" "$W/hand"; mkdir -p "$W/hand"; fresh_dst_db; }
run_hand() {
  fresh_dest
  timed by-hand bash "$W/by-hand.sh"
  echo "  by-hand $1: $(cat "$W/hand.steps")"
  check_files "$DEST" "by-hand run $1"; check_db "by-hand run $1"
  rm -rf "$W/hand"
}
run_ferry() {
  fresh_dest
  timed ferry ${FERRY_WRAP:-} "$FERRY" migrate --spec "$W/job.json"
  local id; id=$(grep -oP 'Migration \K[0-9]+(?= completed)' "$W/out.txt")
  cp "$W/out.txt" "$W/ferry-$1.log"
  echo "  ferry $1: migration $id; $(tail -1 "$W/out.txt")"
  ferry_steps "$id"
  check_files "$DEST" "ferry run $1"; check_db "ferry run $1"
  [ -z "$(ls -A "$FERRY_DATA/staging/$id" 2>/dev/null)" ] || fail "ferry run $1 left staging files"
}

: > "$W/results"; : > "$W/servers.txt"
echo "label wall_s rss_kb client_cpu_s mysqld_cpu_s ftp_ssh_cpu_s"
for i in $(seq "$RUNS"); do
  [ "$ROUTES" = ferry ] || run_hand "$i"
  run_ferry "$i"
done
"$FERRY" list --tab successful --json > "$W/list.json"
[ "$ROUTES" = ferry ] || summary by-hand ferry 0.6
echo "file servers' CPU per run:"; cat "$W/servers.txt"
echo "(site $NFILES files / $((NBYTES / 1000000)) MB, database $SRC_ROWS rows / $SRC_MB MB; $RUNS interleaved runs; logs in $W)"
