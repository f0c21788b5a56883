#!/bin/sh
# bench/lb_slow_clients.sh - what clients that stop reading cost a proxy:
# N clients (default 25) each ask for a 40 MiB file (1 GB in all with 25)
# and read only its first bytes, so every stream stalls with the proxy
# between a server that would send and a client that takes nothing.
#
# One nginx backend (sendfile) serves the file; in front of it, each alone
# in turn: brace lb --threads 1, brace lb --threads 1 --no-splice, HAProxy
# (nbthread 1). Reported: the proxy's resident memory (VmRSS) before, its
# peak while the streams stall (sampled for 5 s), and the growth per
# stalled stream. A pipe's bytes are kernel memory and not in VmRSS: brace
# splicing pins at most one 64 KiB pipe per stream there, on top of the
# socket buffers every proxy has.
#
#   bench/lb_slow_clients.sh [N]      (BRACE=path measures another brace binary)
set -eu
cd "$(dirname "$0")/.."
N=${1:-25}
B=${BRACE:-$PWD/build/brace}
. bench/lb_common.sh
bench_start lb_slow_clients nginx haproxy python3
BE=$(port)
files_backend "$BE"
head -c $((40 << 20)) /dev/urandom >"$T/www/40m.bin"

rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

stall() { # port pid label
	before=$(rss_kb "$2")
	python3 - "$1" "$N" <<'PY' &
import socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
socks = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    s.sendall(b"GET /40m.bin HTTP/1.1\r\nHost: x\r\n\r\n")
    socks.append(s)
for s in socks:
    s.recv(4096)
time.sleep(3600)
PY
	cpid=$!
	sleep 2
	peak=0
	for _ in $(seq 25); do
		r=$(rss_kb "$2")
		[ "$r" -gt "$peak" ] && peak=$r
		sleep 0.2
	done
	kill $cpid 2>/dev/null || true
	wait $cpid 2>/dev/null || true
	printf '| %s | %d | %d | %.0f |\n' "$3" "$before" "$peak" "$(echo "($peak - $before) / $N" | bc -l)"
}

echo "$N clients each stalled on a 40 MiB response"
echo
echo "| proxy | RSS before (KiB) | peak RSS while stalled (KiB) | KiB per stalled stream |"
echo "|---|---:|---:|---:|"
modes="splice nosplice"
"$B" lb --help | grep -q -- --no-splice || modes=splice       # an older binary
for mode in $modes; do
	P=$(port)
	flag=""
	[ $mode = nosplice ] && flag=--no-splice
	"$B" lb --threads 1 -l 127.0.0.1:$P -b 127.0.0.1:$BE --timeout-client 10m --no-journal $flag \
	    2>"$T/brace.log" &
	BP=$!; pids="$pids $BP"
	sleep 0.5
	stall "$P" "$BP" "brace lb --threads 1 $flag"
	kill $BP; wait $BP 2>/dev/null || true
done

P=$(port)
HAPROXY_MAXCONN=1000 haproxy_config "$T/haproxy.cfg" "$P" 10m "" "127.0.0.1:$BE"
haproxy -f "$T/haproxy.cfg" -db >"$T/haproxy.log" 2>&1 &
HP=$!; pids="$pids $HP"
sleep 0.5
stall "$P" "$HP" "HAProxy $(haproxy -v | head -1 | awk '{print $3}') nbthread 1"
