# Sourced by bench/transfer/run.sh and bench/migration/run.sh: Debian's vsftpd and OpenSSH
# sshd started privately on free loopback ports, configured alike for both benchmarks.
#
# start_file_servers DIR PASV_MIN: writes the configs and host key into DIR, starts both
# servers and sets FTP_PORT, SSH_PORT, FTPD and SSHD (their PIDs). PASV_MIN is the first of
# 1,000 passive FTP ports, so two benchmarks can run side by side.
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start_file_servers() {
  local dir=$1 pasv=$2
  FTP_PORT=$(port); SSH_PORT=$(port)
  mkdir -p /var/run/vsftpd/empty /run/sshd
  cat > "$dir/vsftpd.conf" <<CONF
listen=YES
listen_ipv6=NO
listen_address=127.0.0.1
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
  /usr/sbin/vsftpd "$dir/vsftpd.conf" & FTPD=$!
  ssh-keygen -q -t ed25519 -N '' -f "$dir/host_ed25519"
  cat > "$dir/sshd_config" <<CONF
ListenAddress 127.0.0.1
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
  /usr/sbin/sshd -f "$dir/sshd_config" -D -e -p "$SSH_PORT" 2>"$dir/sshd.log" & SSHD=$!
  sleep 1
}
