# Sourced by bench/transfer/run.sh, bench/migration/run.sh and bench/wan/run.sh: Debian's
# vsftpd and OpenSSH sshd (and, for bench/wan, MariaDB) started privately on free loopback
# ports, configured alike for every benchmark.
#
# BENCH_NETNS (optional, set before calling): the network namespace the servers run in
# (bench/wan/net.sh makes one with a delayed, rate-limited loopback); empty runs them in
# the machine's own. BENCH_ADDR (default 127.0.0.1) is the address they listen on.
#
# start_file_servers DIR PASV_MIN: writes the configs and host key into DIR, starts both
# servers and sets FTP_PORT, SSH_PORT, FTPD and SSHD (their PIDs). PASV_MIN is the first of
# 1,000 passive FTP ports, so two benchmarks can run side by side.
#
# start_mariadb DIR: a private mariadbd with its data in DIR/data (kept: a later run reuses
# it); sets DB_PORT, MYSQLD (its PID) and DB_SOCKET (root connects there by socket).
BENCH_ADDR=${BENCH_ADDR:-127.0.0.1}
# in_ns CMD...: CMD inside $BENCH_NETNS, or as is. Servers are started as
# `"${NS_EXEC[@]}" CMD &` instead (a simple command: $! is the server's own PID, since
# ip netns exec execs it), with NS_EXEC set by ns_prefix.
in_ns() { if [ -n "${BENCH_NETNS:-}" ]; then ip netns exec "$BENCH_NETNS" "$@"; else "$@"; fi; }
ns_prefix() { NS_EXEC=(); if [ -n "${BENCH_NETNS:-}" ]; then NS_EXEC=(ip netns exec "$BENCH_NETNS"); fi; }
port() { in_ns python3 -c 'import socket,sys; s=socket.socket(); s.bind((sys.argv[1],0)); print(s.getsockname()[1])' "$BENCH_ADDR"; }
start_file_servers() {
  local dir=$1 pasv=$2
  FTP_PORT=$(port); SSH_PORT=$(port)
  mkdir -p /var/run/vsftpd/empty /run/sshd
  cat > "$dir/vsftpd.conf" <<CONF
listen=YES
listen_ipv6=NO
listen_address=$BENCH_ADDR
listen_port=$FTP_PORT
background=NO
anonymous_enable=NO
local_enable=YES
write_enable=YES
pasv_enable=YES
pasv_min_port=$pasv
pasv_max_port=$((pasv + 999))
max_clients=0
max_per_ip=0
seccomp_sandbox=NO
isolate=NO
isolate_network=NO
secure_chroot_dir=/var/run/vsftpd/empty
pam_service_name=vsftpd
xferlog_enable=NO
use_localtime=NO
CONF
  ns_prefix
  "${NS_EXEC[@]}" /usr/sbin/vsftpd "$dir/vsftpd.conf" & FTPD=$!
  ssh-keygen -q -t ed25519 -N '' -f "$dir/host_ed25519"
  cat > "$dir/sshd_config" <<CONF
ListenAddress $BENCH_ADDR
HostKey $dir/host_ed25519
PasswordAuthentication yes
KbdInteractiveAuthentication no
UsePAM yes
StrictModes no
PidFile $dir/sshd.pid
Subsystem sftp /usr/lib/openssh/sftp-server
MaxStartups 64
MaxSessions 64
CONF
  "${NS_EXEC[@]}" /usr/sbin/sshd -f "$dir/sshd_config" -D -e -p "$SSH_PORT" 2>"$dir/sshd.log" & SSHD=$!
  sleep 1
}

# start_site_php DOCROOT: the old site's web server, as its host runs one: PHP's built-in
# server with a few workers and the usual 30 s max_execution_time, on a free port. Ferry
# reaches it through the job's source "siteIp" ($SITE_IP) and reads small files through it.
start_site_php() {
  local docroot=$1 php_port
  php_port=$(port)
  ns_prefix
  "${NS_EXEC[@]}" env PHP_CLI_SERVER_WORKERS=4 php -d max_execution_time=30 -S "$BENCH_ADDR:$php_port" -t "$docroot" \
    > "$W/php.log" 2>&1 & PHPD=$!
  SITE_IP=$BENCH_ADDR:$php_port
  for _ in $(seq 50); do grep -q "Development Server" "$W/php.log" 2>/dev/null && break; sleep 0.1; done
}

start_mariadb() {
  local dir=$1 i
  DB_PORT=$(port); DB_SOCKET=$dir/mysqld.sock
  mkdir -p "$dir/data" "$dir/tmp"
  cat > "$dir/my.cnf" <<CNF
[mysqld]
user=mysql
datadir=$dir/data
socket=$DB_SOCKET
pid-file=$dir/mysqld.pid
port=$DB_PORT
bind-address=$BENCH_ADDR
tmpdir=$dir/tmp
log-error=$dir/error.log
local-infile=1
skip-name-resolve
innodb_buffer_pool_size=512M
innodb_log_file_size=256M
max_allowed_packet=256M
CNF
  chown -R mysql:mysql "$dir"; chmod 755 "$dir"
  if [ ! -d "$dir/data/mysql" ]; then
    mariadb-install-db --defaults-file="$dir/my.cnf" --user=mysql --skip-test-db \
      --auth-root-authentication-method=socket > "$dir/install.log" 2>&1 || { cat "$dir/install.log" >&2; return 1; }
  fi
  ns_prefix
  "${NS_EXEC[@]}" /usr/sbin/mariadbd --defaults-file="$dir/my.cnf" > /dev/null 2>&1 & MYSQLD=$!
  for i in $(seq 150); do
    mariadb-admin --socket="$DB_SOCKET" -uroot ping > /dev/null 2>&1 && return 0
    sleep 0.2
  done
  tail "$dir/error.log" >&2; return 1
}
