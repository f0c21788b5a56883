#!/bin/sh
# bench/testssl.sh - testssl.sh (Debian's package) against a brace lb TLS
# listener with the default settings: protocols, cipher suites, server
# preference, forward secrecy, vulnerabilities (Heartbleed, CCS injection,
# ticketbleed, ROBOT, renegotiation, CRIME, BREACH, POODLE, SWEET32, FREAK,
# DROWN, LOGJAM, BEAST, LUCKY13, Winshock, RC4) and the server defaults.
#
# One ECDSA P-256 certificate for "brace.test" (self-signed, 30 days, no
# CRL or OCSP: testssl's findings about it are expected and listed apart)
# and a backend that answers 200. Prints the protocols offered, the
# vulnerability checks, then every other finding of severity LOW or worse
# and a verdict: exit 1 if there is any, or if testssl itself failed.
# Takes two to three minutes, which is why it is not in the test suite.
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
testssl --quiet --color 0 --warnings off --jsonfile "$T/out.json" \
    --protocols --std --server-preference --fs --vulnerable --server-defaults \
    "127.0.0.1:$P" >"$T/out.txt" 2>&1 || rc=$?
end=$(date +%s)
# testssl's exit status counts findings, not failures: judge from the JSON.
# Findings about the certificate made for the run (self-signed, no CRL/OCSP,
# no CAA record, 30 days) are expected and listed apart.
python3 - "$T/out.json" "$((end - start))" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
findings = data if isinstance(data, list) else data.get("scanResult", data)
ids = {f.get("id", ""): f for f in findings}
def about_test_cert(i):
    return i.startswith("cert") or i in ("DNS_CAArecord", "chain_of_trust")
bad, cert = [], []
for f in findings:
    sev, i = f.get("severity", ""), f.get("id", "")
    line = "%-9s %-28s %s" % (sev, i, f.get("finding", ""))
    if sev in ("LOW", "MEDIUM", "HIGH", "CRITICAL"):
        (cert if about_test_cert(i) else bad).append(line)
print("testssl.sh: %d checks in %s s" % (len(findings), sys.argv[2]))
for p in ("SSLv2", "SSLv3", "TLS1", "TLS1_1", "TLS1_2", "TLS1_3"):
    if p in ids:
        print("  %-7s %s" % (p, ids[p].get("finding", "")))
vulns = [f for f in findings if f.get("id", "") in (
    "heartbleed", "CCS", "ticketbleed", "ROBOT", "secure_renego", "secure_client_renego",
    "CRIME_TLS", "BREACH", "POODLE_SSL", "fallback_SCSV", "SWEET32", "FREAK", "DROWN",
    "LOGJAM", "BEAST", "LUCKY13", "winshock", "RC4")]
print("  vulnerabilities checked: %d, %s" % (len(vulns), ", ".join(
    "%s: %s" % (f["id"], f.get("severity")) for f in vulns)))
print("findings about the test certificate (expected): %d" % len(cert))
for l in cert:
    print("  " + l)
print("other findings LOW or worse: %d" % len(bad))
for l in bad:
    print("  " + l)
failed = len(findings) < 50
print("verdict: %s" % ("testssl.sh did not get through (see its output)" if failed else
                       "%d finding(s) LOW or worse" % len(bad) if bad else "nothing LOW or worse"))
sys.exit(1 if failed or bad else 0)
PY
