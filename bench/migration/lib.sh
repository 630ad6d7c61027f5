# lib.sh is sourced by bench/migration/run.sh and bench/manual/run.sh: the cached
# WordPress site (files + database), the checks every timed run must pass, and timing.
#
# Cache (made once, reused by every run): $B/home/public_html (the site, owned by the
# bench user), $B/site.sha (hashes), database ferrymig_src on the local MariaDB.
# shellcheck shell=bash

B=${FERRY_BENCH_CACHE:-/var/tmp/ferry-bench}
HOST=127.0.0.1 PORT=3306
SRC_DB=ferrymig_src DST_DB=${DST_DB:-ferrymig_dst}
SRC_USER=ferrymig_src DST_USER=ferrymig_dst
OLD_URL=http://old.test NEW_URL=https://new.example.com
BENCH_USER=ferrymig
SITE=$B/home/public_html
ROOT_SQL=(mariadb --protocol=tcp -h "$HOST" -P "$PORT" -u root)

need_root() { [ "$(id -u)" = 0 ] || { echo "run as root: vsftpd, sshd and the bench user need it" >&2; exit 1; }; }
need_pkgs() { for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || apt-get install -y -q "$pkg" >/dev/null; done; }
fail() { echo "VERIFY FAILED: $*" >&2; exit 1; }

# secrets: fixed per cache so a cached database keeps working; only loopback servers use them.
bench_secrets() {
  mkdir -p "$B"
  [ -f "$B/secrets" ] || printf 'BENCH_PASS=bench-%s\nSRC_DB_PASS=src-%s\nDST_DB_PASS=dst-%s\n' \
    "$RANDOM$RANDOM" "$RANDOM$RANDOM" "$RANDOM$RANDOM" > "$B/secrets"
  chmod 600 "$B/secrets"
  # shellcheck disable=SC1091
  . "$B/secrets"
  export BENCH_PASS SRC_DB_PASS DST_DB_PASS
}

bench_user() {
  id "$BENCH_USER" >/dev/null 2>&1 || useradd -d "$B/home" -M -s /bin/bash "$BENCH_USER"
  mkdir -p "$B/home"; chown "$BENCH_USER:$BENCH_USER" "$B/home"; chmod 755 "$B" "$B/home"
  echo "$BENCH_USER:$BENCH_PASS" | chpasswd
}

# bench_site makes the site once: WordPress core from Debian's package (links resolved),
# a plain wp-config.php for the source database, .htaccess files and generated uploads
# (the same recipe as bench/transfer/run.sh). SITE_SCALE below 1 (bench/wan's short run)
# keeps only WordPress's top-level files, wp-includes/version.php and that share of the uploads.
bench_site() {
  if [ ! -f "$B/site.ready" ]; then
    echo "making the site under $SITE (once) ..."
    rm -rf "$SITE"; mkdir -p "$SITE"
    if awk -v s="${SITE_SCALE:-1}" 'BEGIN {exit !(s < 1)}'; then
      find /usr/share/wordpress -maxdepth 1 -type f -exec cp -L {} "$SITE/" \; 2>/dev/null || true
      mkdir -p "$SITE/wp-includes"; cp -L /usr/share/wordpress/wp-includes/version.php "$SITE/wp-includes/"
    else
      cp -rL /usr/share/wordpress/. "$SITE/" 2>/dev/null || true
    fi
    sed -e "s/database_name_here/$SRC_DB/" -e "s/username_here/$SRC_USER/" \
        -e "s/password_here/$SRC_DB_PASS/" -e "s/'localhost'/'$HOST'/" \
        "$SITE/wp-config-sample.php" > "$SITE/wp-config.php"
    printf 'RewriteEngine On\n' > "$SITE/.htaccess"
    python3 - "$SITE" "${SITE_SCALE:-1}" <<'PY'
import os, random, sys
root = sys.argv[1]; r = random.Random(7); k = float(sys.argv[2])
sizes = [2_000]*round(300*k) + [30_000]*round(500*k) + [150_000]*round(300*k) + [600_000]*round(80*k) + [3_000_000]*round(12*k)
for i, s in enumerate(sizes):
    d = os.path.join(root, "wp-content/uploads/%d/%02d" % (2015 + i % 10, 1 + i % 12))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "img-%04d.jpg" % i), "wb") as f:
        f.write(r.randbytes(s))
open(os.path.join(root, "wp-content/uploads/.htaccess"), "w").write("Options -Indexes\n")
PY
    chown -R "$BENCH_USER:$BENCH_USER" "$SITE"
    hashes "$SITE" > "$B/site.sha"
    touch "$B/site.ready"
  fi
  NFILES=$(wc -l < "$B/site.sha")
  NBYTES=$(find "$SITE" -type f ! -name wp-config.php -printf '%s\n' | awk '{s+=$1} END {print s}')
}

# hashes DIR: SHA-256 of every file but wp-config.php (Ferry rewrites it by design).
hashes() { (cd "$1" && find . -type f ! -path ./wp-config.php -print0 | sort -z | xargs -0 sha256sum); }
check_files() { # DIR LABEL
  hashes "$1" > "$W/got.sha"
  cmp -s "$B/site.sha" "$W/got.sha" || { diff "$B/site.sha" "$W/got.sha" | head >&2; fail "$2: files differ from the source ($(wc -l < "$W/got.sha") of $NFILES)"; }
}

# bench_db loads the source database once with bench/mysql/gen (LOAD DATA is the fast
# path), then makes the two database users.
bench_db() {
  if ! "${ROOT_SQL[@]}" -N -e "SELECT option_value FROM $SRC_DB.wp_options WHERE option_name='siteurl'" 2>/dev/null | grep -qx "$OLD_URL"; then
    echo "generating database $SRC_DB (once) ..."
    go build -o "$B/gen" ./bench/mysql/gen
    rm -rf "$B/gen.out"; mkdir -p "$B/gen.out"
    "$B/gen" -out "$B/gen.out" -scale "${SCALE:-1}"
    "${ROOT_SQL[@]}" -e "DROP DATABASE IF EXISTS $SRC_DB; CREATE DATABASE $SRC_DB CHARACTER SET utf8mb4"
    "${ROOT_SQL[@]}" "$SRC_DB" < "$B/gen.out/schema.sql"
    for t in wp_posts wp_postmeta wp_comments wp_options; do
      "${ROOT_SQL[@]}" --local-infile=1 "$SRC_DB" -e "SET SESSION sql_mode=''; SET unique_checks=0; LOAD DATA LOCAL INFILE '$B/gen.out/$t.tsv' INTO TABLE $t CHARACTER SET utf8mb4"
    done
    "${ROOT_SQL[@]}" "$SRC_DB" -e "ANALYZE TABLE wp_posts, wp_postmeta, wp_comments, wp_options" >/dev/null
    rm -rf "$B/gen.out"
  fi
  local h
  for h in 127.0.0.1 localhost; do
    "${ROOT_SQL[@]}" -e "CREATE USER IF NOT EXISTS '$SRC_USER'@'$h' IDENTIFIED BY '$SRC_DB_PASS';
      ALTER USER '$SRC_USER'@'$h' IDENTIFIED BY '$SRC_DB_PASS'; GRANT ALL ON $SRC_DB.* TO '$SRC_USER'@'$h';
      CREATE USER IF NOT EXISTS '$DST_USER'@'$h' IDENTIFIED BY '$DST_DB_PASS';
      ALTER USER '$DST_USER'@'$h' IDENTIFIED BY '$DST_DB_PASS'; GRANT ALL ON $DST_DB.* TO '$DST_USER'@'$h'"
  done
  SRC_COUNTS=$(row_counts "$SRC_DB")
  SRC_ROWS=$(awk '{s+=$2} END {print s}' <<<"$SRC_COUNTS")
  SRC_MB=$("${ROOT_SQL[@]}" -N -e "SELECT ROUND(SUM(DATA_LENGTH+INDEX_LENGTH)/1048576) FROM information_schema.TABLES WHERE TABLE_SCHEMA='$SRC_DB'")
}

row_counts() { # DB: "table count" lines
  local t
  for t in $("${ROOT_SQL[@]}" -N -e "SELECT table_name FROM information_schema.TABLES WHERE table_schema='$1' ORDER BY 1"); do
    echo "$t $("${ROOT_SQL[@]}" -N -e "SELECT COUNT(*) FROM \`$1\`.\`$t\`")"
  done
}
fresh_dst_db() { "${ROOT_SQL[@]}" -e "DROP DATABASE IF EXISTS $DST_DB; CREATE DATABASE $DST_DB CHARACTER SET utf8mb4"; }

# check_db LABEL: same row counts per table, siteurl and home at the new URL, no old URL
# left in post content.
check_db() {
  local got url left
  got=$(row_counts "$DST_DB")
  [ "$got" = "$SRC_COUNTS" ] || fail "$1: row counts differ: $(echo $got) != $(echo $SRC_COUNTS)"
  url=$("${ROOT_SQL[@]}" -N -e "SELECT GROUP_CONCAT(option_value ORDER BY option_name) FROM $DST_DB.wp_options WHERE option_name IN ('home','siteurl')")
  [ "$url" = "$NEW_URL,$NEW_URL" ] || fail "$1: home,siteurl = $url, want $NEW_URL"
  left=$("${ROOT_SQL[@]}" -N -e "SELECT COUNT(*) FROM $DST_DB.wp_posts WHERE post_content LIKE '%old.test%'")
  [ "$left" = 0 ] || fail "$1: $left posts still hold old.test"
}

# cpu_ticks PID...: user+system CPU of the processes and their reaped children, in ticks.
cpu_ticks() {
  local p s=0
  for p in "$@"; do
    [ -r "/proc/$p/stat" ] || continue
    s=$((s + $(awk '{print $14+$15+$16+$17}' <(sed 's/^.*) //; s/^/x x /' "/proc/$p/stat"))))
  done
  echo "$s"
}
TICK=$(getconf CLK_TCK)
busy_ticks() { awk '/^cpu / {print $2+$3+$4+$7+$8+$9}' /proc/stat; }

# timed LABEL CMD...: runs CMD under /usr/bin/time -v and appends to $W/results
# "LABEL wall_s rss_kb client_cpu_s mysqld_cpu_s ftp_ssh_cpu_s other_cpu_s", where other is
# the CPU the rest of this (shared) machine used meanwhile: what made the run noisy.
timed() {
  local label=$1 m0 f0 b0 m1 f1 b1 ft0 st0; shift
  m0=$(cpu_ticks $MYSQLD_PID); f0=$(cpu_ticks ${FILE_SERVER_PIDS:-}); b0=$(busy_ticks)
  ft0=$(cpu_ticks ${FTPD:-}); st0=$(cpu_ticks ${SSHD:-})
  /usr/bin/time -v -o "$W/time.txt" "$@" >"$W/out.txt" 2>&1 || { tail -30 "$W/out.txt" >&2; cat "$W/time.txt" >&2; fail "$label exited non-zero"; }
  m1=$(cpu_ticks $MYSQLD_PID); f1=$(cpu_ticks ${FILE_SERVER_PIDS:-}); b1=$(busy_ticks)
  if [ -n "${FTPD:-}${SSHD:-}" ]; then # which file server the ftp+ssh column went to
    awk -v l="$label" -v f=$(($(cpu_ticks ${FTPD:-}) - ft0)) -v s=$(($(cpu_ticks ${SSHD:-}) - st0)) -v t="$TICK" \
      'BEGIN {printf "  %s: vsftpd %.2fs, sshd %.2fs of CPU\n", l, f/t, s/t}' >> "$W/servers.txt"
  fi
  awk -F': ' -v l="$label" -v m=$(((m1 - m0))) -v f=$(((f1 - f0))) -v b=$(((b1 - b0))) -v t="$TICK" '
    /Elapsed \(wall/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; w=s}
    /Maximum resident/ {r=$2} /User time/ {u=$2} /System time/ {y=$2}
    END {printf "%s %.2f %d %.2f %.2f %.2f %.2f\n", l, w, r, u+y, m/t, f/t, b/t - (u+y) - m/t - f/t}' "$W/time.txt" | tee -a "$W/results"
}

# summary BASELINE FERRY TARGET: medians, minimums, ratio of medians, peak RSS, CPU.
summary() {
  awk -v base="$1" -v fer="$2" -v target="$3" -v fs_col="${FILE_SERVER_PIDS:+1}" '
  { n[$1]++; w[$1, n[$1]] = $2; if ($3 > rss[$1]) rss[$1] = $3; c[$1] += $4; m[$1] += $5; f[$1] += $6; o[$1] += $7 }
  function med(k,   i, j, t, a, cnt) { cnt = n[k]; for (i = 1; i <= cnt; i++) a[i] = w[k, i]
    for (i = 1; i <= cnt; i++) for (j = i + 1; j <= cnt; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    mn[k] = a[1]; return (cnt % 2) ? a[(cnt + 1) / 2] : (a[cnt / 2] + a[cnt / 2 + 1]) / 2 }
  END {
    printf "\n%-8s %5s %9s %8s %11s %11s %11s%s%s\n", "route", "runs", "median_s", "min_s", "peakRSS_MB", "client_cpu", "mysqld_cpu", (fs_col ? "   ftp+ssh_cpu" : ""), "  other_cpu"
    split(base " " fer, ks, " ")
    for (i = 1; i <= 2; i++) { k = ks[i]; md[k] = med(k)
      printf "%-8s %5d %9.2f %8.2f %11.1f %11.2f %11.2f", k, n[k], md[k], mn[k], rss[k] / 1024, c[k] / n[k], m[k] / n[k]
      if (fs_col) printf " %13.2f", f[k] / n[k]
      printf " %10.2f\n", o[k] / n[k] }
    for (i = 1; i <= n[fer] && i <= n[base]; i++) pr[i] = w[fer, i] / w[base, i]
    np = i - 1; for (i = 1; i <= np; i++) for (j = i + 1; j <= np; j++) if (pr[j] < pr[i]) { t = pr[i]; pr[i] = pr[j]; pr[j] = t }
    printf "ratio of each round (ferry/by-hand, sorted):"; for (i = 1; i <= np; i++) printf " %.2f", pr[i]
    printf "; median %.2f\n", (np % 2) ? pr[(np + 1) / 2] : (pr[np / 2] + pr[np / 2 + 1]) / 2
    r = md[fer] / md[base]
    printf "ratio ferry/by-hand (medians) = %.2f (target <= %s: %s); Ferry peak RSS %.0f MB (target < 200 MB: %s)\n",
      r, target, (r <= target ? "met" : "MISSED"), rss[fer] / 1024, (rss[fer] / 1024 < 200 ? "met" : "MISSED")
    print "(CPU columns are seconds per run, averaged; mysqld is shared with other users of this machine;"
    print " other_cpu is what the rest of the machine used meanwhile, out of 2 x wall seconds)"
  }' "$W/results"
}

# ferry_steps ID: the per-step durations Ferry recorded for migration ID.
ferry_steps() {
  FERRY_DATA_DIR=$FERRY_DATA FERRY_KEYRING=off "$FERRY" export --format json --id "$1" -o "$W/report.json" >/dev/null 2>&1 &&
    python3 - "$W/report.json" <<'PY' || true
import json, sys
d = json.load(open(sys.argv[1]))
rows = d if isinstance(d, list) else d.get("migrations") or d.get("rows") or [d]
for m in rows:
    steps = m.get("steps") or []
    print("   steps:", ", ".join("%s %.1fs" % (s.get("title") or s.get("id"), (s.get("durationMs") or 0) / 1000) for s in steps))
PY
}

# build_ferry_and_routes builds Ferry into $W/ferry, writes its job file ($W/job.json, FTP
# source to SFTP destination) and the by-hand route ($W/by-hand.sh: lftp mirror down,
# mysqldump, sed, lftp mirror -R up, mysql, each step's time appended to $W/hand.steps).
build_ferry_and_routes() {
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
    "db": {"host": "$HOST", "port": $PORT, "user": "$SRC_USER", "password": "env:SRC_DB_PASS", "name": "$SRC_DB", "siteIp": "${SITE_IP:-}"}},
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
}
