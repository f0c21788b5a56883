# bench/lb_common.sh - what the load balancer's benchmarks share; sourced
# from the top of the repository, never run.
#
#   bench_start NAME TOOL...  exits unless every TOOL is on PATH, builds $B
#                             if missing, makes the run's temporary
#                             directory $T and, on exit, kills $pids and
#                             removes $T (KEEP=1 keeps it)
#   nginx_start NAME          an nginx with one worker, its directory
#                             $T/NAME, its "http { ... }" block read from
#                             standard input; its master's pid in
#                             NGINX_PID, added to $pids
#   port                      a free loopback port
#   ticks PID                 CPU ticks (user+system) of PID and its children
#   haproxy_config FILE PORT TIMEOUT EXTRA SERVER...
#                             an HAProxy configuration (nbthread 1, maxconn
#                             $HAPROXY_MAXCONN or 4096, http-reuse always):
#                             PORT in front of the servers, client and server
#                             timeouts TIMEOUT, EXTRA a line of defaults
#   files_backend PORT        an nginx (one worker, sendfile) on PORT serving
#                             $T/www (64k.bin and 1m.bin of random bytes,
#                             made here), /small (3 bytes) and /upload (reads
#                             the whole body into memory, then answers);
#                             its master's pid in $BACKEND_PID (in $pids),
#                             and
#                             $T/upload.lua, wrk's script for 1 MiB uploads

bench_start() {
	name=$1
	shift
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 ||
		    { echo "bench/$name.sh: needs $t (scripts/install-deps --bench)" >&2; exit 1; }
	done
	[ -x "$B" ] || make -s build/brace
	T=$(mktemp -d "/tmp/brace-bench-$name.XXXXXX")
	pids=""
	trap bench_cleanup EXIT INT TERM
}

bench_cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	sleep 0.3
	if [ -n "${KEEP:-}" ]; then echo "kept $T"; else rm -rf "$T"; fi
}

nginx_start() {
	mkdir -p "$T/$1"
	{
		cat <<CONF
worker_processes 1;
daemon off;
pid $T/$1/nginx.pid;
error_log $T/$1/error.log;
events { worker_connections 4096; }
CONF
		cat
	} >"$T/$1/nginx.conf"
	nginx -c "$T/$1/nginx.conf" -p "$T/$1" &
	NGINX_PID=$!
	pids="$pids $NGINX_PID"
}

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

ticks() {
	total=0
	for p in $1 $(pgrep -P "$1" 2>/dev/null || true); do
		t=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)
		total=$((total + t))
	done
	echo $total
}

haproxy_config() {
	f=$1 p=$2 to=$3 extra=$4
	shift 4
	{
		cat <<CONF
global
  nbthread 1
  maxconn ${HAPROXY_MAXCONN:-4096}
defaults
  mode http
  timeout connect 5s
  timeout client $to
  timeout server $to
  http-reuse always
  $extra
frontend f
  bind 127.0.0.1:$p
  default_backend b
backend b
  balance roundrobin
CONF
		i=0
		for s in "$@"; do
			i=$((i + 1))
			echo "  server s$i $s"
		done
	} >"$f"
}

files_backend() {
	mkdir -p "$T/www" "$T/backend"
	chmod 755 "$T" "$T/www"
	head -c 65536 /dev/urandom >"$T/www/64k.bin"
	head -c 1048576 /dev/urandom >"$T/www/1m.bin"
	nginx_start backend <<CONF
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  client_max_body_size 2m;
  server {
    listen 127.0.0.1:$1;
    root $T/www;
    location = /small { return 200 "ok\n"; }
    # the whole body is read before the answer (nginx's own "return" would
    # answer first, and an answer before the request ends closes the client)
    location = /upload {
      client_body_buffer_size 2m;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_pass http://self/small;
    }
  }
  upstream self { server 127.0.0.1:$1; keepalive 8; }
}
CONF
	BACKEND_PID=$NGINX_PID
	cat >"$T/upload.lua" <<'LUA'
wrk.method = "POST"
wrk.body = string.rep("u", 1048576)
wrk.headers["Content-Type"] = "application/octet-stream"
LUA
}
