#!/usr/bin/env bash
# A network namespace whose loopback behaves like a WAN link: every packet that crosses it
# is rate-limited and delayed, so a client and servers both inside it see a round trip of
# RTT milliseconds and RATE of bandwidth.
#
#   bench/wan/net.sh up NS [RATE]     make NS (loopback up, RATE default 200mbit)
#   bench/wan/net.sh delay NS RTT_MS  set the round trip (0 = none), then check it
#   bench/wan/net.sh check NS RTT_MS  measure TCP connect time; fail if off by > 20%
#   bench/wan/net.sh down NS          stop the delay and remove NS
#
# The delay is sch_netem's where the kernel has it (`tc qdisc ... netem delay RTT/2`: each
# packet crosses lo's egress once). Without netem, lo keeps a tbf qdisc for the rate and
# `iptables -t raw -A PREROUTING -i lo -j NFQUEUE` hands every packet to bench/wan/delay,
# which accepts it RTT/2 after it arrived, in order.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUN=/run/ferry-wan
QUEUE=7

die() { echo "net.sh: $*" >&2; exit 1; }
need() {
  [ "$(id -u)" = 0 ] || die "run as root: ip netns, tc and iptables need it"
  command -v iptables >/dev/null || apt-get install -y -q iptables >/dev/null
}
nsx() { ip netns exec "$NS" "$@"; }

rate_qdisc() { # tbf alone: the rate, no delay
  nsx tc qdisc replace dev lo root tbf rate "$(cat "$RUN/$NS/rate")" burst 256kb latency 50ms
}

stop_delay() {
  nsx iptables -t raw -D PREROUTING -i lo -j NFQUEUE --queue-num "$QUEUE" 2>/dev/null || true
  if [ -f "$RUN/$NS/delay.pid" ]; then
    local pid i; pid=$(cat "$RUN/$NS/delay.pid")
    kill "$pid" 2>/dev/null || true
    for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done # the queue is free once it is gone
    rm -f "$RUN/$NS/delay.pid"
  fi
}

set_delay() { # RTT_MS
  local rtt=$1 half
  half=$(awk -v r="$rtt" 'BEGIN {printf "%.3f", r / 2}')
  stop_delay
  if [ "$rtt" = 0 ]; then rate_qdisc; echo none > "$RUN/$NS/how"; return; fi
  if nsx tc qdisc replace dev lo root netem delay "${half}ms" rate "$(cat "$RUN/$NS/rate")" limit 1000000 2>/dev/null; then
    echo netem > "$RUN/$NS/how"; return
  fi
  rate_qdisc
  go build -o "$RUN/delay" ./bench/wan/delay
  ip netns exec "$NS" "$RUN/delay" -queue "$QUEUE" -delay "${half}ms" > "$RUN/$NS/delay.log" 2>&1 &
  echo $! > "$RUN/$NS/delay.pid"
  local i
  for i in $(seq 50); do grep -q ready "$RUN/$NS/delay.log" && break; sleep 0.1; done
  grep -q ready "$RUN/$NS/delay.log" || { cat "$RUN/$NS/delay.log" >&2; die "bench/wan/delay did not start"; }
  nsx iptables -t raw -A PREROUTING -i lo -j NFQUEUE --queue-num "$QUEUE"
  echo nfqueue > "$RUN/$NS/how"
}

# check RTT_MS: the median of 15 TCP connects (SYN, SYN-ACK: one round trip) must be within
# 20% of RTT_MS (within 2 ms of none for RTT 0).
check() {
  local want=$1 got
  got=$(nsx python3 - <<'PY'
import socket, statistics, threading, time
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(64); port = l.getsockname()[1]
def serve():
    while True:
        c, _ = l.accept(); c.close()
threading.Thread(target=serve, daemon=True).start()
ts = []
for _ in range(15):
    s = socket.socket(); t = time.perf_counter(); s.connect(("127.0.0.1", port))
    ts.append((time.perf_counter() - t) * 1000); s.close()
print("%.2f" % statistics.median(ts))
PY
)
  echo "$got" > "$RUN/$NS/measured_rtt_ms"
  awk -v g="$got" -v w="$want" 'BEGIN {d = g - w; if (d < 0) d = -d; exit !(w == 0 ? d <= 2 : d <= 0.2 * w)}' ||
    die "namespace $NS: TCP connect takes $got ms, want $want ms (more than 20% off): refusing to measure"
  echo "net.sh: $NS: RTT $want ms wanted, TCP connect $got ms measured ($(cat "$RUN/$NS/how") delay, rate $(cat "$RUN/$NS/rate"))"
}

cmd=${1:-}; NS=${2:-}
[ -n "$cmd" ] && [ -n "$NS" ] || die "usage: net.sh up|delay|check|down NS [RTT_MS|RATE]"
need
case $cmd in
  up)
    ip netns list | grep -qw "^$NS" && die "namespace $NS exists (net.sh down $NS first)"
    mkdir -p "$RUN/$NS"; echo "${3:-200mbit}" > "$RUN/$NS/rate"
    ip netns add "$NS"
    nsx ip link set lo up
    rate_qdisc; echo none > "$RUN/$NS/how"
    ;;
  delay) set_delay "${3:?RTT_MS}"; check "$3" ;;
  check) check "${3:?RTT_MS}" ;;
  down)
    if ip netns list | grep -qw "^$NS"; then stop_delay; ip netns del "$NS"; fi
    rm -rf "${RUN:?}/$NS"
    ;;
  *) die "unknown command $cmd" ;;
esac
