# Sourced by bench/batch/run.sh: the cached sites and databases of the batch benchmark,
# the checks every timed run must pass, and the table.
#
# Cache (made once per size, reused by every run): $B/src/siteNN/public_html (each site
# its own generated files, owned by the bench user), $B/sites/siteNN.sha (their hashes),
# databases ferrybat_SIZE_src_NN on the local MariaDB (named per size: both sizes share it) (one generated database, loaded NSITES times).
# shellcheck shell=bash

site_name() { printf 'site%02d' "$1"; }
src_db() { printf 'ferrybat_%s_src_%02d' "$SIZE" "$1"; }
dst_db() { printf 'ferrybat_%s_dst_%02d' "$SIZE" "$1"; }
src_dir() { echo "$B/src/$(site_name "$1")/public_html"; }
dst_dir() { echo "$DST_ROOT/$(site_name "$1")/public_html"; }
new_url() { echo "https://$(site_name "$1").example.com"; }

# batch_sites makes NSITES sites once: WordPress's top-level files and
# wp-includes/version.php from Debian's package, a wp-config.php for the site's own source
# database, .htaccess, and generated uploads (random bytes, a seed per site) that bring the
# site to SITE_FILES files and about SITE_MB MB.
batch_sites() {
  local i dir
  mkdir -p "$B/sites"
  for i in $(seq "$NSITES"); do
    dir=$(src_dir "$i")
    [ -f "$B/sites/$(site_name "$i").ready" ] && continue
    echo "making $(site_name "$i") under $dir (once) ..."
    rm -rf "$dir"; mkdir -p "$dir/wp-includes"
    find /usr/share/wordpress -maxdepth 1 -type f -exec cp -L {} "$dir/" \; 2>/dev/null || true
    cp -L /usr/share/wordpress/wp-includes/version.php "$dir/wp-includes/"
    sed -e "s/database_name_here/$(src_db "$i")/" -e "s/username_here/$SRC_USER/" \
        -e "s/password_here/$SRC_DB_PASS/" -e "s/'localhost'/'$HOST'/" \
        "$dir/wp-config-sample.php" > "$dir/wp-config.php"
    printf 'RewriteEngine On\n' > "$dir/.htaccess"
    python3 - "$dir" "$i" "$SITE_FILES" "$SITE_MB" <<'PY'
import os, random, sys
root, seed, files, mb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
r = random.Random(seed)
have = sum(len(fs) for _, _, fs in os.walk(root))
have_bytes = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(root) for f in fs)
n = files - have - 1  # -1: uploads/.htaccess
a, b = round(n * .58), round(n * .31)
c = round(n * .10); d = max(1, n - a - b - c)
rest = mb * 1e6 - have_bytes - a * 3_000 - b * 40_000
sizes = [3_000] * a + [40_000] * b + [int(rest * .46 / max(c, 1))] * c + [int(rest * .54 / d)] * d
for i, s in enumerate(sizes):
    p = os.path.join(root, "wp-content/uploads/%d/%02d" % (2015 + i % 10, 1 + i % 12))
    os.makedirs(p, exist_ok=True)
    with open(os.path.join(p, "img-%04d.jpg" % i), "wb") as f:
        f.write(r.randbytes(max(s, 1)))
open(os.path.join(root, "wp-content/uploads/.htaccess"), "w").write("Options -Indexes\n")
PY
    chown -R "$BENCH_USER:$BENCH_USER" "$B/src"
    hashes "$dir" > "$B/sites/$(site_name "$i").sha"
    touch "$B/sites/$(site_name "$i").ready"
  done
  NFILES=$(find "$(src_dir 1)" -type f | wc -l)
  NBYTES=$(find "$(src_dir 1)" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
}

# batch_dbs generates one WordPress-shaped database with bench/mysql/gen at DB_SCALE and
# loads it into each site's source database (LOAD DATA), once; then the two accounts the
# spec shares: the source one may use every ferrybat_*_src_NN, the destination one every
# ferrybat_*_dst_NN. SRC_COUNTS[N] are site N's source row counts.
batch_dbs() {
  local i db h
  for i in $(seq "$NSITES"); do
    db=$(src_db "$i")
    # A database loaded at another scale (the same names serve every cache folder on this
    # MariaDB) is loaded again.
    "${ROOT_SQL[@]}" -N -e "SELECT option_value FROM $db.wp_options WHERE option_name='ferry_bench_scale'" 2>/dev/null | grep -qx "$DB_SCALE" && continue
    if [ ! -d "$B/gen-$DB_SCALE.out" ]; then
      echo "generating the source database (scale $DB_SCALE, once) ..."
      go build -o "$B/gen" ./bench/mysql/gen
      rm -rf "$B/gen.tmp"; mkdir -p "$B/gen.tmp"; "$B/gen" -out "$B/gen.tmp" -scale "$DB_SCALE"; mv "$B/gen.tmp" "$B/gen-$DB_SCALE.out"
    fi
    echo "loading $db (once) ..."
    "${ROOT_SQL[@]}" -e "DROP DATABASE IF EXISTS $db; CREATE DATABASE $db CHARACTER SET utf8mb4"
    "${ROOT_SQL[@]}" "$db" < "$B/gen-$DB_SCALE.out/schema.sql"
    for t in wp_posts wp_postmeta wp_comments wp_options; do
      "${ROOT_SQL[@]}" --local-infile=1 "$db" -e "SET SESSION sql_mode=''; SET unique_checks=0; LOAD DATA LOCAL INFILE '$B/gen-$DB_SCALE.out/$t.tsv' INTO TABLE $t CHARACTER SET utf8mb4"
    done
    "${ROOT_SQL[@]}" "$db" -e "INSERT INTO wp_options (option_name, option_value, autoload) VALUES ('ferry_bench_scale', '$DB_SCALE', 'no')"
  done
  for h in 127.0.0.1 localhost; do
    "${ROOT_SQL[@]}" -e "CREATE USER IF NOT EXISTS '$SRC_USER'@'$h' IDENTIFIED BY '$SRC_DB_PASS';
      ALTER USER '$SRC_USER'@'$h' IDENTIFIED BY '$SRC_DB_PASS'; GRANT ALL ON \`ferrybat\\_%\\_src\\_%\`.* TO '$SRC_USER'@'$h';
      CREATE USER IF NOT EXISTS '$DST_USER'@'$h' IDENTIFIED BY '$DST_DB_PASS';
      ALTER USER '$DST_USER'@'$h' IDENTIFIED BY '$DST_DB_PASS'; GRANT ALL ON \`ferrybat\\_%\\_dst\\_%\`.* TO '$DST_USER'@'$h'"
  done
  SRC_COUNTS=()
  for i in $(seq "$NSITES"); do SRC_COUNTS[i]=$(row_counts "$(src_db "$i")"); done
  SRC_ROWS=$(awk '{s+=$2} END {print s}' <<<"${SRC_COUNTS[1]}")
  DUMP_MB=$(MYSQL_PWD=$SRC_DB_PASS in_ns mysqldump --protocol=tcp -h "$HOST" -P "$PORT" -u "$SRC_USER" --single-transaction "$(src_db 1)" | wc -c | awk '{printf "%.1f", $1 / 1e6}')
}

# fresh_dest empties every site's destination folder and database (an empty one, as a
# hosting panel makes it) before a timed run.
fresh_dest() {
  local i drops=""
  rm -rf "$DST_ROOT"; mkdir -p "$DST_ROOT"; chown "$BENCH_USER:$BENCH_USER" "$DST_ROOT"
  for i in $(seq "$NSITES"); do drops+="DROP DATABASE IF EXISTS $(dst_db "$i"); CREATE DATABASE $(dst_db "$i") CHARACTER SET utf8mb4; "; done
  "${ROOT_SQL[@]}" -e "$drops"
}

# check_site N LABEL: the site's files (count + SHA-256 of each but wp-config.php) and its
# database (row counts per table, home and siteurl at its new URL, no old URL in posts).
check_site() {
  local i=$1 label="$2 $(site_name "$1")" got url left db
  hashes "$(dst_dir "$i")" > "$W/got.sha" 2>/dev/null || true
  cmp -s "$B/sites/$(site_name "$i").sha" "$W/got.sha" ||
    fail "$label: files differ from the source ($(wc -l < "$W/got.sha") of $(wc -l < "$B/sites/$(site_name "$i").sha"))"
  db=$(dst_db "$i")
  got=$(row_counts "$db")
  [ "$got" = "${SRC_COUNTS[i]}" ] || fail "$label: row counts differ: $(echo $got) != $(echo ${SRC_COUNTS[i]})"
  url=$("${ROOT_SQL[@]}" -N -e "SELECT GROUP_CONCAT(option_value ORDER BY option_name) FROM $db.wp_options WHERE option_name IN ('home','siteurl')")
  [ "$url" = "$(new_url "$i"),$(new_url "$i")" ] || fail "$label: home,siteurl = $url, want $(new_url "$i")"
  left=$("${ROOT_SQL[@]}" -N -e "SELECT COUNT(*) FROM $db.wp_posts WHERE post_content LIKE '%old.test%'")
  [ "$left" = 0 ] || fail "$label: $left posts still hold old.test"
}
check_sites() { local i; for i in $(seq "$NSITES"); do check_site "$i" "$1"; done; echo "  $1: all $NSITES sites verified (files, hashes, row counts, URLs)"; }

# batch_table: medians per route from $W/results (lines of lib.sh's timed), the by-hand
# route scaled to NSITES sites, the ratios against the targets and the batch's peak RSS.
batch_table() {
  awk -v nsites="$NSITES" '
  { k = $1; n[k]++; w[k, n[k]] = $2; if ($3 > rss[k]) rss[k] = $3; c[k] += $4; m[k] += $5; f[k] += $6; o[k] += $7 }
  function med(k,   i, j, t, a, cnt) { cnt = n[k]; for (i = 1; i <= cnt; i++) a[i] = w[k, i]
    for (i = 1; i <= cnt; i++) for (j = i + 1; j <= cnt; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    mn[k] = a[1]; mx[k] = a[cnt]; return (cnt % 2) ? a[(cnt + 1) / 2] : (a[cnt / 2] + a[cnt / 2 + 1]) / 2 }
  END {
    printf "%-22s %5s %9s %8s %8s %11s %11s %11s %13s %10s\n", "route", "runs", "median_s", "min_s", "max_s", "peakRSS_MB", "client_cpu", "mysqld_cpu", "ftp+ssh_cpu", "other_cpu"
    split("batch sequential by-hand-1site", ks, " ")
    for (i = 1; i <= 3; i++) { k = ks[i]; if (!n[k]) continue; md[k] = med(k)
      printf "%-22s %5d %9.2f %8.2f %8.2f %11.1f %11.2f %11.2f %13.2f %10.2f\n", k, n[k], md[k], mn[k], mx[k], rss[k] / 1024, c[k] / n[k], m[k] / n[k], f[k] / n[k], o[k] / n[k] }
    if (!n["batch"] || !n["sequential"] || !n["by-hand-1site"]) exit
    hand = md["by-hand-1site"] * nsites
    printf "%-22s %5s %9.2f   (median of the %d one-site by-hand runs x %d)\n", "by-hand x" nsites, "", hand, n["by-hand-1site"], nsites
    r1 = md["batch"] / md["sequential"]; r2 = md["batch"] / hand
    printf "\nbatch / sequential Ferry = %.2f (target <= 0.55: %s)\n", r1, (r1 <= 0.55 ? "met" : "MISSED")
    printf "batch / by-hand x%d      = %.2f (target <= 0.35: %s)\n", nsites, r2, (r2 <= 0.35 ? "met" : "MISSED")
    printf "sequential / by-hand x%d = %.2f\n", nsites, md["sequential"] / hand
    printf "batch peak RSS           = %.0f MB (target < 300 MB: %s)\n", rss["batch"] / 1024, (rss["batch"] / 1024 < 300 ? "met" : "MISSED")
    print "(wall and CPU in seconds; CPU columns are per run, averaged: client = the timed process and its children,"
    print " mysqld = MariaDB (the shared one, or the private one with RTT), ftp+ssh = vsftpd and sshd, other = the rest"
    print " of this 2-core machine meanwhile: other helpers, and with RTT the delay process bench/wan/delay)"
  }' "$W/results"
}
