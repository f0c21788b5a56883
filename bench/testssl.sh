#!/bin/sh
# bench/testssl.sh - testssl.sh (Debian's package) against a brace lb TLS
# listener with the default settings: protocols, cipher suites, server
# preference, forward secrecy, vulnerabilities (Heartbleed, CCS injection,
# ticketbleed, ROBOT, renegotiation, CRIME, BREACH, POODLE, SWEET32, FREAK,
# DROWN, LOGJAM, BEAST, LUCKY13, Winshock, RC4) and the server defaults.
#
# One ECDSA P-256 certificate for "brace.test" (self-signed: the trust
# findings about it are expected) and a backend that answers 200. Prints
# testssl's findings of severity LOW or worse, then a verdict: exit 1 if
# any finding is MEDIUM, HIGH or CRITICAL, or if testssl itself failed.
# Takes one to three minutes.
#
#   bench/testssl.sh                     the defaults
#   bench/testssl.sh --tls-min 1.3       with extra brace lb quick flags
set -eu
cd "$(dirname "$0")/.."
B="$PWD/build/brace"
for t in testssl openssl python3; do
	command -v $t >/dev/null 2>&1 || { echo "bench/testssl.sh: needs $t (scripts/install-deps --bench)" >&2; exit 1; }
done
[ -x "$B" ] || make -s build/brace

T=$(mktemp -d /tmp/brace-testssl.XXXXXX)
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
BE=$(port); P=$(port)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
    -subj /CN=brace.test -addext subjectAltName=DNS:brace.test \
    -keyout "$T/key.pem" -out "$T/cert.pem" 2>/dev/null
cat "$T/cert.pem" "$T/key.pem" >"$T/bundle.pem"

python3 - "$BE" <<'PY' &
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "3")
        self.end_headers()
        self.wfile.write(b"ok\n")
    do_HEAD = do_GET
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
pids="$pids $!"
"$B" lb --threads 1 --no-journal -l "127.0.0.1:$P" --tls-cert "$T/bundle.pem" \
    -b "127.0.0.1:$BE" "$@" 2>"$T/brace.log" &
pids="$pids $!"
sleep 1

start=$(date +%s)
rc=0
testssl --quiet --color 0 --warnings off --ip one --jsonfile "$T/out.json" \
    --protocols --std --server-preference --fs --vulnerable --server-defaults \
    "brace.test:$P" >"$T/out.txt" 2>&1 || rc=$?
end=$(date +%s)
# testssl's exit status counts findings, not failures: judge from the JSON
python3 - "$T/out.json" "$((end - start))" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
findings = data if isinstance(data, list) else data.get("scanResult", data)
bad, low = [], []
for f in findings:
    sev = f.get("severity", "")
    line = "%-9s %-28s %s" % (sev, f.get("id", ""), f.get("finding", ""))
    if sev in ("MEDIUM", "HIGH", "CRITICAL"):
        bad.append(line)
    elif sev == "LOW":
        low.append(line)
print("testssl.sh: %d checks in %s s" % (len(findings), sys.argv[2]))
for l in low + bad:
    print("  " + l)
print("verdict: %s" % ("%d finding(s) MEDIUM or worse" % len(bad) if bad else
                       "nothing MEDIUM or worse"))
sys.exit(1 if bad else 0)
PY
