#!/usr/bin/env bash
# A whole WordPress migration over a WAN: FTP source (vsftpd) to SFTP destination (OpenSSH),
# MariaDB to MariaDB, at several round-trip times. `ferry migrate --spec` against the
# by-hand route an admin takes (lftp mirror --parallel=4 down over FTP, mysqldump, sed,
# lftp mirror -R --parallel=4 up over SFTP, mysql), interleaved (hand, ferry, hand, ferry ...).
#
# The old site's web server runs too (PHP's built-in server on the site's folder, as its
# host serves it): Ferry reads an FTP source's small files through the site's PHP.
# Servers and clients all run inside one network namespace (bench/wan/net.sh) whose
# loopback delays and rate-limits every packet, so every FTP, SSH and MySQL packet pays the
# round trip. Every timed run is checked (SHA-256 of every file but wp-config.php, row
# counts per table, siteurl/home, no old URL in posts) before its time counts.
#
#   bench/wan/run.sh                         RTT 0, 40 and 120 ms, 3 rounds, ~3,700-file site
#   RTTS=40 ROUNDS=1 bench/wan/run.sh        what `make bench` runs
#   SMALL=1 RTTS=40 ROUNDS=1 bench/wan/run.sh  a short run (~140 files, ~20k rows)
#
# Environment: RTTS (ms, space-separated), ROUNDS, ROUTES (default "by-hand ferry"; "ferry"
# alone to look at Ferry's steps), RATE (tbf/netem rate, default 200mbit),
# SMALL=1, FERRY_BENCH_CACHE (the site and the private MariaDB's data are made once and kept
# there). Results: bench/wan/results/<UTC time>-<full|small>/ (table.txt, runs.tsv, logs and
# Ferry's report JSON of every run).
set -euo pipefail
RTTS=${RTTS:-0 40 120}
ROUNDS=${ROUNDS:-3}
RATE=${RATE:-200mbit}
SMALL=${SMALL:-0}
ROUTES=${ROUTES:-by-hand ferry}
cd "$(dirname "$0")/../.."
REPO=$PWD
if [ "$SMALL" = 1 ]; then
  export SITE_SCALE=0.1 SCALE=0.02 FERRY_BENCH_CACHE=${FERRY_BENCH_CACHE:-/var/tmp/ferry-bench-wan-small}
  SIZE=small
else
  export FERRY_BENCH_CACHE=${FERRY_BENCH_CACHE:-/var/tmp/ferry-bench-wan}
  SIZE=full
fi
. bench/migration/lib.sh
need_root
need_pkgs vsftpd openssh-server lftp time mariadb-client mariadb-server wordpress iptables iproute2 php-cli

NS=ferry-wan-$$
W=$B/wan.run
R=$REPO/bench/wan/results/$(date -u +%Y%m%d-%H%M%S)-$SIZE
rm -rf "$W"; mkdir -p "$W" "$R"
SAMPLER= PLSAMPLER=
cleanup() {
  set +e
  if [ -n "$SAMPLER" ]; then kill "$SAMPLER" 2>/dev/null; fi
  if [ -n "${PLSAMPLER:-}" ]; then pkill -P "$PLSAMPLER" 2>/dev/null; kill "$PLSAMPLER" 2>/dev/null; fi
  # PHP's built-in server leaves its workers running when only it is killed
  if [ -n "${PHPD:-}" ]; then pkill -P "$PHPD" 2>/dev/null; fi
  for p in ${FTPD:-} ${SSHD:-} ${PHPD:-}; do kill "$p" 2>/dev/null; done
  if [ -n "${MYSQLD:-}" ]; then kill "$MYSQLD" 2>/dev/null; for _ in $(seq 100); do kill -0 "$MYSQLD" 2>/dev/null || break; sleep 0.2; done; fi
  "$REPO/bench/wan/net.sh" down "$NS" || true
  rm -rf "$W/hand" "$W/ferry-data/staging"
}
trap cleanup EXIT

bench/wan/net.sh up "$NS" "$RATE"
# Ephemeral ports (and so the servers' free ports) above vsftpd's passive range 42000-42999,
# so the connection count below can tell each socket's server by its local port alone.
ip netns exec "$NS" sysctl -qw net.ipv4.ip_local_port_range="50000 60999"
export BENCH_NETNS=$NS
. bench/servers.sh
start_mariadb "$B/mysql"
PORT=$DB_PORT MYSQLD_PID=$MYSQLD
ROOT_SQL=(mariadb --socket="$DB_SOCKET" -u root)
bench_secrets; bench_user; bench_site; bench_db
start_file_servers "$W" 42000
start_site_php "$SITE"
FILE_SERVER_PIDS="$FTPD $SSHD $PHPD"
DEST=$B/home/new_html
echo "site: $NFILES files, $((NBYTES / 1000000)) MB; database $SRC_DB: $SRC_ROWS rows, $SRC_MB MB (data+index)" | tee "$R/site.txt"
{ echo "ferry commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown); $(date -u)"
  echo "kernel $(uname -r), $(nproc) cores; RTTs $RTTS ms, $ROUNDS round(s), rate $RATE"; } > "$R/meta.txt"

build_ferry_and_routes
go build -o "$W/listtree" ./bench/wan/listtree
go build -o "$W/connsample" ./bench/wan/connsample

# A tree of 1,110 folders (10 x 10 x 10 leaves, a file in each) beside the site, made once:
# each round also times Ferry's listing of it (run_list).
TREE=$B/home/tree1110
if [ ! -e "$TREE.ready" ]; then
  rm -rf "$TREE"
  for a in $(seq 0 9); do for b in $(seq 0 9); do for c in $(seq 0 9); do
    mkdir -p "$TREE/a$a/b$b/c$c"; echo '<?php' > "$TREE/a$a/b$b/c$c/f.php"
  done; done; done
  chown -R "$BENCH_USER:" "$TREE"; touch "$TREE.ready"
fi

# Connections: connsample reads the namespace's established TCP sockets every 0.1 s while a
# run goes; the most seen at once per server (FTP control + passive data, SSH, MySQL). One
# MariaDB serves both the source and the destination database, so a second sampler asks
# it for its connections per user (the source's and the destination's) on one client
# connection of its own (over the socket, not counted), every 0.1 s as well. Neither
# starts a process per sample: ss and sleep in a shell loop took 0.14 of a core, taken
# from whichever route was busy.
sample_start() {
  ip netns exec "$NS" "$W/connsample" -every 100ms > "$W/ss.txt" &
  SAMPLER=$!
  { exec {nap}<> <(:); while :; do echo "SELECT user, COUNT(*) FROM information_schema.processlist GROUP BY user; SELECT '.';"; read -rt 0.1 -u "$nap" || :; done |
    "${ROOT_SQL[@]}" -N > "$W/pl.txt" 2>/dev/null; } &
  PLSAMPLER=$!
}
# db_sides: the most connections the source's and the destination's database user held at once.
db_sides() {
  awk -v s="$SRC_USER" -v d="$DST_USER" '
    $1 == "." { if (a > ma) ma = a; if (b > mb) mb = b; a = b = 0; next }
    $1 == s { a = $2 } $1 == d { b = $2 }
    END { if (a > ma) ma = a; if (b > mb) mb = b; printf "%d %d", ma, mb }' "$W/pl.txt"
}
sample_stop() {
  kill "$SAMPLER"; wait "$SAMPLER" 2>/dev/null || true; SAMPLER=
  pkill -P "$PLSAMPLER" 2>/dev/null; kill "$PLSAMPLER" 2>/dev/null; wait "$PLSAMPLER" 2>/dev/null || true; PLSAMPLER=
  awk -v f="$FTP_PORT" -v s="$SSH_PORT" -v d="$PORT" '
    function flush() { if (a > mf) mf = a; if (b > ms) ms = b; if (c > md) md = c; if (e > me) me = e; a = b = c = e = 0 }
    $1 == "." { flush(); next }
    { n = split($3, x, ":"); p = x[n] + 0
      if (p == f) e++
      if (p == d) c++; else if (p == s) b++; else if (p == f || (p >= 42000 && p < 43000)) a++ }
    END { flush(); printf "%d %d %d %d", mf, ms, md, me }' "$W/ss.txt"
  printf ' %s' "$(db_sides)"
}

fresh_dest() { rm -rf "$DEST" "$W/hand"; mkdir -p "$W/hand"; fresh_dst_db; }
# record RTT ROUTE ROUND DOWN_S UP_S CONNS STEPS: one line of runs.tsv from timed's last line.
record() {
  local wall rss
  read -r _ wall rss _ < <(tail -1 "$W/results")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$wall" "$rss" "$4" "$5" "$(tr ' ' '\t' <<<"$6")" "$7" >> "$R/runs.tsv"
}
run_hand() { # RTT ROUND
  local conns down up
  fresh_dest; sample_start
  timed by-hand ip netns exec "$NS" bash "$W/by-hand.sh"
  conns=$(sample_stop)
  echo "  by-hand rtt $1 round $2: $(cat "$W/hand.steps")"
  check_files "$DEST" "by-hand rtt $1 round $2"; check_db "by-hand rtt $1 round $2"
  down=$(grep -oP 'lftp-down \K[0-9.]+' "$W/hand.steps"); up=$(grep -oP 'lftp-up \K[0-9.]+' "$W/hand.steps")
  record "$1" by-hand "$2" "$down" "$up" "$conns" "$(sed 's/; $//' "$W/hand.steps")"
  rm -rf "$W/hand"
}
run_ferry() { # RTT ROUND
  local conns id rep
  fresh_dest; sample_start
  timed ferry ip netns exec "$NS" "$FERRY" migrate --spec "$W/job.json"
  conns=$(sample_stop)
  id=$(grep -oP 'Migration \K[0-9]+(?= completed)' "$W/out.txt")
  cp "$W/out.txt" "$R/ferry-rtt$1-round$2.log"
  check_files "$DEST" "ferry rtt $1 round $2"; check_db "ferry rtt $1 round $2"
  [ -z "$(ls -A "$FERRY_DATA/staging/$id" 2>/dev/null)" ] || fail "ferry rtt $1 round $2 left staging files"
  rep=$R/ferry-rtt$1-round$2.json
  "$FERRY" export --format json --id "$id" -o "$rep" > /dev/null
  python3 - "$rep" > "$W/ferry.steps" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
m = d if isinstance(d, dict) and "steps" in d else (d[0] if isinstance(d, list) else (d.get("migrations") or [d])[0])
f = m.get("files") or {}
print("%.1f %.1f" % ((f.get("downloaded") or {}).get("durationMs", 0) / 1000, (f.get("uploaded") or {}).get("durationMs", 0) / 1000))
print("; ".join("%s %.1fs" % (s.get("title") or s.get("id"), (s.get("durationMs") or 0) / 1000) for s in m.get("steps") or []))
PY
  echo "  ferry rtt $1 round $2: migration $id; $(sed -n 2p "$W/ferry.steps")"
  read -r down up < "$W/ferry.steps"
  record "$1" ferry "$2" "$down" "$up" "$conns" "$(sed -n 2p "$W/ferry.steps")"
}

# run_list RTT ROUND: Ferry's listing of the 1,110-folder tree over FTP (bench/wan/listtree),
# checked for every folder and file, into list.tsv.
run_list() {
  local out folders files secs conns
  out=$(ip netns exec "$NS" env FTP_PASS="$BENCH_PASS" "$W/listtree" -host "$HOST" -port "$FTP_PORT" -user "$BENCH_USER" -root "$TREE")
  read -r folders files secs conns <<<"$out"
  # ListAll reports the folders below the root: 10 + 100 + 1,000, and the 1,000 files.
  [ "$folders" = 1110 ] && [ "$files" = 1000 ] || fail "listing rtt $1 round $2: $folders folders, $files files (1110 and 1000 wanted)"
  echo "  listing rtt $1 round $2: 1,110 folders in $secs s on $conns FTP connections"
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$folders" "$files" "$secs" "$conns" >> "$R/list.tsv"
}

printf 'rtt_ms\tround\tfolders\tfiles\tseconds\tconnections\n' > "$R/list.tsv"
printf 'rtt_ms\troute\tround\twall_s\trss_kb\tfiles_down_s\tfiles_up_s\tmax_ftp_conns\tmax_ssh_conns\tmax_mysql_conns\tmax_ftp_logins\tmax_mysql_src\tmax_mysql_dst\tsteps\n' > "$R/runs.tsv"
: > "$W/results"; : > "$W/servers.txt"; : > "$R/rtt.txt"
for rtt in $RTTS; do
  bench/wan/net.sh delay "$NS" "$rtt" | tee -a "$R/rtt.txt"
  for i in $(seq "$ROUNDS"); do
    case " $ROUTES " in *" by-hand "*) run_hand "$rtt" "$i" ;; esac
    case " $ROUTES " in *" ferry "*) run_ferry "$rtt" "$i"; run_list "$rtt" "$i" ;; esac
  done
  bench/wan/net.sh check "$NS" "$rtt" | tee -a "$R/rtt.txt" # still the wanted RTT after the runs
done
{ echo "label wall_s rss_kb client_cpu_s mysqld_cpu_s ftp_ssh_cpu_s other_cpu_s"; cat "$W/results"; } > "$R/timed.txt"; cp "$W/servers.txt" "$R/servers-cpu.txt"
python3 bench/wan/table.py "$R/runs.tsv" "$(cat "$R/site.txt")" "$RATE" | tee "$R/table.txt"
echo "(results in ${R#"$REPO"/}; logs in $W)"
