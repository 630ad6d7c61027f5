#!/usr/bin/env bash
# A batch of WordPress sites, FTP source (vsftpd) to SFTP destination (OpenSSH), each with
# its own MariaDB database: `ferry batch --spec … --sites …` against the same migrations
# run one after another with `ferry migrate`, and against the by-hand route an admin takes
# for one site (lftp mirror --parallel=4 down over FTP, mysqldump, sed, lftp mirror -R
# --parallel=4 up over SFTP, mysql) times the number of sites. Interleaved in each round:
# by-hand (one site), batch, by-hand (another site), sequential, by-hand (a third site).
# The by-hand total is the median of the one-site runs x NSITES (they all have the same
# shape). Every timed run is checked at the destination (file count and SHA-256 of every
# file but wp-config.php, row counts per table, home/siteurl at the site's new URL, no old
# URL in posts) before its time counts.
#
#   bench/batch/run.sh               20 sites of 500 files / 20 MB / ~5 MB SQL, 1 round
#   SMALL=1 bench/batch/run.sh       4 sites of 100 files / 4 MB / ~1.4 MB SQL, 3 rounds
#   ROUNDS=3 bench/batch/run.sh      three rounds, medians
#   RTT=40 bench/batch/run.sh        every server and client inside a network namespace whose
#                                    loopback delays each packet (bench/wan/net.sh), with a
#                                    private MariaDB in it: what latency does to each route
#
# Environment: SMALL=1, ROUNDS, RTT (ms; unset: plain loopback and the shared MariaDB on
# 127.0.0.1:3306), RATE (with RTT, default 200mbit), ROUTES (default "hand batch sequential";
# e.g. ROUTES=batch to look at the batch alone), FERRY_SETTINGS ("key=value ..." written to
# Ferry's settings before each run, e.g. "batch_host_connections=16"), FERRY_BENCH_CACHE (the sites and their source databases are
# made once per size and kept there), FERRY_BIN (a Ferry built beforehand, instead of this tree:
# two builds compared back to back), FERRY_CPUPROFILE (Ferry writes a Go CPU profile, main.go). Results: bench/batch/results/<UTC time>-<full|small>/
# (table.txt, runs.tsv, the batch's output and Ferry's list of its migrations, per-site
# times of the sequential and by-hand runs).
set -euo pipefail
SMALL=${SMALL:-0}
cd "$(dirname "$0")/../.."
REPO=$PWD
if [ "$SMALL" = 1 ]; then
  NSITES=4 SITE_FILES=100 SITE_MB=4 DB_SCALE=0.0017 SIZE=small ROUNDS=${ROUNDS:-3}
else
  NSITES=20 SITE_FILES=500 SITE_MB=20 DB_SCALE=0.0085 SIZE=full ROUNDS=${ROUNDS:-1}
fi
export FERRY_BENCH_CACHE=${FERRY_BENCH_CACHE:-/var/tmp/ferry-bench-batch-$SIZE}
. bench/migration/lib.sh
. bench/batch/lib.sh
BENCH_USER=ferrybat SRC_USER=ferrybat_src DST_USER=ferrybat_dst
need_root
need_pkgs vsftpd openssh-server lftp time mariadb-client wordpress

W=$B/batch.run
R=$REPO/bench/batch/results/$(date -u +%Y%m%d-%H%M%S)-$SIZE${RTT:+-rtt$RTT}
NS= NSX=()
DST_ROOT=$B/home/dst
rm -rf "$W"; mkdir -p "$W" "$R"
cleanup() {
  set +e
  for p in ${FTPD:-} ${SSHD:-}; do kill "$p" 2>/dev/null; done
  if [ -n "$NS" ]; then
    if [ -n "${MYSQLD:-}" ]; then kill "$MYSQLD" 2>/dev/null; for _ in $(seq 100); do kill -0 "$MYSQLD" 2>/dev/null || break; sleep 0.2; done; fi
    "$REPO/bench/wan/net.sh" down "$NS"
  fi
  cp "$W"/*.log "$W"/*.steps "$W/results" "$R/" 2>/dev/null
  rm -rf "$W"/hand "$W"/data-*/staging "$DST_ROOT"
}
trap cleanup EXIT

. bench/servers.sh
if [ -n "${RTT:-}" ]; then
  # As bench/wan/run.sh: servers, clients and a private MariaDB (data kept in $B/mysql)
  # inside one namespace; ephemeral ports above vsftpd's passive range.
  need_pkgs mariadb-server iptables iproute2
  NS=ferry-batch-$$ NSX=(ip netns exec "ferry-batch-$$")
  bench/wan/net.sh up "$NS" "${RATE:-200mbit}"
  ip netns exec "$NS" sysctl -qw net.ipv4.ip_local_port_range="50000 60999"
  export BENCH_NETNS=$NS
  start_mariadb "$B/mysql"
  PORT=$DB_PORT MYSQLD_PID=$MYSQLD
  ROOT_SQL=(mariadb --socket="$DB_SOCKET" -u root)
else
  MYSQLD_PID=$(ss -ltnpH "sport = :$PORT" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
fi
bench_secrets; bench_user; batch_sites; batch_dbs
echo "$NSITES sites, each: $NFILES files, $(awk -v b="$NBYTES" 'BEGIN {printf "%.1f", b / 1e6}') MB; database $SRC_ROWS rows, mysqldump $DUMP_MB MB: $(echo ${SRC_COUNTS[1]})" | tee "$R/site.txt"

start_file_servers "$W" 43000
[ -z "$NS" ] || bench/wan/net.sh delay "$NS" "$RTT" | tee "$R/rtt.txt"
FILE_SERVER_PIDS="$FTPD $SSHD"

FERRY=$W/ferry
if [ -n "${FERRY_BIN:-}" ]; then cp "$FERRY_BIN" "$FERRY"; else go build -o "$FERRY" .; fi
export FERRY_KEYRING=off
LOGIN_SRC="\"protocol\": \"ftp\", \"host\": \"$HOST\", \"port\": $FTP_PORT, \"user\": \"$BENCH_USER\", \"password\": \"env:BENCH_PASS\""
LOGIN_DST="\"protocol\": \"sftp\", \"host\": \"$HOST\", \"port\": $SSH_PORT, \"user\": \"$BENCH_USER\", \"password\": \"env:BENCH_PASS\""
DB_SRC="\"host\": \"$HOST\", \"port\": $PORT, \"user\": \"$SRC_USER\", \"password\": \"env:SRC_DB_PASS\""
DB_DST="\"host\": \"$HOST\", \"port\": $PORT, \"user\": \"$DST_USER\", \"password\": \"env:DST_DB_PASS\""
OPTIONS='"options": {"overwrite": false, "freshSalts": false, "excludes": [], "httpCheck": false, "httpIp": ""}'
cat > "$W/batch.json" <<JSON
{
  "name": "bench-batch", "method": "ftp",
  "source": {$LOGIN_SRC, "db": {$DB_SRC}},
  "destination": {$LOGIN_DST, "db": {$DB_DST}},
  $OPTIONS
}
JSON
echo "domain,new_url,source_path,source_db,dest_path,dest_db,owner,service" > "$W/sites.csv"
for i in $(seq "$NSITES"); do
  echo "$(site_name "$i").example.com,$(new_url "$i"),$(src_dir "$i"),$(src_db "$i"),$(dst_dir "$i"),$(dst_db "$i"),Bench Owner <owner@example.com>,Business 10GB" >> "$W/sites.csv"
  cat > "$W/job-$i.json" <<JSON
{
  "method": "ftp", "userName": "Bench Owner", "userEmail": "owner@example.com", "service": "Business 10GB",
  "domain": "$(site_name "$i").example.com", "oldUrl": "$OLD_URL", "newUrl": "$(new_url "$i")",
  "source": {$LOGIN_SRC, "path": "$(src_dir "$i")", "db": {$DB_SRC, "name": "$(src_db "$i")"}},
  "destination": {$LOGIN_DST, "path": "$(dst_dir "$i")", "db": {$DB_DST, "name": "$(dst_db "$i")"}},
  $OPTIONS
}
JSON
done
cp "$W/batch.json" "$W/sites.csv" "$R/"

# The sequential route: the same migrations, one `ferry migrate` after another.
cat > "$W/sequential.sh" <<'SH'
set -euo pipefail
: > "$W/sequential.steps"
for i in $(seq "$NSITES"); do
  s=$(date +%s.%N)
  "$FERRY" migrate --spec "$W/job-$i.json" >> "$W/sequential-$ROUND.log" 2>&1
  awk -v a="$s" -v b="$(date +%s.%N)" -v n="$i" 'BEGIN {printf "site%02d %.1fs; ", n, b - a}' >> "$W/sequential.steps"
done
SH
# The by-hand route for one site, one shell so /usr/bin/time sees every client.
cat > "$W/by-hand.sh" <<'SH'
set -euo pipefail
t() { local s; s=$(date +%s.%N); "$@"; awk -v a="$s" -v b="$(date +%s.%N)" -v n="$STEP" 'BEGIN {printf "%s %.1fs; ", n, b - a}' >> "$W/hand.steps"; }
: > "$W/hand.steps"
LFTP_SET="set ftp:ssl-allow no; set ftp:list-options -a; set sftp:auto-confirm yes; set net:max-retries 1"
STEP=lftp-down t lftp -u "$BENCH_USER,$BENCH_PASS" -e "$LFTP_SET; mirror --parallel=4 $SRC_DIR $W/hand/files; quit" "ftp://$HOST:$FTP_PORT"
STEP=mysqldump t sh -c 'MYSQL_PWD=$SRC_DB_PASS mysqldump --protocol=tcp -h "$HOST" -P "$PORT" -u "$SRC_USER" --single-transaction "$SRC_DB" > "$W/hand/dump.sql"'
STEP=sed t sed -i "s#http://old.test#$NEW_URL#g" "$W/hand/dump.sql"
STEP=lftp-up t lftp -u "$BENCH_USER,$BENCH_PASS" -e "$LFTP_SET; mirror -R --parallel=4 $W/hand/files $DST_DIR; quit" "sftp://$HOST:$SSH_PORT"
STEP=mysql-import t sh -c 'MYSQL_PWD=$DST_DB_PASS mysql --protocol=tcp -h "$HOST" -P "$PORT" -u "$DST_USER" "$DST_DB" < "$W/hand/dump.sql"'
SH
export W FERRY NSITES HOST PORT FTP_PORT SSH_PORT BENCH_USER SRC_USER DST_USER

# settings: the history folder $FERRY_DATA_DIR made afresh, with FERRY_SETTINGS in it.
settings() {
  local kv
  rm -rf "$FERRY_DATA_DIR"
  [ -n "${FERRY_SETTINGS:-}" ] || return 0
  need_pkgs sqlite3
  "$FERRY" list > /dev/null
  for kv in $FERRY_SETTINGS; do sqlite3 "$FERRY_DATA_DIR/ferry.db" "INSERT OR REPLACE INTO settings (key, value) VALUES ('${kv%%=*}', '${kv#*=}')"; done
}
run_batch() {
  fresh_dest
  export FERRY_DATA_DIR=$W/data-batch
  settings
  timed batch "${NSX[@]}" "$FERRY" batch --spec "$W/batch.json" --sites "$W/sites.csv"
  cp "$W/out.txt" "$W/batch-$1.log"
  echo "  batch round $1: $(tail -1 "$W/out.txt")"
  grep -q "$NSITES successful, 0 failed of $NSITES sites" "$W/out.txt" || fail "batch round $1: not all sites Successful"
  "$FERRY" list --tab successful --batch bench-batch --json --page-size 500 > "$R/batch-list-$1.json" || true
  python3 bench/batch/timeline.py "$R/batch-list-$1.json" > "$R/batch-timeline-$1.txt" || true
  tail -1 "$R/batch-timeline-$1.txt"
  python3 bench/batch/steps.py "$FERRY_DATA_DIR/ferry.db" | tee "$R/steps-batch-$1.txt" | sed 's/^/  batch steps: /'
  check_sites "batch round $1"
}
run_sequential() {
  fresh_dest
  export ROUND=$1 FERRY_DATA_DIR=$W/data-seq
  settings
  timed sequential "${NSX[@]}" bash "$W/sequential.sh"
  echo "  sequential round $1: $(cat "$W/sequential.steps")"; cp "$W/sequential.steps" "$W/sequential-$1.steps"
  [ "$(grep -c '^Migration [0-9]* completed' "$W/sequential-$1.log")" = "$NSITES" ] || fail "sequential round $1: not every migration completed"
  python3 bench/batch/steps.py "$FERRY_DATA_DIR/ferry.db" | tee "$R/steps-seq-$1.txt" | sed 's/^/  sequential steps: /'
  check_sites "sequential round $1"
}
run_hand() { # ROUND SITE
  local i=$2
  fresh_dest; rm -rf "$W/hand"; mkdir -p "$W/hand"
  SRC_DIR=$(src_dir "$i") DST_DIR=$(dst_dir "$i") SRC_DB=$(src_db "$i") DST_DB=$(dst_db "$i") NEW_URL=$(new_url "$i")
  export SRC_DIR DST_DIR SRC_DB DST_DB NEW_URL
  timed by-hand-1site "${NSX[@]}" bash "$W/by-hand.sh"
  echo "  by-hand round $1 $(site_name "$i"): $(cat "$W/hand.steps")" | tee -a "$W/by-hand.steps"
  check_site "$i" "by-hand round $1"
  rm -rf "$W/hand"
}

ROUTES=${ROUTES:-hand batch sequential}
has() { [[ " $ROUTES " == *" $1 "* ]]; }
{ echo "started $(date -u +%FT%TZ) on $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg); commit $(git rev-parse --short HEAD)${FERRY_BIN:+; ferry built beforehand: $FERRY_BIN}"
  echo "rounds $ROUNDS; ${RTT:+network namespace with RTT $RTT ms, rate ${RATE:-200mbit}, private MariaDB; }routes: $ROUTES; ferry settings: ${FERRY_SETTINGS:-defaults} (defaults: 2 migrations at once, batch: 2 per source host, 2 per destination host, 8 connections per server)"
} | tee "$R/meta.txt"
: > "$W/results"; : > "$W/servers.txt"
echo "label wall_s rss_kb client_cpu_s mysqld_cpu_s ftp_ssh_cpu_s other_cpu_s"
for r in $(seq "$ROUNDS"); do
  base=$(( (r - 1) * 3 ))
  if has hand; then run_hand "$r" $(( base % NSITES + 1 )); fi
  if has batch; then run_batch "$r"; fi
  if has hand; then run_hand "$r" $(( (base + 1) % NSITES + 1 )); fi
  if has sequential; then run_sequential "$r"; fi
  if has hand; then run_hand "$r" $(( (base + 2) % NSITES + 1 )); fi
done
cp "$W/results" "$R/runs.tsv"
[ -z "$NS" ] || bench/wan/net.sh check "$NS" "$RTT" | tee -a "$R/rtt.txt" # still the wanted RTT after the runs
{ echo "Batch, FTP (vsftpd) -> SFTP (OpenSSH), MariaDB -> MariaDB on one machine${RTT:+, RTT $RTT ms}: $(cat "$R/site.txt")"
  echo "$ROUNDS round(s), interleaved by-hand / batch / by-hand / sequential / by-hand; load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  batch_table
  echo; echo "file servers' CPU per run:"; cat "$W/servers.txt"
} | tee "$R/table.txt"
echo "ended $(date -u +%FT%TZ); results in ${R#"$REPO"/}" | tee -a "$R/meta.txt"
