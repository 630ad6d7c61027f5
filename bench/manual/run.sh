#!/usr/bin/env bash
# Manual import: a wordpress-files.zip (made with `zip -r` from the bench site) plus a
# mysqldump file into a local destination folder and MariaDB, `ferry migrate` with the
# manual method against what an admin does by hand (unzip, sed on the dump, mysql <),
# interleaved in the same run (hand, ferry, hand, ferry ...). Every timed run is checked
# (file count and SHA-256 of every file but wp-config.php, row counts per table,
# siteurl/home at the new URL) before its time counts.
#
#   RUNS=3 bench/manual/run.sh
#
# Uses the site and database cached by bench/migration/lib.sh (made on first use); the
# zip and the dump are made once beside them.
set -euo pipefail
RUNS=${RUNS:-3}
cd "$(dirname "$0")/../.."
DST_DB=ferrymig_mdst
. bench/migration/lib.sh
need_root
need_pkgs zip unzip time mariadb-client

W=$B/manual.run
rm -rf "$W"; mkdir -p "$W"
cleanup() { rm -rf "$W/hand" "$W/ferry-data/staging" "$DEST"; }
trap cleanup EXIT
bench_secrets; bench_user; bench_site; bench_db
DEST=$B/manual.dest
ZIP=$B/manual/wordpress-files.zip SQL=$B/manual/database.sql
if [ ! -f "$B/manual/.ready" ]; then
  echo "making $ZIP and $SQL (once) ..."
  rm -rf "$B/manual"; mkdir -p "$B/manual"
  (cd "$SITE" && zip -qr "$ZIP" .)
  MYSQL_PWD=$SRC_DB_PASS mysqldump --protocol=tcp -h "$HOST" -P "$PORT" -u "$SRC_USER" --single-transaction "$SRC_DB" > "$SQL"
  tail -c 100 "$SQL" | grep -q "Dump completed" || fail "mysqldump output incomplete"
  touch "$B/manual/.ready"
fi
echo "zip: $(unzip -Z1 "$ZIP" | grep -vc '/$') files with wp-config.php, $(($(stat -c %s "$ZIP") / 1000000)) MB (unpacked $((NBYTES / 1000000)) MB); dump: $(($(stat -c %s "$SQL") / 1000000)) MB, $SRC_ROWS rows: $(echo $SRC_COUNTS)"
MYSQLD_PID=$(ss -ltnpH "sport = :$PORT" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)

FERRY=$W/ferry
go build -o "$FERRY" .
FERRY_DATA=$W/ferry-data
export FERRY_KEYRING=off FERRY_DATA_DIR=$FERRY_DATA
cat > "$W/job.json" <<JSON
{
  "method": "manual", "userName": "Bench Owner", "userEmail": "owner@example.com", "service": "Business 10GB",
  "domain": "new.example.com", "oldUrl": "$OLD_URL", "newUrl": "$NEW_URL",
  "destination": {"protocol": "local", "path": "$DEST",
    "db": {"host": "$HOST", "port": $PORT, "user": "$DST_USER", "password": "env:DST_DB_PASS", "name": "$DST_DB"}},
  "options": {"overwrite": false, "freshSalts": false, "excludes": [], "httpCheck": false, "httpIp": ""},
  "files": ["$ZIP", "$SQL"]
}
JSON

cat > "$W/by-hand.sh" <<'SH'
set -euo pipefail
t() { local s; s=$(date +%s.%N); "$@"; awk -v a="$s" -v b="$(date +%s.%N)" -v n="$STEP" 'BEGIN {printf "%s %.1fs; ", n, b - a}' >> "$W/hand.steps"; }
: > "$W/hand.steps"
STEP=unzip t unzip -q "$ZIP" -d "$DEST"
STEP=sed t sh -c "sed 's#http://old.test#https://new.example.com#g' '$SQL' > '$W/hand/database.sql'"
STEP=mysql-import t sh -c 'MYSQL_PWD=$DST_DB_PASS mysql --protocol=tcp -h "$HOST" -P "$PORT" -u "$DST_USER" "$DST_DB" < "$W/hand/database.sql"'
SH
export W HOST PORT ZIP SQL DEST DST_USER DST_DB

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
  timed ferry "$FERRY" migrate --spec "$W/job.json"
  local id; id=$(grep -oP 'Migration \K[0-9]+(?= completed)' "$W/out.txt")
  cp "$W/out.txt" "$W/ferry-$1.log"
  echo "  ferry $1: migration $id; $(tail -1 "$W/out.txt")"
  ferry_steps "$id"
  check_files "$DEST" "ferry run $1"; check_db "ferry run $1"
}

: > "$W/results"
echo "label wall_s rss_kb client_cpu_s mysqld_cpu_s -"
for i in $(seq "$RUNS"); do
  run_hand "$i"
  run_ferry "$i"
done
summary by-hand ferry 0.8
echo "(zip $(($(stat -c %s "$ZIP") / 1000000)) MB / $NFILES files, dump $(($(stat -c %s "$SQL") / 1000000)) MB / $SRC_ROWS rows; $RUNS interleaved runs; logs in $W)"
