#!/bin/sh
# bench/lb_tls.sh - brace lb terminating TLS against HAProxy, on the same
# machine, the same certificate and the same backend.
#
# One ECDSA P-256 certificate (made here with openssl) and one nginx backend
# ("return 200") on loopback. In front of it, each in turn: HAProxy
# (nbthread 1, http-reuse always) and brace lb --threads 1, both offering
# the same TLS 1.3 suites and groups in the same order, so a client
# negotiates the same cipher with both (printed first). Measured, in ROUNDS
# interleaved rounds of DURATION seconds so that machine noise hits both
# alike:
#
#   keep-alive   wrk -t1 -c50 over HTTPS: requests/s and the proxy's CPU
#                time per request (user+system from /proc/PID/stat)
#   handshakes   the same with "Connection: close": every request a new
#                connection and a full handshake. wrk would resume about half
#                of its sessions, so both proxies run with resumption off
#                (HAProxy: no-tls-tickets and no session cache; brace:
#                tls-session-timeout = 0); brace's /metrics confirms that
#                none resumed. Keep-alive is not affected by it.
#
# and once each: the resident memory (VmRSS) a proxy grows by per idle TLS
# keep-alive connection, N of them (default 2000) each having made one
# request; with PROFILE=1, a perf profile of brace lb under the keep-alive
# load (perf record -g, the top of perf report).
#
#   bench/lb_tls.sh [ROUNDS] [DURATION] [N]      defaults: 5 rounds of 10 s, 2000
set -eu
cd "$(dirname "$0")/.."
ROUNDS=${1:-5}
DURATION=${2:-10}
N=${3:-2000}
CONNS=${CONNS:-50}
B="$PWD/build/brace"
. bench/lb_common.sh
bench_start lb_tls nginx haproxy wrk openssl python3
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

BE=$(port); P_HAP=$(port); P_BR=$(port); ADMIN=$(port)
SUITES="TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"
GROUPS="X25519:P-256"

# The certificate both serve: ECDSA P-256, self-signed, one bundle.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
    -subj /CN=bench.test -addext subjectAltName=DNS:bench.test \
    -keyout "$T/key.pem" -out "$T/cert.pem" 2>/dev/null
cat "$T/cert.pem" "$T/key.pem" >"$T/bundle.pem"

nginx_start backend <<CONF
http {
  access_log off;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:$BE; location / { return 200 "ok\n"; } }
}
CONF

cat >"$T/haproxy.cfg" <<CONF
global
  nbthread 1
  maxconn $((N + 1000))
  ssl-default-bind-ciphersuites $SUITES
  ssl-default-bind-curves $GROUPS
  ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets
  tune.ssl.cachesize 0
defaults
  mode http
  timeout connect 5s
  timeout client 10m
  timeout server 60s
  timeout http-keep-alive 10m
  http-reuse always
frontend f
  bind 127.0.0.1:$P_HAP ssl crt $T/bundle.pem alpn http/1.1
  default_backend b
backend b
  server s1 127.0.0.1:$BE
CONF
haproxy -f "$T/haproxy.cfg" -db >"$T/haproxy.log" 2>&1 &
pids="$pids $!"; PID_HAP=$!

cat >"$T/brace.conf" <<CONF
[global]
threads = 1
maxconn = $((N + 1000))
admin = 127.0.0.1:$ADMIN
journal = off
[listen f]
bind = 127.0.0.1:$P_BR
tls-cert = $T/bundle.pem
tls-session-timeout = 0
timeout-client = 10m
[pool b]
server = s1 127.0.0.1:$BE
CONF
"$B" lb -c "$T/brace.conf" 2>"$T/brace.log" &
pids="$pids $!"; PID_BR=$!
sleep 1

HZ=$(getconf CLK_TCK)
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

echo "brace lb TLS benchmark: $ROUNDS rounds x ${DURATION}s, wrk -t1 -c$CONNS, $(nproc) CPUs," \
    "$(openssl version | cut -d' ' -f1-2), HAProxy $(haproxy -v | head -1 | awk '{print $3}')"
for p in "$P_HAP:haproxy" "$P_BR:brace"; do
	echo "  ${p#*:}: $(echo | openssl s_client -connect "127.0.0.1:${p%%:*}" 2>/dev/null |
	    awk '/^New, / {print $2, $5} /Server Temp Key/ {print $4, $5, $6}' | tr '\n' ' ')"
done

run() { # kind label port pid
	# wrk sends a -H header only when written "Name: value", with the space
	hdr="X-Bench: keep-alive"
	[ "$1" = handshakes ] && hdr="Connection: close"
	before=$(ticks "$4")
	out=$(wrk -t1 -c"$CONNS" -d"${DURATION}s" -H "$hdr" "https://127.0.0.1:$3/" 2>&1)
	after=$(ticks "$4")
	reqs=$(echo "$out" | awk '/requests in/ {print $1}')
	rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
	errs=$(echo "$out" | awk '/Socket errors|Non-2xx/ {print}' | tr '\n' ' ')
	echo "$1 $2 $rps $reqs $((after - before))" >>"$T/results"
	printf '  %-11s %-8s %10s req/s  %s\n' "$1" "$2" "$rps" "$errs"
}

for r in $(seq "$ROUNDS"); do
	echo "round $r"
	for kind in keep-alive handshakes; do
		run $kind haproxy "$P_HAP" "$PID_HAP"
		run $kind brace "$P_BR" "$PID_BR"
	done
done

resumed=$(python3 - "$ADMIN" <<'PY'
import sys, urllib.request
text = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1]).read().decode()
done = sum(float(l.split()[-1]) for l in text.splitlines()
           if l.startswith("brace_tls_handshakes_total{"))
res = sum(float(l.split()[-1]) for l in text.splitlines()
          if l.startswith("brace_tls_resumed_handshakes_total{"))
print("%d handshakes, %d resumed" % (done, res))
PY
)
echo "brace /metrics: $resumed"

echo
echo "| load | proxy | median req/s | vs HAProxy | CPU us/request | vs HAProxy |"
echo "|---|---|---:|---:|---:|---:|"
awk -v hz="$HZ" '
function median(arr, n,   i, j, t) {
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (arr[j] < arr[i]) { t = arr[i]; arr[i] = arr[j]; arr[j] = t }
	return n % 2 ? arr[(n + 1) / 2] : (arr[n / 2] + arr[n / 2 + 1]) / 2
}
{
	key = $1 " " $2
	n[key]++; rps[key, n[key]] = $3
	if ($4 > 0) cpu[key, n[key]] = ($5 / hz) * 1e6 / $4
	if (!(key in seen)) { seen[key] = 1; order[++k] = key }
}
END {
	for (i = 1; i <= k; i++) {
		c = order[i]; m = n[c]
		for (j = 1; j <= m; j++) { a[j] = rps[c, j]; b[j] = cpu[c, j] }
		R[c] = median(a, m); C[c] = median(b, m)
	}
	for (i = 1; i <= k; i++) {
		c = order[i]; split(c, f, " "); h = f[1] " haproxy"
		printf "| %s | %s | %.0f | %.2fx | %.1f | %.2fx |\n", f[1], f[2], R[c], R[c] / R[h], C[c], C[c] / C[h]
	}
}' "$T/results"

# ---- memory per idle TLS keep-alive connection ----
hold() { # port pid label
	python3 - "$1" "$N" >"$T/hold.out" 2>&1 <<'PY' &
import socket, ssl, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
socks = []
for i in range(n):
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="bench.test")
    s.sendall(b"GET / HTTP/1.1\r\nHost: bench.test\r\n\r\n")
    buf = b""
    while not buf.endswith(b"ok\n"):
        buf += s.recv(4096)
    socks.append(s)
print("ready", flush=True)
time.sleep(3600)
PY
	cpid=$!
	before=$(rss_kb "$2")
	while ! grep -q ready "$T/hold.out" 2>/dev/null; do
		kill -0 $cpid 2>/dev/null || { cat "$T/hold.out"; exit 1; }
		sleep 0.5
	done
	sleep 2
	after=$(rss_kb "$2")
	kill $cpid 2>/dev/null || true
	wait $cpid 2>/dev/null || true
	rm -f "$T/hold.out"
	printf '| %s | %d | %d | %.0f |\n' "$3" "$before" "$after" \
	    "$(echo "($after - $before) * 1024 / $N" | bc -l)"
}
echo
echo "Resident memory holding $N idle TLS keep-alive client connections"
echo
echo "| proxy | RSS before (KiB) | RSS with $N (KiB) | bytes per connection |"
echo "|---|---:|---:|---:|"
hold "$P_HAP" "$PID_HAP" "HAProxy nbthread 1"
hold "$P_BR" "$PID_BR" "brace lb --threads 1"

# ---- where brace's time goes ----
if [ "${PROFILE:-0}" = 1 ] && command -v perf >/dev/null 2>&1; then
	echo
	echo "perf: brace lb under wrk -c$CONNS keep-alive, ${DURATION}s"
	wrk -t1 -c"$CONNS" -d"$((DURATION + 2))s" "https://127.0.0.1:$P_BR/" >/dev/null 2>&1 &
	wp=$!
	sleep 1
	perf record -q -g -p "$PID_BR" -o "$T/perf.data" -- sleep "$DURATION" >/dev/null 2>&1
	wait $wp || true
	perf report -i "$T/perf.data" --no-children --sort dso --stdio 2>/dev/null |
	    grep -E '^ +[0-9]' | head -8
	echo
	perf report -i "$T/perf.data" --no-children --sort symbol --stdio 2>/dev/null |
	    grep -E '^ +[0-9]' | head -25
fi
