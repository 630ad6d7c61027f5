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

build_ferry_and_routes

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
