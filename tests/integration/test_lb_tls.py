"""brace lb terminating TLS, with certificates of a private CA made by the
test (openssl): curl and openssl s_client as clients, --check on good and
bad files."""
import datetime
import hashlib
import http.client
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import threading
import time
import urllib.request

import pytest

from httpbackend import Backend, RawServer, echo
from lbproc import LBProc, pipes_of, read_response
from conftest import brace_opt_path
from servers import free_port
from tlsca import CA


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    """A CA and the leaves the tests share, made once for the module."""
    d = tmp_path_factory.mktemp("ca")
    ca = CA(d / "ca")
    now = datetime.datetime.now(datetime.timezone.utc)
    ca.leaves = {
        "a": ca.issue("a", ["a.test", "www.a.test"], out=d / "certs"),
        "b": ca.issue("b", ["*.b.test"], out=d / "certs"),
        "c": ca.issue("c", ["c.test"], key="rsa", out=d / "certs"),
        "other": ca.issue("other", ["other.test"], out=d / "certs"),
        "soon": ca.issue("soon", ["soon.test"], days=5, out=d / "certs"),
        "old": ca.issue("old", ["old.test"], start=now - datetime.timedelta(days=400),
                        end=now - datetime.timedelta(days=35), out=d / "certs"),
        "cn": ca.issue("cn", [], cn="legacy.test", out=d / "certs"),
    }
    return ca


def conf_text(port, backend, lines, extra_listen=""):
    return ("[global]\nthreads = 1\njournal = off\n[listen web]\nbind = 127.0.0.1:%d\n%s%s"
            "[pool app]\nserver = b1 %s\n" % (port, "".join(l + "\n" for l in lines),
                                             extra_listen, backend))


def check(run, tmp_path, lines):
    conf = tmp_path / "lb.conf"
    conf.write_text(conf_text(free_port(), "127.0.0.1:9", lines))
    return run("lb", "-c", conf, "--check"), conf


# ---- --check ----

def test_check_accepts_bundles_separate_keys_directories_and_warns_of_expiry(run, ca,
                                                                          tmp_path):
    L = ca.leaves
    d = tmp_path / "dir"
    d.mkdir()
    for name in ("a", "b"):
        (d / (name + ".pem")).write_text(open(L[name].bundle).read())
    r, conf = check(run, tmp_path, [
        "tls-cert = " + L["a"].bundle,
        "tls-cert = " + L["c"].cert, "tls-key = " + L["c"].key,
        "tls-cert = " + str(d),
        "tls-cert = " + L["soon"].bundle,
    ])
    assert r.returncode == 0, r.stderr
    assert "is valid" in r.stdout
    assert re.search(r"warning: %s:10: certificate %s \(soon.test\) expires in [45] days" %
                     (re.escape(str(conf)), re.escape(L["soon"].bundle)), r.stderr), r.stderr


def test_check_finds_a_key_beside_its_certificate(run, ca, tmp_path):
    # NAME.crt and NAME.key side by side, no tls-key line
    r, _ = check(run, tmp_path, ["tls-cert = " + ca.leaves["other"].cert])
    assert r.returncode == 0, r.stderr


def test_check_refuses_a_key_that_does_not_match_with_file_and_reason(run, ca, tmp_path):
    L = ca.leaves
    r, conf = check(run, tmp_path, ["tls-cert = " + L["a"].cert, "tls-key = " + L["b"].key])
    assert r.returncode == 1
    assert "%s:6: %s does not match the certificate in %s: key values mismatch" % (
        conf, L["b"].key, L["a"].cert) in r.stderr, r.stderr
    assert "has 1 error" in r.stderr


def test_check_refuses_an_expired_certificate(run, ca, tmp_path):
    L = ca.leaves
    r, conf = check(run, tmp_path, ["tls-cert = " + L["a"].bundle,
                                    "tls-cert = " + L["old"].bundle])
    assert r.returncode == 1
    assert re.search(r"%s:7: certificate %s \(old.test\) expired on \d{4}-\d\d-\d\d" % (
        re.escape(str(conf)), re.escape(L["old"].bundle)), r.stderr), r.stderr


def test_check_refuses_unreadable_and_missing_files_and_says_why(run, ca, tmp_path):
    missing = tmp_path / "missing.pem"
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    nokey = tmp_path / "nokey.pem"
    nokey.write_text(open(ca.leaves["a"].cert).read())
    r, conf = check(run, tmp_path, ["tls-cert = %s" % missing, "tls-cert = %s" % garbage,
                                    "tls-cert = %s" % nokey])
    assert r.returncode == 1
    assert "%s:6: cannot read %s: No such file or directory" % (conf, missing) in r.stderr
    assert "%s:7: %s: no certificate in it" % (conf, garbage) in r.stderr
    assert "%s:8: %s: no private key in it, and no key file beside it" % (conf, nokey) \
        in r.stderr
    assert "has 3 errors" in r.stderr
    if os.geteuid() != 0:
        locked = tmp_path / "locked.pem"
        locked.write_text(open(ca.leaves["a"].bundle).read())
        locked.chmod(0)
        r, conf = check(run, tmp_path, ["tls-cert = %s" % locked])
        assert "cannot read %s: Permission denied" % locked in r.stderr


def test_check_refuses_an_encrypted_key(run, ca, tmp_path):
    enc = tmp_path / "enc.key"
    subprocess.run(["openssl", "pkey", "-in", ca.leaves["a"].key, "-aes128", "-passout",
                    "pass:secret", "-out", str(enc)], check=True)
    r, conf = check(run, tmp_path, ["tls-cert = " + ca.leaves["a"].cert, "tls-key = %s" % enc])
    assert r.returncode == 1
    assert "%s: the private key is encrypted; brace lb needs it without a passphrase" % enc \
        in r.stderr


def test_check_refuses_cipher_lists_that_select_nothing_and_a_bad_ca_file(run, ca, tmp_path):
    conf = tmp_path / "lb.conf"
    conf.write_text("[global]\njournal = off\n[listen web]\nbind = 127.0.0.1:%d\n"
                    "tls-cert = %s\ntls-ciphers = NOTHING-SUCH\n"
                    "[pool app]\nserver = s1 127.0.0.1:9 tls verify=%s\n"
                    % (free_port(), ca.leaves["a"].bundle, tmp_path / "no-ca.pem"))
    r = run("lb", "-c", conf, "--check")
    assert r.returncode == 1
    assert "tls-ciphers 'NOTHING-SUCH' selects no cipher" in r.stderr, r.stderr
    assert "%s:8: server 's1': cannot load the CAs of %s" % (conf, tmp_path / "no-ca.pem") \
        in r.stderr, r.stderr


def test_start_refuses_a_bad_key_and_names_it(run, ca, tmp_path):
    r = run("lb", "-l", "127.0.0.1:%d" % free_port(), "-b", "127.0.0.1:9",
            "--tls-cert", ca.leaves["a"].cert, "--tls-key", ca.leaves["b"].key,
            "--no-journal", timeout=60)
    assert r.returncode == 1
    assert "%s does not match the certificate in %s" % (ca.leaves["b"].key,
                                                        ca.leaves["a"].cert) in r.stderr


def test_dump_config_prints_the_quick_forms_tls_keys(run, ca):
    r = run("lb", "-l", ":8443", "-b", "127.0.0.1:8080", "--tls-cert", "/etc/brace/a.pem",
            "--tls-cert", "/etc/brace/b.pem", "--tls-key", "/etc/brace/b.key",
            "--tls-min", "1.3", "--timeout-handshake", "5s", "--dump-config")
    assert r.returncode == 0, r.stderr
    assert ("tls-cert = /etc/brace/a.pem\ntls-cert = /etc/brace/b.pem\n"
            "tls-key = /etc/brace/b.key\ntls-min = 1.3\n") in r.stdout
    assert "timeout-handshake = 5s\n" in r.stdout
    assert "tls-alpn = http/1.1\n" in r.stdout


# ---- clients ----

REQUEST = b"GET / HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n"


class LBFile(LBProc):
    """brace lb started with -c FILE; its stop also asserts the sanitizers were silent."""

    def __init__(self, brace, conf, env=None):
        super().__init__([brace, "lb", "-c", str(conf)], env=env)

    def stop(self):
        rc = super().stop()
        assert "ERROR: AddressSanitizer" not in self.stderr, self.stderr
        assert "runtime error" not in self.stderr, self.stderr
        return rc


def https_request(port, ca, host="a.test", path="/", method="GET", timeout=30, headers=None,
                  sock=None):
    """One HTTPS request, verified against ca for host (SNI and Host):
    (status, headers, body, the TLS socket's version and cipher)."""
    ctx = ssl.create_default_context(cafile=ca.cert)
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s = ctx.wrap_socket(raw, server_hostname=host)
    try:
        h = "".join("%s: %s\r\n" % kv for kv in (headers or {}).items())
        s.sendall(("%s %s HTTP/1.1\r\nHost: %s\r\n%sConnection: close\r\n\r\n"
                   % (method, path, host, h)).encode())
        status, hdrs, body = read_response(s)
        return status, hdrs, body, s.version(), s.cipher()[0]
    finally:
        s.close()


def s_client(port, *args, data=b"", timeout=30):
    """openssl s_client against the listener: its output (stdout and stderr)."""
    r = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port] +
                       [str(a) for a in args], input=data, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=timeout)
    return r.stdout.decode(errors="replace")


def subject_cn(out):
    m = re.search(r"^subject=.*?CN ?= ?([^,\n]+)", out, re.M)
    return m.group(1).strip() if m else None


class NormalClient:
    """A client making HTTPS requests in a loop beside an attack: every
    status it got, and how many requests failed outright."""

    def __init__(self, port, ca):
        self.port, self.ca = port, ca
        self.statuses, self.errors = [], []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.done.is_set():
            try:
                self.statuses.append(https_request(self.port, self.ca)[0])
            except Exception as e:      # noqa: BLE001 - every failure counts
                self.errors.append(repr(e))
            time.sleep(0.05)

    def stop(self):
        self.done.set()
        self.thread.join(60)
        return self.statuses, self.errors


def metric(admin_port, name, **labels):
    text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % admin_port,
                                  timeout=30).read().decode()
    want = ",".join('%s="%s"' % kv for kv in labels.items())
    total = None
    for line in text.splitlines():
        m = re.match(r"^%s(\{[^}]*\})? (\S+)$" % re.escape(name), line)
        if m and all(('%s="%s"' % kv) in (m.group(1) or "") for kv in labels.items()):
            total = (total or 0) + float(m.group(2))
    assert total is not None, "no %s{%s} in:\n%s" % (name, want, text)
    return total


def wait_for(cond, timeout=30, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def tls_lb(lb, ca, *args, certs=("a", "b", "cn"), admin=None):
    """brace lb on a free port with the CA's certificates (the first the default)."""
    extra = []
    for name in certs:
        extra += ["--tls-cert", ca.leaves[name].bundle]
    if admin:
        extra += ["--admin", "127.0.0.1:%d" % admin]
    return lb(*(extra + ["--threads", "1", "--no-journal"] + list(args)))


# ---- HTTPS through the proxy ----

def test_https_with_curl_reaches_the_server_with_x_forwarded_proto_https(lb, backends, ca):
    b, = backends(1)
    p = tls_lb(lb, ca, "-b", b.addr)
    r = subprocess.run(["curl", "-sS", "--cacert", ca.cert, "--resolve",
                        "a.test:%d:127.0.0.1" % p.port, "https://a.test:%d/headers" % p.port],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    headers = {k.lower(): v for k, v in json.loads(r.stdout)}
    assert headers["x-forwarded-proto"] == "https"
    assert headers["x-forwarded-for"] == "127.0.0.1"
    # keep-alive: several requests on one connection, then a POST body
    r = subprocess.run(["curl", "-sS", "--cacert", ca.cert, "--resolve",
                        "a.test:%d:127.0.0.1" % p.port, "-w", "%{http_code} %{num_connects}\n"] +
                       ["-o", "/dev/null", "https://a.test:%d/big?size=100000" % p.port] * 3,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split("\n")[:3] == ["200 1", "200 0", "200 0"]
    body = os.urandom(300000)
    r = subprocess.run(["curl", "-sS", "--cacert", ca.cert, "--resolve",
                        "a.test:%d:127.0.0.1" % p.port, "--data-binary", "@-",
                        "https://a.test:%d/upload" % p.port], input=body,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    assert r.returncode == 0, r.stderr
    up = json.loads(r.stdout)
    assert up["length"] == len(body)
    assert up["sha256"] == hashlib.sha256(body).hexdigest()


def test_sni_picks_the_certificate_by_san_cn_and_wildcard_else_the_default(lb, backends, ca):
    b, = backends(1)
    p = tls_lb(lb, ca, "-b", b.addr)
    cases = [("a.test", "a.test"), ("WWW.A.test", "a.test"), ("shop.b.test", "*.b.test"),
             ("deep.shop.b.test", "a.test"), ("b.test", "a.test"), ("legacy.test", "legacy.test"),
             ("nobody.test", "a.test")]
    for name, cn in cases:
        out = s_client(p.port, "-servername", name)
        assert subject_cn(out) == cn, (name, out)
    out = s_client(p.port, "-noservername")
    assert subject_cn(out) == "a.test", out
    # and a verifying client gets a certificate valid for the name it asked
    for host in ("www.a.test", "x.b.test", "legacy.test"):
        if host == "legacy.test":
            continue        # a CN without SAN: modern clients no longer accept it
        assert https_request(p.port, ca, host=host)[0] == 200


def test_tls_1_0_and_1_1_are_refused_and_1_2_and_1_3_accepted(lb, backends, ca):
    b, = backends(1)
    admin = free_port()
    p = tls_lb(lb, ca, "-b", b.addr, admin=admin)
    for old in ("-tls1", "-tls1_1"):
        out = s_client(p.port, old, "-cipher", "DEFAULT:@SECLEVEL=0")
        assert "Cipher is (NONE)" in out or "alert protocol version" in out, out
    for new, name in (("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")):
        out = s_client(p.port, new)
        # the session block comes only once a 1.3 ticket arrived: the summary line
        assert re.search(r"^New, %s, Cipher is " % name, out, re.M), out
    assert metric(admin, "brace_tls_handshake_failures_total", reason="version") == 2
    assert metric(admin, "brace_tls_handshakes_total", version="1.2") == 1
    assert metric(admin, "brace_tls_handshakes_total", version="1.3") == 1


def test_only_aead_ecdhe_suites_in_tls_1_2_and_the_servers_order(lb, backends, ca):
    b, = backends(1)
    p = tls_lb(lb, ca, "-b", b.addr, certs=("a", "c"))
    # CBC, RSA key exchange and finite-field DHE are not offered
    for weak in ("AES128-SHA", "AES256-GCM-SHA384", "ECDHE-RSA-AES128-SHA",
                 "ECDHE-ECDSA-AES128-SHA256", "DHE-RSA-AES128-GCM-SHA256"):
        out = s_client(p.port, "-tls1_2", "-cipher", weak)
        assert "Cipher is (NONE)" in out or "handshake failure" in out, (weak, out)
    # the server's preference wins over the client's order
    out = s_client(p.port, "-tls1_2", "-cipher",
                   "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256")
    assert "Cipher    : ECDHE-ECDSA-AES128-GCM-SHA256" in out, out
    # an RSA certificate (the second) is served to RSA-only clients
    out = s_client(p.port, "-tls1_2", "-servername", "c.test", "-sigalgs", "RSA-PSS+SHA256")
    assert "Cipher    : ECDHE-RSA-AES128-GCM-SHA256" in out, out
    # no compression, no renegotiation
    out = s_client(p.port, "-tls1_2")
    assert "Compression: NONE" in out
    assert "Secure Renegotiation IS supported" in out   # the extension, not the feature
    out = s_client(p.port, "-tls1_2", data=b"R\n")
    assert "RENEGOTIATING" in out
    assert re.search(r"no renegotiation|alert", out), out


def test_alpn_offers_http_1_1_and_nothing_else_by_default(lb, backends, ca, tmp_path):
    b, = backends(1)
    p = tls_lb(lb, ca, "-b", b.addr)
    assert "ALPN protocol: http/1.1" in s_client(p.port, "-alpn", "h2,http/1.1")
    assert "No ALPN negotiated" in s_client(p.port, "-alpn", "h2")
    assert "No ALPN negotiated" in s_client(p.port)
    conf = tmp_path / "alpn.conf"
    port = free_port()
    conf.write_text(conf_text(port, b.addr, ["tls-cert = " + ca.leaves["a"].bundle,
                                             "tls-alpn = off"]))
    q = LBFile(p.argv[0], conf)
    try:
        assert "No ALPN negotiated" in s_client(port, "-alpn", "h2,http/1.1")
    finally:
        assert q.stop() == 0


def test_sessions_resume_by_ticket_and_by_cache(lb, backends, ca, tmp_path):
    b, = backends(1)
    admin = free_port()
    p = tls_lb(lb, ca, "-b", b.addr, admin=admin)
    for version in ("-tls1_2", "-tls1_3"):
        for ticket in ([], ["-no_ticket"]):
            if version == "-tls1_3" and ticket:
                continue        # TLS 1.3 resumes by tickets only
            sess = tmp_path / ("sess%s%s" % (version, "".join(ticket)))
            # a whole request: a TLS 1.3 ticket comes after the handshake
            out = s_client(p.port, version, "-sess_out", sess, "-ign_eof", *ticket,
                           data=REQUEST)
            assert "New, TLSv1" in out, out
            out = s_client(p.port, version, "-sess_in", sess, "-ign_eof", *ticket,
                           data=REQUEST)
            assert "Reused, TLSv1" in out, (version, ticket, out)
    assert metric(admin, "brace_tls_resumed_handshakes_total") == 3


# ---- redirect, TCP mode ----

def _curl_raw(args):
    """curl -sS ARGS, its output as bytes decoded without newline translation."""
    r = subprocess.run(["curl", "-sS"] + args, stdout=subprocess.PIPE, timeout=60)
    r.stdout = r.stdout.decode(errors="replace")
    return r


def test_a_plain_listener_redirects_to_the_tls_listeners_port(brace, backends, ca, tmp_path):
    b, = backends(1)
    plain, secure = free_port(), free_port()
    conf = tmp_path / "redirect.conf"
    conf.write_text("[global]\nthreads = 1\njournal = off\n"
                    "[listen http]\nbind = 127.0.0.1:%d\nredirect-https = on\n"
                    "[listen https]\nbind = 127.0.0.1:%d\ntls-cert = %s\n"
                    "[pool app]\nserver = b1 %s\n" % (plain, secure, ca.leaves["a"].bundle,
                                                      b.addr))
    p = LBFile(brace, conf)
    try:
        r = _curl_raw(["-i", "-H", "Host: a.test:%d" % plain,
                       "http://127.0.0.1:%d/x/y?z=1" % plain])
        assert r.stdout.startswith("HTTP/1.1 301 Moved Permanently\r\n"), r.stdout
        assert "\r\nLocation: https://a.test:%d/x/y?z=1\r\n" % secure in r.stdout
        r = _curl_raw(["-i", "-X", "POST", "-d", "x", "-H", "Host: a.test",
                       "http://127.0.0.1:%d/form" % plain])
        assert r.stdout.startswith("HTTP/1.1 308 Permanent Redirect\r\n"), r.stdout
        # curl follows it to the TLS listener and the server
        r = subprocess.run(["curl", "-sS", "-L", "--cacert", ca.cert, "--resolve",
                            "a.test:%d:127.0.0.1" % plain, "--resolve",
                            "a.test:%d:127.0.0.1" % secure, "http://a.test:%d/" % plain],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
        assert r.returncode == 0 and r.stdout == "b1\n", r.stderr
        # ACME HTTP-01 challenges still reach the server over plain HTTP
        r = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                            "http://127.0.0.1:%d/.well-known/acme-challenge/token" % plain],
                           stdout=subprocess.PIPE, text=True, timeout=60)
        assert r.stdout == "200"
        assert "/.well-known/acme-challenge/token" in b.httpd.paths
    finally:
        assert p.stop() == 0


def tls_echo(port, ca, data, host="a.test"):
    ctx = ssl.create_default_context(cafile=ca.cert)
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=30),
                        server_hostname=host)
    try:
        s.sendall(data)
        got = b""
        while len(got) < len(data):
            d = s.recv(65536)
            if not d:
                break
            got += d
        return got
    finally:
        s.close()


def test_tcp_mode_terminates_tls_and_relays_with_maxconn_and_queue(lb, ca):
    srv = RawServer(echo)
    p = tls_lb(lb, ca, "-m", "tcp", "-b", srv.addr + ",maxconn=1", "--queue-timeout", "30s")
    data = os.urandom(200000)
    assert tls_echo(p.port, ca, data) == data
    # maxconn=1: a second session waits for the first, then is relayed
    ctx = ssl.create_default_context(cafile=ca.cert)
    first = ctx.wrap_socket(socket.create_connection(("127.0.0.1", p.port), timeout=30),
                            server_hostname="a.test")
    first.sendall(b"first")
    assert first.recv(100) == b"first"
    result = {}
    t = threading.Thread(target=lambda: result.update(second=tls_echo(p.port, ca, b"second")))
    t.start()
    time.sleep(0.5)
    assert "second" not in result and srv.conns == 2
    first.close()
    t.join(60)
    assert result["second"] == b"second"
    assert srv.conns == 3
    srv.stop()


# ---- TLS to servers ----

def test_tls_to_a_server_verified_pooled_and_resumed(lb, ca, tmp_path):
    leaf = ca.issue("api", ["api.internal"], out=tmp_path)
    srv = Backend("api", tls=(leaf.cert, leaf.key))
    admin = free_port()
    p = tls_lb(lb, ca, "-b", "%s,tls,verify=%s,sni=api.internal" % (srv.addr, ca.cert),
               admin=admin)
    try:
        for _ in range(20):
            status, _, body, _, _ = https_request(p.port, ca)
            assert (status, body) == (200, b"api\n")
        assert set(srv.sni_names) == {"api.internal"}
        # keep-alive to the server: one TLS session carries the requests
        assert srv.connections == 1
        assert metric(admin, "brace_server_tls_handshakes_total", server=srv.addr) == 1
        # the server closes its connection: the next one resumes the session
        assert https_request(p.port, ca, path="/close")[0] == 200
        assert https_request(p.port, ca)[0] == 200
        assert srv.connections == 2
        assert metric(admin, "brace_server_tls_handshakes_total", server=srv.addr) == 2
        assert metric(admin, "brace_server_tls_resumed_handshakes_total", server=srv.addr) == 1
    finally:
        srv.stop()


def test_a_server_certificate_from_another_ca_is_refused_unless_verify_none(lb, ca, tmp_path):
    other = CA(tmp_path / "other", cn="another CA")
    leaf = other.issue("api", ["api.internal"], out=tmp_path)
    srv = Backend("api", tls=(leaf.cert, leaf.key))
    try:
        p = tls_lb(lb, ca, "-b", "%s,tls,verify=%s,sni=api.internal" % (srv.addr, ca.cert),
                   "--retries", "0")
        assert https_request(p.port, ca)[0] == 502
        wait_for(lambda: "certificate verify failed" in p.stderr, what="the log")
        # the right CA, but the wrong name
        q = tls_lb(lb, ca, "-b", "%s,tls,verify=%s,sni=other.internal" % (srv.addr, other.cert),
                   "--retries", "0")
        assert https_request(q.port, ca)[0] == 502
        wait_for(lambda: "certificate verify failed" in q.stderr, what="the log")
        # verification off, explicitly
        r = tls_lb(lb, ca, "-b", "%s,tls,verify=none" % srv.addr)
        assert https_request(r.port, ca)[:3:2] == (200, b"api\n")
    finally:
        srv.stop()


def test_an_http_check_of_a_tls_server_speaks_tls(lb, ca, tmp_path):
    leaf = ca.issue("chk", ["chk.internal"], out=tmp_path)
    srv = Backend("chk", tls=(leaf.cert, leaf.key))
    admin = free_port()
    try:
        p = tls_lb(lb, ca, "-b", "%s,tls,verify=%s,sni=chk.internal" % (srv.addr, ca.cert),
                   "--check-path", "/", "--check-interval", "200ms", admin=admin)
        wait_for(lambda: srv.requests >= 3, what="three checks")
        assert metric(admin, "brace_server_up", server=srv.addr) == 1
        assert "chk.internal" in srv.sni_names
    finally:
        srv.stop()


# ---- certificates swapped by SIGHUP ----

def served_pem(port, *args):
    """The certificate the listener serves (PEM), from openssl s_client."""
    out = s_client(port, *args)
    m = re.search(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", out, re.S)
    assert m, out
    return m.group(0)


def first_pem(path):
    return re.search(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----",
                     open(path).read(), re.S).group(0)


def replace_file(path, text):
    """Write path anew, as a renewal does (a new file renamed over the old)."""
    tmp = str(path) + ".new"
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, str(path))


def journal_events(brace, path):
    r = subprocess.run([brace, "journal", "--journal", str(path), "list", "--json"],
                       stdout=subprocess.PIPE, text=True, timeout=60)
    return [json.loads(x) for x in r.stdout.splitlines()]


def test_a_certificate_swapped_by_sighup_under_wrk_fails_no_request(backends, ca, tmp_path):
    b, = backends(1)
    brace = brace_opt_path()        # wrk's load: the optimised binary
    one = open(ca.leaves["a"].bundle).read()
    two = open(ca.issue("a2", ["a.test", "www.a.test"], out=tmp_path).bundle).read()
    site = tmp_path / "site.pem"
    site.write_text(one)
    port = free_port()
    journal = tmp_path / "journal.db"
    conf = tmp_path / "lb.conf"
    conf.write_text("[global]\nthreads = 2\njournal = %s\n[listen web]\nbind = 127.0.0.1:%d\n"
                    "tls-cert = %s\n[pool app]\nserver = b1 %s\n" % (journal, port, site, b.addr))
    p = LBFile(brace, conf)
    try:
        wrk = subprocess.Popen(["wrk", "-t2", "-c16", "-d8s", "https://127.0.0.1:%d/" % port],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        time.sleep(1)
        for i in range(6):
            replace_file(site, two if i % 2 == 0 else one)
            p.proc.send_signal(signal.SIGHUP)
            # new handshakes get the new certificate once the reload is done
            wait_for(lambda: p.stderr.count("configuration reloaded") == i + 1,
                     what="reload %d" % (i + 1))
            assert served_pem(port) == first_pem(site)
        out, _ = wrk.communicate(timeout=60)
        assert re.search(r"\d+ requests in", out), out
        assert "Socket errors" not in out, out
        assert "Non-2xx" not in out, out

        # a renewal gone wrong: the certificate loaded before stays, and says why
        served = served_pem(port)
        site.write_text("-----BEGIN CERTIFICATE-----\ngarbage\n")
        p.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: p.stderr.count("configuration reloaded") == 7, what="the bad reload")
        assert "%s: bad certificate" % site in p.stderr, p.stderr
        assert "keeping the certificate loaded at" in p.stderr
        assert served_pem(port) == served
        assert https_request(port, ca)[0] == 200
    finally:
        assert p.stop() == 0
    kinds = [e["kind"] for e in journal_events(brace, journal)]
    assert kinds.count("tls_cert_loaded") == 7, kinds      # the start, then 6 new files
    assert kinds.count("tls_cert_reload_failed") == 1, kinds
    failed = [e for e in journal_events(brace, journal) if e["kind"] == "tls_cert_reload_failed"]
    assert failed[0]["subject"] == str(site) and failed[0]["severity"] == "error"


def test_journal_and_log_say_a_certificate_expires_soon(brace, backends, ca, tmp_path):
    b, = backends(1)
    journal = tmp_path / "journal.db"
    p = LBFile(brace, conf_file(tmp_path, b, ["tls-cert = " + ca.leaves["soon"].bundle],
                                journal=journal))
    try:
        assert re.search(r"certificate %s \(soon.test\) expires in [45] days" %
                         re.escape(ca.leaves["soon"].bundle), p.stderr), p.stderr
    finally:
        assert p.stop() == 0
    evs = {e["kind"]: e for e in journal_events(brace, journal)}
    assert evs["tls_cert_loaded"]["subject"] == ca.leaves["soon"].bundle
    assert evs["tls_cert_expiring"]["severity"] == "warning"
    assert "soon.test expires on" in evs["tls_cert_expiring"]["message"]


def conf_file(tmp_path, backend, lines, journal=None, port=None, extra=""):
    conf = tmp_path / "lb.conf"
    conf.write_text(("[global]\nthreads = 1\njournal = %s\n%s" % (journal or "off", extra)) +
                    "[listen web]\nbind = 127.0.0.1:%d\n%s[pool app]\nserver = b1 %s\n"
                    % (port or free_port(), "".join(l + "\n" for l in lines), backend.addr))
    return conf


# ---- the access log ----

def test_the_access_log_records_tls_version_and_cipher(brace, backends, ca, tmp_path):
    b, = backends(1)
    for fmt in ("json", "combined-tls"):
        log = tmp_path / ("access-%s.log" % fmt)
        port = free_port()
        p = LBFile(brace, conf_file(tmp_path, b, ["tls-cert = " + ca.leaves["a"].bundle],
                                    port=port, extra="access-log = %s\naccess-log-format = %s\n"
                                    % (log, fmt)))
        try:
            _, _, _, version, cipher = https_request(port, ca)
        finally:
            assert p.stop() == 0
        line = log.read_text().splitlines()[0]
        if fmt == "json":
            rec = json.loads(line)
            assert (rec["tls_version"], rec["tls_cipher"]) == (version, cipher)
        else:
            assert line.endswith(" %s %s" % (version, cipher)), line


# ---- bad clients beside a normal one ----

def client_hello(server_name):
    """The bytes of a real ClientHello for server_name (Python's ssl as the client)."""
    l = socket.socket()
    l.bind(("127.0.0.1", 0))
    l.listen(1)
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE

    def connect():
        try:
            c = socket.create_connection(l.getsockname(), timeout=5)
            ctx.wrap_socket(c, server_hostname=server_name)
        except (OSError, ssl.SSLError):
            pass
    t = threading.Thread(target=connect, daemon=True)
    t.start()
    conn, _ = l.accept()
    conn.settimeout(5)
    data = conn.recv(65536)
    conn.close()
    l.close()
    t.join(10)
    return data


def closed_within(sock, timeout=30):
    """Read until the proxy closes sock: what it sent; raises if it stays open."""
    sock.settimeout(timeout)
    got = b""
    while True:
        try:
            d = sock.recv(65536)
        except ConnectionResetError:
            return got
        if not d:
            return got
        got += d


@pytest.fixture
def attacked(lb, backends, ca):
    """A TLS listener with a 2 s handshake timeout, its admin port, and a normal
    client making requests all along; at the end every one of its requests
    must have been answered 200."""
    b, = backends(1)
    admin = free_port()
    p = tls_lb(lb, ca, "-b", b.addr, "--timeout-handshake", "2s", admin=admin)
    normal = NormalClient(p.port, ca)
    yield p, admin
    statuses, errors = normal.stop()
    assert not errors, errors[:5]
    assert statuses and set(statuses) == {200}


def test_plain_http_on_the_tls_port_gets_a_plain_400(attacked):
    p, admin = attacked
    r = _curl_raw(["-i", "http://127.0.0.1:%d/" % p.port])
    assert r.stdout.startswith("HTTP/1.1 400 Bad Request\r\n"), r.stdout
    assert "This port speaks HTTPS" in r.stdout
    assert metric(admin, "brace_tls_handshake_failures_total", reason="plain_http") == 1


def test_a_client_that_never_sends_a_hello_is_closed_at_the_handshake_timeout(attacked):
    p, admin = attacked
    silent = [socket.create_connection(("127.0.0.1", p.port), timeout=30) for _ in range(50)]
    for s in silent:
        assert closed_within(s) == b""
        s.close()
    # TCP_DEFER_ACCEPT may hold a silent connection in the kernel a little while:
    # closed either way, counted once brace has it
    wait_for(lambda: metric(admin, "brace_tls_handshake_failures_total",
                            reason="timeout") > 0, what="timeouts counted")


def test_a_hello_trickled_a_byte_at_a_time_is_cut_at_the_handshake_timeout(attacked):
    p, admin = attacked
    hello = client_hello("a.test")
    s = socket.create_connection(("127.0.0.1", p.port), timeout=30)
    sent = 0
    try:
        # a byte every 0.2 s: the whole hello would take about a minute
        for i in range(len(hello)):
            s.sendall(hello[i:i + 1])
            sent += 1
            time.sleep(0.2)
    except OSError:
        pass
    got = closed_within(s)
    s.close()
    assert sent < len(hello), "the trickle was never cut"
    assert got == b""
    assert metric(admin, "brace_tls_handshake_failures_total", reason="timeout") >= 1


def test_a_hello_with_a_garbage_server_name_gets_the_default_certificate_or_an_alert(attacked):
    p, admin = attacked
    good = client_hello("abcdefghijklmnop.test")
    for garbage in (b"a b\"c\x01\xffd<e>f\\g%h.;xyz", b"\xff" * 21, b"." * 21, b"*" * 21):
        assert len(garbage) == 21
        hello = good.replace(b"abcdefghijklmnop.test", garbage)
        s = socket.create_connection(("127.0.0.1", p.port), timeout=30)
        s.sendall(hello)
        got = closed_within(s)      # our hello never finishes: closed at the timeout
        s.close()
        # a ServerHello (handshake record) or an alert, never anything else
        assert got[:1] in (b"\x16", b"\x15"), got[:16]
    # a name too long for a host name, and an empty one
    s = socket.create_connection(("127.0.0.1", p.port), timeout=30)
    s.sendall(good.replace(b"abcdefghijklmnop.test", b"\x00" * 21))
    assert closed_within(s)[:1] in (b"\x15", b"")
    s.close()


def test_malformed_handshakes_are_closed_and_counted(attacked):
    p, admin = attacked
    hello = client_hello("a.test")
    bad = [
        b"\x16\x03\x01\xff\xff" + os.urandom(200),          # a record longer than sent
        b"\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00",       # a hello of one byte
        hello[:5] + os.urandom(len(hello) - 5),             # random body
        b"\x17\x03\x03\x00\x10" + os.urandom(16),          # application data first
        b"\x16\x03\x01" + b"\x40\x01" + b"\x00" * 16385,   # longer than a record may be
        hello[:40] + b"\xff" * (len(hello) - 40),           # corrupt lengths inside
    ]
    for data in bad:
        s = socket.create_connection(("127.0.0.1", p.port), timeout=30)
        try:
            s.sendall(data)
        except OSError:
            pass
        closed_within(s)
        s.close()
    total = sum(metric(admin, "brace_tls_handshake_failures_total", reason=r)
                for r in ("malformed", "other", "alert", "closed", "timeout", "version"))
    assert total >= len(bad)


def test_a_flood_of_full_handshakes_never_stops_a_normal_client(attacked):
    p, admin = attacked
    floods = [subprocess.Popen(["openssl", "s_time", "-connect", "127.0.0.1:%d" % p.port,
                                "-new", "-time", "6"], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True) for _ in range(3)]
    outs = [f.communicate(timeout=120)[0] for f in floods]
    done = sum(int(m.group(1)) for o in outs for m in
               re.finditer(r"(\d+) connections in [\d.]+s", o))
    assert done > 0, outs
    assert metric(admin, "brace_tls_handshakes_total") >= done


def test_a_renegotiation_attempt_is_refused_and_the_connection_closed(attacked):
    p, admin = attacked
    # s_client renegotiates on a line "R"; the request after it never gets an answer
    r = subprocess.Popen(["openssl", "s_client", "-connect", "127.0.0.1:%d" % p.port,
                          "-tls1_2"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    r.stdin.write(b"R\n")
    r.stdin.flush()
    time.sleep(1)
    try:
        out = r.communicate(b"GET / HTTP/1.1\r\nHost: a.test\r\n\r\n", timeout=60)[0]
    except BrokenPipeError:
        out = r.communicate(timeout=60)[0]      # already closed: as good
    out = out.decode(errors="replace")
    assert "RENEGOTIATING" in out, out
    assert "no renegotiation" in out, out
    assert "HTTP/1.1 200" not in out, out


def test_tls_compression_is_never_negotiated(lb, backends, ca):
    b, = backends(1)
    p = tls_lb(lb, ca, "-b", b.addr)
    for version in ("-tls1_2", "-tls1_3"):
        out = s_client(p.port, version)
        assert "Compression: NONE" in out, out


# ---- large bodies: TLS takes buffers, plaintext keeps splicing ----

def plain_request(port, method, path, body=None, timeout=120):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request(method, path, body=body, headers={"Host": "a.test"})
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


def curl_upload(port, ca, body):
    r = subprocess.run(["curl", "-sS", "--cacert", ca.cert, "--resolve",
                        "a.test:%d:127.0.0.1" % port, "--data-binary", "@-",
                        "https://a.test:%d/upload" % port], input=body,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_large_bodies_over_tls_go_through_buffers_byte_exact_while_plaintext_splices(
        brace, backends, ca, tmp_path):
    b, = backends(1)
    leaf = ca.issue("api", ["api.internal"], out=tmp_path)
    srv = Backend("api", tls=(leaf.cert, leaf.key))
    tls_port, plain_port, up_port = free_port(), free_port(), free_port()
    conf = tmp_path / "lb.conf"
    conf.write_text(
        "[global]\nthreads = 1\njournal = off\nsplice = yes\n"
        "[listen tls]\nbind = 127.0.0.1:%d\ntls-cert = %s\ndefault-pool = app\n"
        "[listen plain]\nbind = 127.0.0.1:%d\ndefault-pool = app\n"
        "[listen to-tls]\nbind = 127.0.0.1:%d\ndefault-pool = secure\n"
        "[pool app]\nserver = b1 %s\n"
        "[pool secure]\nserver = s1 %s tls verify=%s sni=api.internal\n"
        % (tls_port, ca.leaves["a"].bundle, plain_port, up_port, b.addr, srv.addr, ca.cert))
    p = LBFile(brace, conf)
    size = 12 << 20
    body = os.urandom(size)
    digest = hashlib.sha256(body).hexdigest()
    try:
        base = pipes_of(p.proc.pid)
        # a TLS client, a plaintext server: both directions
        status, headers, got, _, _ = https_request(tls_port, ca, path="/big?size=%d" % size,
                                                   timeout=120)
        assert status == 200 and len(got) == size
        assert hashlib.sha256(got).hexdigest() == headers["x-sha256"]
        up = curl_upload(tls_port, ca, body)
        assert (up["length"], up["sha256"]) == (size, digest)
        # a plaintext client, a TLS server: both directions
        status, headers, got = plain_request(up_port, "GET", "/big?size=%d" % size)
        assert status == 200 and len(got) == size
        assert hashlib.sha256(got).hexdigest() == headers["x-sha256"]
        status, _, got = plain_request(up_port, "POST", "/upload", body)
        up = json.loads(got)
        assert (status, up["length"], up["sha256"]) == (200, size, digest)
        # none of them took a pipe
        assert pipes_of(p.proc.pid) == base
        # plaintext on both sides still splices (a pipe, kept for reuse)
        status, headers, got = plain_request(plain_port, "GET", "/big?size=%d" % size)
        assert status == 200 and hashlib.sha256(got).hexdigest() == headers["x-sha256"]
        assert pipes_of(p.proc.pid) > base
    finally:
        assert p.stop() == 0
        srv.stop()
