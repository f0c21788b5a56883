#!/bin/sh
# bench/lb.sh - brace lb against HAProxy and nginx on the same machine, in one run.
#
# Two nginx backends ("return 200") on loopback; in front of them, each in
# turn: HAProxy (nbthread 1, http-reuse always), brace lb --threads 1, nginx
# as a proxy (upstream keepalive), brace lb --threads 2, and nothing (wrk
# straight at one backend: the ceiling). Each is driven by wrk -t1 -c50 for
# DURATION seconds, in ROUNDS interleaved rounds so that machine noise hits
# every contender alike. Reported: median requests/s, and the proxy's CPU
# time per request (user+system from /proc/PID/stat, all its processes and
# threads, divided by the requests wrk completed).
#
#   bench/lb.sh [ROUNDS] [DURATION]      defaults: 5 rounds of 10 s
#   (BRACE=path measures another brace binary; BEFORE=path adds that brace
#   binary with --threads 1 as brace-before-t1, e.g. one built before a change)
set -eu
cd "$(dirname "$0")/.."
ROUNDS=${1:-5}
DURATION=${2:-10}
CONNS=${CONNS:-50}
B=${BRACE:-$PWD/build/brace}
. bench/lb_common.sh
bench_start lb nginx haproxy wrk
B1=$(port); B2=$(port); P_HAP=$(port); P_BR1=$(port); P_NGX=$(port); P_BR2=$(port)

nginx_backend() { # name port
	nginx_start "$1" <<CONF
http {
  access_log off;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:$2; location / { return 200 "ok\n"; } }
}
CONF
}
nginx_backend backend1 "$B1"
nginx_backend backend2 "$B2"

haproxy_config "$T/haproxy.cfg" "$P_HAP" 60s "" "127.0.0.1:$B1" "127.0.0.1:$B2"
haproxy -f "$T/haproxy.cfg" -db >"$T/haproxy.log" 2>&1 &
pids="$pids $!"; PID_HAP=$!

nginx_start proxy <<CONF
http {
  access_log off;
  upstream u { server 127.0.0.1:$B1; server 127.0.0.1:$B2; keepalive 64; }
  server {
    listen 127.0.0.1:$P_NGX;
    location / { proxy_pass http://u; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
CONF
PID_NGX=$NGINX_PID

"$B" lb --threads 1 -l 127.0.0.1:$P_BR1 -b 127.0.0.1:$B1 -b 127.0.0.1:$B2 2>"$T/brace1.log" &
pids="$pids $!"; PID_BR1=$!
"$B" lb --threads 2 -l 127.0.0.1:$P_BR2 -b 127.0.0.1:$B1 -b 127.0.0.1:$B2 2>"$T/brace2.log" &
pids="$pids $!"; PID_BR2=$!
if [ -n "${BEFORE:-}" ]; then
	P_BRB=$(port)
	"$BEFORE" lb --threads 1 -l 127.0.0.1:$P_BRB -b 127.0.0.1:$B1 -b 127.0.0.1:$B2 \
	    2>"$T/brace-before.log" &
	pids="$pids $!"; PID_BRB=$!
fi
sleep 1

HZ=$(getconf CLK_TCK)

run() { # label port pid-or-0
	before=0
	[ "$3" != 0 ] && before=$(ticks "$3")
	out=$(wrk -t1 -c"$CONNS" -d"${DURATION}s" "http://127.0.0.1:$2/" 2>&1)
	after=0
	[ "$3" != 0 ] && after=$(ticks "$3")
	reqs=$(echo "$out" | awk '/requests in/ {print $1}')
	rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
	errs=$(echo "$out" | awk '/Socket errors|Non-2xx/ {print}' | tr '\n' ' ')
	echo "$1 $rps $reqs $((after - before)) $errs" >>"$T/results"
	printf '  %-18s %10s req/s  %s\n' "$1" "$rps" "$errs"
}

echo "brace lb benchmark: $ROUNDS rounds x ${DURATION}s, wrk -t1 -c$CONNS, $(nproc) CPUs"
for r in $(seq "$ROUNDS"); do
	echo "round $r"
	run direct "$B1" 0
	run haproxy "$P_HAP" "$PID_HAP"
	run brace-t1 "$P_BR1" "$PID_BR1"
	if [ -n "${BEFORE:-}" ]; then run brace-before-t1 "$P_BRB" "$PID_BRB"; fi
	run nginx-proxy "$P_NGX" "$PID_NGX"
	run brace-t2 "$P_BR2" "$PID_BR2"
done

echo
echo "| contender | median req/s | vs HAProxy | CPU us/request | vs HAProxy |"
echo "|---|---:|---:|---:|---:|"
awk -v hz="$HZ" '
function median(arr, n,   i, j, t) {
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (arr[j] < arr[i]) { t = arr[i]; arr[i] = arr[j]; arr[j] = t }
	return n % 2 ? arr[(n + 1) / 2] : (arr[n / 2] + arr[n / 2 + 1]) / 2
}
{
	n[$1]++; rps[$1, n[$1]] = $2
	if ($3 > 0) cpu[$1, n[$1]] = ($4 / hz) * 1e6 / $3
	order[$1] = order[$1] ? order[$1] : ++k; name[k] = $1
}
END {
	for (i = 1; i <= k; i++) {
		c = name[i]; m = n[c]
		for (j = 1; j <= m; j++) { a[j] = rps[c, j]; b[j] = cpu[c, j] }
		R[c] = median(a, m); C[c] = median(b, m)
	}
	for (i = 1; i <= k; i++) {
		c = name[i]
		if (c == "direct")
			printf "| %s (ceiling, no proxy) | %.0f | %.2fx | - | - |\n", c, R[c], R[c] / R["haproxy"]
		else
			printf "| %s | %.0f | %.2fx | %.1f | %.2fx |\n", c, R[c], R[c] / R["haproxy"], C[c], C[c] / C["haproxy"]
	}
}' "$T/results"
