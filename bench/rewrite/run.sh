#!/usr/bin/env bash
# Times Ferry's serialized-safe rewrite of a ≥500 MB WordPress dump against
# sed 's#old.test#new.test#g' on the same file, interleaved (ferry, own, sed, ferry…)
# on one core (GOMAXPROCS=1, taskset when available), and checks every run's output.
# "ferry" is the product path (mysqldb.RewriteStream + wordpress.Replacer); "own" is the
# Replacer behind a minimal mysqldump-only pass (ownpass.go), whose output must be
# byte-identical, to show what the Replacer itself costs.
# MB/s(cpu) divides the size by user+sys time, which stays meaningful when other work
# shares the machine; wall-clock numbers do not.
# Usage: bench/rewrite/run.sh [runs] [size_mib]   (defaults: 5 runs, 512 MiB)
set -euo pipefail
RUNS=${1:-5}
MB=${2:-512}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${BENCH_DIR:-$(mktemp -d /tmp/ferry-bench-rewrite.XXXXXX)}
BIN=$WORK/rewrite
DUMP=$WORK/dump.sql
cd "$ROOT"
go build -o "$BIN" ./bench/rewrite
if [[ ! -s $DUMP ]]; then
  echo "generating $MB MiB dump in $DUMP"
  "$BIN" gen -out "$DUMP" -mb "$MB"
fi
SIZE=$(stat -c %s "$DUMP")
PIN=()
if command -v taskset >/dev/null; then PIN=(taskset -c 0); fi
export GOMAXPROCS=1 LC_ALL=C

# time_run NAME CMD...: runs CMD under /usr/bin/time -v, appends "seconds rss_kb user sys" to $WORK/NAME.times
time_run() {
  local name=$1; shift
  /usr/bin/time -v -o "$WORK/time.txt" "${PIN[@]}" "$@" >"$WORK/$name.stdout"
  local wall user sys rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/{n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$WORK/time.txt")
  user=$(awk -F': ' '/User time/{print $2}' "$WORK/time.txt")
  sys=$(awk -F': ' '/System time/{print $2}' "$WORK/time.txt")
  rss=$(awk -F': ' '/Maximum resident/{print $2}' "$WORK/time.txt")
  echo "$wall $rss $user $sys" >>"$WORK/$name.times"
}

rm -f "$WORK"/ferry.times "$WORK"/own.times "$WORK"/sed.times
for i in $(seq "$RUNS"); do
  time_run ferry "$BIN" ferry -in "$DUMP" -out "$WORK/out.ferry.sql"
  sha_f=$(sha256sum "$WORK/out.ferry.sql" | cut -d' ' -f1)
  if [[ $i -gt 1 && $sha_f != "$prev_f" ]]; then echo "ferry output differs between runs" >&2; exit 1; fi
  prev_f=$sha_f
  time_run own "$BIN" ownpass -in "$DUMP" -out "$WORK/out.own.sql"
  if ! cmp -s "$WORK/out.own.sql" "$WORK/out.ferry.sql"; then echo "ownpass and ferry outputs differ" >&2; exit 1; fi
  time_run sed sed 's#old.test#new.test#g' "$DUMP"
  mv "$WORK/sed.stdout" "$WORK/out.sed.sql"
  sha_s=$(sha256sum "$WORK/out.sed.sql" | cut -d' ' -f1)
  if [[ $i -gt 1 && $sha_s != "$prev_s" ]]; then echo "sed output differs between runs" >&2; exit 1; fi
  prev_s=$sha_s
done

echo "== checks (outside the timed runs)"
echo "ferry run: $(cat "$WORK/ferry.stdout")"
echo "input:  $("$BIN" check -in "$DUMP")"
echo "ferry:  $("$BIN" check -in "$WORK/out.ferry.sql")"
echo "sed:    $("$BIN" check -in "$WORK/out.sed.sql")"
sed 's#http://old.test#https://www.new-site.example.com:8080/blog#g' "$DUMP" >"$WORK/out.sed-long.sql"
echo "sed to the real new URL (different length): $("$BIN" check -in "$WORK/out.sed-long.sql")"
if ! "$BIN" check -in "$WORK/out.ferry.sql" | grep -q 'serialized_invalid=0 old_url_values_left=0'; then
  echo "FAIL: ferry output has broken serialized values or old URLs left" >&2; exit 1
fi

summary() {
  awk -v size="$SIZE" -v name="$1" '
    { w[NR]=$1; r[NR]=$2; c[NR]=$3+$4 }
    function median(a, n,   i, j, t, b) { for (i=1;i<=n;i++) b[i]=a[i];
      for (i=1;i<=n;i++) for (j=i+1;j<=n;j++) if (b[j]<b[i]) { t=b[i]; b[i]=b[j]; b[j]=t }
      return (n%2) ? b[(n+1)/2] : (b[n/2]+b[n/2+1])/2 }
    function minimum(a, n,   i, m) { m=a[1]; for (i=2;i<=n;i++) if (a[i]<m) m=a[i]; return m }
    function maximum(a, n,   i, m) { m=a[1]; for (i=2;i<=n;i++) if (a[i]>m) m=a[i]; return m }
    END { n=NR; mw=median(w,n); mc=median(c,n);
      printf "%-6s runs=%d wall median=%.2fs min=%.2fs  MB/s(wall median)=%.0f (best)=%.0f  cpu(user+sys) median=%.2fs MB/s(cpu)=%.0f  peakRSS=%dMB\n",
        name, n, mw, minimum(w,n), size/1e6/mw, size/1e6/minimum(w,n), mc, size/1e6/mc, maximum(r,n)/1024 }' "$WORK/$1.times"
}
med() { awk -v col="$2" '{a[NR]=(col==1)?$1:$3+$4} END{n=NR; for(i=1;i<=n;i++) for(j=i+1;j<=n;j++) if(a[j]<a[i]){t=a[i];a[i]=a[j];a[j]=t}; print (n%2)? a[(n+1)/2] : (a[n/2]+a[n/2+1])/2}' "$WORK/$1.times"; }
echo "== $RUNS interleaved runs each on $((SIZE/1000000)) MB, GOMAXPROCS=1 ${PIN[*]}, load: $(cut -d' ' -f1-3 /proc/loadavg)"
summary ferry
summary own
summary sed
for x in ferry own; do
  awk -v n="$x" -v fw="$(med $x 1)" -v sw="$(med sed 1)" -v fc="$(med $x 3)" -v sc="$(med sed 3)" \
    'BEGIN{ printf "ratio %s/sed: wall medians %.2f, cpu medians %.2f\n", n, fw/sw, fc/sc }'
done
echo "files kept in $WORK"
