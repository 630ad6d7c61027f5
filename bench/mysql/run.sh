#!/usr/bin/env bash
# run.sh benchmarks Ferry's MySQL engine against mysqldump and the mariadb/mysql client on
# the same server, interleaved (A B C A B C ...), verifying every run's row counts.
#
#   bench/mysql/run.sh     # data generated and loaded once into $WORK and ferry_bench_src
#
# Environment: MYSQL_HOST (127.0.0.1) MYSQL_PORT (3306) MYSQL_USER (root) MYSQL_PWD (empty),
#              WORK (/tmp/ferry-bench-mysql), SCALE (1: ~1.08M rows, ~590 MB of SQL),
#              DUMP_RUNS (5) and IMPORT_RUNS (3) interleaved rounds; 0 skips that part.
set -euo pipefail
cd "$(dirname "$0")/../.."

HOST=${MYSQL_HOST:-127.0.0.1} PORT=${MYSQL_PORT:-3306} USER_=${MYSQL_USER:-root}
export MYSQL_PWD=${MYSQL_PWD:-}
WORK=${WORK:-/tmp/ferry-bench-mysql} SCALE=${SCALE:-1}
DUMP_RUNS=${DUMP_RUNS:-5} IMPORT_RUNS=${IMPORT_RUNS:-3}
SRC=ferry_bench_src DST=ferry_bench_dst
DSN_BASE="${USER_}${MYSQL_PWD:+:$MYSQL_PWD}@tcp(${HOST}:${PORT})"
client=(mariadb --protocol=tcp -h "$HOST" -P "$PORT" -u "$USER_")
dumper=(mysqldump --protocol=tcp -h "$HOST" -P "$PORT" -u "$USER_")
mkdir -p "$WORK"

go build -o "$WORK/ferrybench" ./bench/mysql/ferrybench
go build -o "$WORK/gen" ./bench/mysql/gen

# 1. the source database, generated and loaded once (LOAD DATA is the fast path)
if ! "${client[@]}" -N -e "SELECT COUNT(*) FROM $SRC.wp_options" >/dev/null 2>&1; then
	echo "generating data (scale $SCALE) ..."
	"$WORK/gen" -out "$WORK" -scale "$SCALE"
	"${client[@]}" -e "DROP DATABASE IF EXISTS $SRC; CREATE DATABASE $SRC CHARACTER SET utf8mb4"
	"${client[@]}" "$SRC" <"$WORK/schema.sql"
	for t in wp_posts wp_postmeta wp_comments wp_options; do
		"${client[@]}" --local-infile=1 "$SRC" -e "SET SESSION sql_mode=''; SET unique_checks=0; LOAD DATA LOCAL INFILE '$WORK/$t.tsv' INTO TABLE $t CHARACTER SET utf8mb4"
	done
	"${client[@]}" "$SRC" -e "ANALYZE TABLE wp_posts, wp_postmeta, wp_comments, wp_options" >/dev/null
	rm -f "$WORK"/*.tsv
fi
EXPECT=$("$WORK/ferrybench" count -dsn "$DSN_BASE/$SRC")
TOTAL=${EXPECT##*total=}
SIZE_MB=$("${client[@]}" -N -e "SELECT ROUND(SUM(DATA_LENGTH)/1048576) FROM information_schema.TABLES WHERE TABLE_SCHEMA='$SRC'")
echo "source: $EXPECT (data ${SIZE_MB} MB)"

RESULTS="$WORK/results.txt"
: >"$RESULTS"
# timed NAME CMD...: runs CMD under /usr/bin/time, appends "NAME wall rss_kb user sys"
timed() {
	local name=$1
	shift
	/usr/bin/time -f "%e %M %U %S" -o "$WORK/time.out" "$@"
	echo "$name $(cat "$WORK/time.out")" >>"$RESULTS"
	echo "  $name: $(cat "$WORK/time.out") (wall s, peak RSS KB, user s, sys s)" >&2
}
fail() { echo "VERIFY FAILED: $*" >&2; exit 1; }

verify_dst() { # every import must reproduce the exact row counts
	local got
	got=$("$WORK/ferrybench" count -dsn "$DSN_BASE/$DST")
	[[ "$got" == "$EXPECT" ]] || fail "$1: $got != $EXPECT"
}
fresh_dst() { "${client[@]}" -e "DROP DATABASE IF EXISTS $DST; CREATE DATABASE $DST CHARACTER SET utf8mb4"; }

for i in $(seq 1 "$DUMP_RUNS"); do
	echo "dump round $i/$DUMP_RUNS"
	timed dump_mysqldump sh -c "$(printf '%q ' "${dumper[@]}") --single-transaction $SRC >'$WORK/mysqldump.sql'"
	tail -c 200 "$WORK/mysqldump.sql" | grep -q "Dump completed" || fail "mysqldump output incomplete"
	for w in 1 0; do
		timed "dump_ferry_w$w" "$WORK/ferrybench" dump -dsn "$DSN_BASE/$SRC" -workers $w -out "$WORK/ferry.sql" >"$WORK/ferry.out"
		grep -q "rows=$TOTAL " "$WORK/ferry.out" || fail "ferry dump w$w: $(cat "$WORK/ferry.out") expected rows=$TOTAL"
	done
done
[[ -s "$WORK/mysqldump.sql" ]] || "${dumper[@]}" --single-transaction "$SRC" >"$WORK/mysqldump.sql"
for i in $(seq 1 "$IMPORT_RUNS"); do
	echo "import round $i/$IMPORT_RUNS (all three import the same mysqldump file)"
	fresh_dst
	timed import_client sh -c "$(printf '%q ' "${client[@]}") $DST <'$WORK/mysqldump.sql'"
	verify_dst import_client
	for w in 1 0; do
		fresh_dst
		timed "import_ferry_w$w" "$WORK/ferrybench" import -dsn "$DSN_BASE/$DST" -workers $w -in "$WORK/mysqldump.sql" >"$WORK/ferry.out"
		verify_dst "import_ferry_w$w"
	done
done
"${client[@]}" -e "DROP DATABASE IF EXISTS $DST"

DUMP_MB=$(($(stat -c %s "$WORK/mysqldump.sql") / 1048576))
echo
echo "dump file ${DUMP_MB} MB; $DUMP_RUNS dump and $IMPORT_RUNS import rounds, interleaved; MB/s = dump file size / median wall time"
awk -v mb="$DUMP_MB" '
{ n[$1]++; w[$1, n[$1]] = $2; if ($3 > rss[$1]) rss[$1] = $3; cpu[$1] += $4 + $5 }
function median(k,   i, j, t, a, c) { c = n[k]; for (i = 1; i <= c; i++) a[i] = w[k, i]
	for (i = 1; i <= c; i++) for (j = i + 1; j <= c; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
	mn[k] = a[1]; return (c % 2) ? a[(c + 1) / 2] : (a[c / 2] + a[c / 2 + 1]) / 2 }
END {
	printf "%-18s %8s %8s %8s %8s %10s %12s\n", "run", "median_s", "min_s", "MB/s", "ratio", "peakRSS_MB", "client_cpu_s"
	split("dump_mysqldump dump_ferry_w1 dump_ferry_w0 import_client import_ferry_w1 import_ferry_w0", ks, " ")
	for (i = 1; i <= 6; i++) { k = ks[i]; if (n[k]) med[k] = median(k) }
	for (i = 1; i <= 6; i++) { k = ks[i]; if (!n[k]) continue; base = (k ~ /^dump/) ? med["dump_mysqldump"] : med["import_client"]
		printf "%-18s %8.2f %8.2f %8.1f %8.2f %10.1f %12.2f\n", k, med[k], mn[k], mb / med[k], med[k] / base, rss[k] / 1024, cpu[k] / n[k] }
	print "(w0 = Ferry defaults: 4 dump workers, 2 import connections)"
}' "$RESULTS"
