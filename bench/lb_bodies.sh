#!/bin/sh
# bench/lb_bodies.sh - brace lb against HAProxy and nginx on large bodies:
# 64 KiB and 1 MiB responses, a 1 MiB upload, and the small answer of
# bench/lb.sh for comparison, all in one run.
#
# One nginx backend (one worker, sendfile) serves static files of 64 KiB and
# 1 MiB, a 3-byte answer, and takes uploads (it reads the whole body into
# memory, then answers).
# In front of it, each in turn: HAProxy (nbthread 1, defaults: no splicing),
# brace lb --threads 1, brace lb --threads 1 --no-splice, and nginx as a
# proxy (one worker, upstream keepalive, streaming both ways). Each workload
# is driven by wrk -t1 -c$CONNS for DURATION seconds, in ROUNDS interleaved
# rounds so that machine noise hits every contender alike. Reported per
# workload: median requests/s and the proxy's CPU time per request
# (user+system from /proc/PID/stat, all its processes and threads, divided by
# the requests wrk completed), each also as a ratio to HAProxy's.
#
#   bench/lb_bodies.sh [ROUNDS] [DURATION]      defaults: 5 rounds of 10 s
#
# Environment: CONNS (50), WORKLOADS ("small 64k 1m up1m"), BRACE (the
# binary, build/brace), CONTENDERS ("haproxy brace brace-nosplice nginx";
# "haproxy-splice" adds HAProxy with option splice-auto; "brace-before" adds
# the brace binary named by BEFORE, e.g. one built before a change).
set -eu
cd "$(dirname "$0")/.."
ROUNDS=${1:-5}
DURATION=${2:-10}
CONNS=${CONNS:-50}
WORKLOADS=${WORKLOADS:-small 64k 1m up1m}
CONTENDERS=${CONTENDERS:-haproxy brace brace-nosplice nginx}
B=${BRACE:-$PWD/build/brace}
BEFORE=${BEFORE:-}
case " $CONTENDERS " in
*" brace-before "*) [ -x "$BEFORE" ] || { echo "bench/lb_bodies.sh: brace-before needs BEFORE=path" >&2; exit 2; } ;;
esac
. bench/lb_common.sh
bench_start lb_bodies nginx haproxy wrk python3
BE=$(port)
files_backend "$BE"

start_haproxy() { # label port extra-option
	haproxy_config "$T/$1.cfg" "$2" 60s "$3" "127.0.0.1:$BE"
	haproxy -f "$T/$1.cfg" -db >"$T/$1.log" 2>&1 &
	pids="$pids $!"
	eval "PID_$(echo "$1" | tr - _)=$!"
}

start_nginx_proxy() { # port
	nginx_start proxy <<CONF
http {
  access_log off;
  client_max_body_size 2m;
  upstream u { server 127.0.0.1:$BE; keepalive 64; }
  server {
    listen 127.0.0.1:$1;
    location / {
      proxy_pass http://u;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_request_buffering off;
      proxy_max_temp_file_size 0;
    }
  }
}
CONF
	PID_nginx=$NGINX_PID
}

for c in $CONTENDERS; do
	p=$(port)
	eval "PORT_$(echo "$c" | tr - _)=$p"
	case $c in
	haproxy) start_haproxy haproxy "$p" "" ;;
	haproxy-splice) start_haproxy haproxy-splice "$p" "option splice-auto" ;;
	brace)
		"$B" lb --threads 1 -l 127.0.0.1:$p -b 127.0.0.1:$BE --no-journal 2>"$T/brace.log" &
		pids="$pids $!"; PID_brace=$! ;;
	brace-nosplice)
		"$B" lb --threads 1 -l 127.0.0.1:$p -b 127.0.0.1:$BE --no-journal --no-splice \
		    2>"$T/brace-nosplice.log" &
		pids="$pids $!"; PID_brace_nosplice=$! ;;
	brace-before)
		"$BEFORE" lb --threads 1 -l 127.0.0.1:$p -b 127.0.0.1:$BE --no-journal \
		    2>"$T/brace-before.log" &
		pids="$pids $!"; PID_brace_before=$! ;;
	nginx) start_nginx_proxy "$p" ;;
	*) echo "bench/lb_bodies.sh: unknown contender $c" >&2; exit 2 ;;
	esac
done
sleep 1

HZ=$(getconf CLK_TCK)

run() { # workload contender
	eval "port=\$PORT_$(echo "$2" | tr - _)"
	eval "pid=\$PID_$(echo "$2" | tr - _)"
	case $1 in
	small) path=/small; script="" ;;
	64k) path=/64k.bin; script="" ;;
	1m) path=/1m.bin; script="" ;;
	up1m) path=/upload; script="-s $T/upload.lua" ;;
	*) echo "bench/lb_bodies.sh: unknown workload $1" >&2; exit 2 ;;
	esac
	before=$(ticks "$pid")
	# shellcheck disable=SC2086
	out=$(wrk -t1 -c"$CONNS" -d"${DURATION}s" $script "http://127.0.0.1:$port$path" 2>&1)
	after=$(ticks "$pid")
	reqs=$(echo "$out" | awk '/requests in/ {print $1}')
	rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
	errs=$(echo "$out" | awk '/Socket errors|Non-2xx/ {print}' | tr '\n' ' ')
	echo "$1 $2 $rps $reqs $((after - before))" >>"$T/results"
	printf '  %-6s %-15s %10s req/s  %s\n' "$1" "$2" "$rps" "$errs"
}

echo "brace lb bodies benchmark: $ROUNDS rounds x ${DURATION}s, wrk -t1 -c$CONNS, $(nproc) CPUs"
for r in $(seq "$ROUNDS"); do
	echo "round $r"
	for w in $WORKLOADS; do
		for c in $CONTENDERS; do
			run "$w" "$c"
		done
	done
done

echo
echo "| workload | contender | median req/s | vs HAProxy | CPU us/request | vs HAProxy |"
echo "|---|---|---:|---:|---:|---:|"
awk -v hz="$HZ" '
function median(arr, n,   i, j, t) {
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (arr[j] < arr[i]) { t = arr[i]; arr[i] = arr[j]; arr[j] = t }
	return n % 2 ? arr[(n + 1) / 2] : (arr[n / 2] + arr[n / 2 + 1]) / 2
}
{
	key = $1 SUBSEP $2
	if (!(key in n)) { order[++k] = key }
	n[key]++; rps[key, n[key]] = $3
	cpu[key, n[key]] = $4 > 0 ? ($5 / hz) * 1e6 / $4 : 0
}
END {
	for (i = 1; i <= k; i++) {
		key = order[i]; m = n[key]
		for (j = 1; j <= m; j++) { a[j] = rps[key, j]; b[j] = cpu[key, j] }
		R[key] = median(a, m); C[key] = median(b, m)
	}
	for (i = 1; i <= k; i++) {
		key = order[i]; split(key, f, SUBSEP)
		h = f[1] SUBSEP "haproxy"
		rr = (h in R) && R[h] > 0 ? R[key] / R[h] : 0
		cr = (h in C) && C[h] > 0 ? C[key] / C[h] : 0
		printf "| %s | %s | %.0f | %.2fx | %.1f | %.2fx |\n", f[1], f[2], R[key], rr, C[key], cr
	}
}' "$T/results"
