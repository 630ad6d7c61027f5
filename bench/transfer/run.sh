#!/usr/bin/env bash
# Ferry's transfer.Mirror against lftp's mirror, on Debian's vsftpd and OpenSSH sshd
# started privately on loopback ports, over a WordPress-shaped tree. Runs are
# interleaved (lftp, ferry, lftp, ferry ...) and every run's copy is checked (file
# count and SHA-256 of every file) before its time counts.
#   RUNS=5 bench/transfer/run.sh
set -euo pipefail
RUNS=${RUNS:-5}
cd "$(dirname "$0")/../.."
[ "$(id -u)" = 0 ] || { echo "run as root: vsftpd and sshd need it" >&2; exit 1; }
for pkg in vsftpd openssh-server lftp time; do
  dpkg -s "$pkg" >/dev/null 2>&1 || apt-get install -y -q "$pkg" >/dev/null
done

W=$(mktemp -d /tmp/ferry-bench.XXXXXX)
cleanup() { [ -n "${FTPD:-}" ] && kill "$FTPD" 2>/dev/null; [ -n "${SSHD:-}" ] && kill "$SSHD" 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT
USER_NAME=ferrybench; PASS=bench-$RANDOM-$RANDOM
id "$USER_NAME" >/dev/null 2>&1 || useradd -m -s /bin/bash "$USER_NAME"
echo "$USER_NAME:$PASS" | chpasswd

# Data: WordPress core (Debian's package, links resolved) plus generated uploads.
DATA=/home/$USER_NAME/site
if [ ! -f "$DATA/.ready" ]; then
  rm -rf "$DATA"; mkdir -p "$DATA"
  if [ -d /usr/share/wordpress ]; then cp -rL /usr/share/wordpress/. "$DATA/" 2>/dev/null || true; fi
  printf 'RewriteEngine On\n' > "$DATA/.htaccess"
  python3 - "$DATA" <<'PY'
import os, random, sys
root = sys.argv[1]; r = random.Random(7)
sizes = [2_000]*300 + [30_000]*500 + [150_000]*300 + [600_000]*80 + [3_000_000]*12
for i, s in enumerate(sizes):
    d = os.path.join(root, "wp-content/uploads/%d/%02d" % (2015 + i % 10, 1 + i % 12))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "img-%04d.jpg" % i), "wb") as f:
        f.write(r.randbytes(s))
PY
  touch "$DATA/.ready"
fi
chown -R "$USER_NAME:$USER_NAME" "$DATA"
(cd "$DATA" && find . -type f ! -name .ready -print0 | sort -z | xargs -0 sha256sum) > "$W/want.sha"
NFILES=$(wc -l < "$W/want.sha"); NBYTES=$(find "$DATA" -type f ! -name .ready -printf '%s\n' | awk '{s+=$1} END {print s}')
echo "data: $NFILES files, $((NBYTES/1000000)) MB"

# Servers on private loopback ports (bench/servers.sh).
. bench/servers.sh
start_file_servers "$W" 40000

go build -o "$W/ferry-bench" ./bench/transfer
check() { # dir: verify count and every hash
  (cd "$1" && find . -type f ! -name .ready -print0 | sort -z | xargs -0 sha256sum) > "$W/got.sha"
  cmp -s "$W/want.sha" "$W/got.sha" || { echo "CHECK FAILED for $1" >&2; diff "$W/want.sha" "$W/got.sha" | head >&2; exit 1; }
}
timed() { # label cmd...: prints "seconds rss_kb user+sys"
  /usr/bin/time -v -o "$W/time.txt" "$@" >"$W/out.txt" 2>&1 || { cat "$W/out.txt" "$W/time.txt" >&2; exit 1; }
  awk -F': ' '/Elapsed \(wall/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; w=s}
              /Maximum resident/ {r=$2} /User time/ {u=$2} /System time/ {y=$2}
              END {printf "%.3f %d %.2f\n", w, r, u+y}' "$W/time.txt"
}
run_lftp() { # proto N out
  local url="$1://127.0.0.1:$([ "$1" = ftp ] && echo $FTP_PORT || echo $SSH_PORT)"
  timed lftp -u "$USER_NAME,$PASS" -e "set ftp:ssl-allow no; set ftp:list-options -a; set sftp:auto-confirm yes; set net:max-retries 1; mirror --parallel=$2 site $3; quit" "$url"
}
run_ferry() { # proto N out
  local p=$([ "$1" = ftp ] && echo $FTP_PORT || echo $SSH_PORT)
  timed "$W/ferry-bench" -proto "$1" -port "$p" -user "$USER_NAME" -pass "$PASS" -root site -out "$3" -workers "$2"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

printf '\n%-5s %-8s %9s %9s %9s %9s %7s %10s %9s %9s\n' proto N lftp_med lftp_min ferry_med ferry_min ratio ferry_rss lftp_cpu ferry_cpu
for proto in ftp sftp; do
  for n in 1 4 8 default; do
    : > "$W/l"; : > "$W/f"; : > "$W/rss"; : > "$W/lc"; : > "$W/fc"
    for i in $(seq "$RUNS"); do
      ln=$n; [ "$n" = default ] && ln=4
      rm -rf "$W/o"; read -r s r c < <(run_lftp "$proto" "$ln" "$W/o"); check "$W/o"; echo "$s" >> "$W/l"; echo "$c" >> "$W/lc"
      fn=$n; [ "$n" = default ] && fn=0
      rm -rf "$W/o"; read -r s r c < <(run_ferry "$proto" "$fn" "$W/o"); check "$W/o"; echo "$s" >> "$W/f"; echo "$r" >> "$W/rss"; echo "$c" >> "$W/fc"
    done
    lm=$(median < "$W/l"); fm=$(median < "$W/f")
    printf '%-5s %-8s %9.3f %9.3f %9.3f %9.3f %7.2f %8dMB %9.2f %9.2f\n' "$proto" "$n" "$lm" "$(sort -n "$W/l" | head -1)" \
      "$fm" "$(sort -n "$W/f" | head -1)" "$(echo "$fm / $lm" | bc -l)" "$(( $(sort -n "$W/rss" | tail -1) / 1024 ))" \
      "$(median < "$W/lc")" "$(median < "$W/fc")"
  done
done
echo "(default: ferry with its default settings vs lftp --parallel=4; times in seconds, medians of $RUNS interleaved runs)"
