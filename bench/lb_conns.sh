#!/bin/sh
# bench/lb_conns.sh - memory per idle keep-alive client connection, brace lb
# against HAProxy, both holding the same N connections (default 10000).
#
# Each proxy is started alone in front of one nginx backend; a client opens
# N connections, sends one request on each and reads the answer, so every
# connection is an idle keep-alive client when the proxy's resident memory
# (VmRSS) is read. Reported: RSS before, RSS with N connections held, and the
# difference per connection.
#
#   bench/lb_conns.sh [N]        (BRACE=path measures another brace binary)
set -eu
cd "$(dirname "$0")/.."
N=${1:-10000}
B=${BRACE:-$PWD/build/brace}
# HAProxy wants two descriptors per connection for its maxconn: stay where both fit.
HARD=$(ulimit -Hn)
if [ "$HARD" != unlimited ] && [ $((N * 2 + 600)) -gt "$HARD" ]; then
	echo "note: the open files limit ($HARD) cannot hold $N connections in HAProxy;" \
	    "measuring $(((HARD - 600) / 2)) instead"
	N=$(((HARD - 600) / 2))
fi
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
. bench/lb_common.sh
bench_start lb_conns nginx haproxy python3
BE=$(port)
cat >"$T/nginx.conf" <<CONF
master_process off;
daemon off;
pid $T/nginx.pid;
error_log $T/error.log;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000;
  server { listen 127.0.0.1:$BE; location / { return 200 "ok\n"; } } }
CONF
nginx -c "$T/nginx.conf" -p "$T" & pids="$pids $!"

rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

hold() { # port pid label
	python3 - "$1" "$N" <<'PY' &
import socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
socks = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    socks.append(s)
for s in socks:
    buf = b""
    while not buf.endswith(b"ok\n"):
        buf += s.recv(4096)
print("ready", flush=True)
time.sleep(3600)
PY
	cpid=$!
	before=$(rss_kb "$2")
	# wait until the client holds all connections
	while [ "$(ss -tn state established "( dport = :$1 )" | tail -n +2 | wc -l)" -lt "$N" ]; do sleep 0.5; done
	sleep 2
	after=$(rss_kb "$2")
	kill $cpid 2>/dev/null || true
	wait $cpid 2>/dev/null || true
	printf '| %s | %d | %d | %.0f |\n' "$3" "$before" "$after" "$(echo "($after - $before) * 1024 / $N" | bc -l)"
}

echo "Resident memory holding $N idle keep-alive client connections"
echo
echo "| proxy | RSS before (KiB) | RSS with $N (KiB) | bytes per connection |"
echo "|---|---:|---:|---:|"

P1=$(port)
"$B" lb --threads 1 --maxconn $((N + 100)) -l 127.0.0.1:$P1 -b 127.0.0.1:$BE --timeout-client 10m --no-journal 2>"$T/brace.log" &
BP=$!; pids="$pids $BP"
sleep 0.5
hold "$P1" "$BP" "brace lb --threads 1"
kill $BP; wait $BP 2>/dev/null || true

P2=$(port)
HAPROXY_MAXCONN=$((N + 100)) haproxy_config "$T/haproxy.cfg" "$P2" 10m \
    "timeout http-keep-alive 10m" "127.0.0.1:$BE"
haproxy -f "$T/haproxy.cfg" -db >"$T/haproxy.log" 2>&1 &
HP=$!; pids="$pids $HP"
sleep 0.5
hold "$P2" "$HP" "HAProxy $(haproxy -v | head -1 | awk '{print $3}') nbthread 1"
