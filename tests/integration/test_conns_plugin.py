"""brace conns as a Monitoring Plugin: the standard options (-w -c -t -H -p
-V), an overall deadline that names the stage that hung, and the errors a
sysadmin acts on (MariaDB's own words, TLS-only servers)."""
import os
import re
import shutil
import subprocess

import pytest

import servers
from hangs import HangingDNS, SilentServer, StallAfterLogin, run_hanging_dns_check
from test_conns import NAGIOS_LINE, nagios

PASSWORD = servers.PASSWORD
SAFETY = 120


def scheme(kind):
    return "postgresql" if kind == "pg" else "mysql"


@pytest.fixture(params=["pg", "mariadb"])
def server(request):
    return request.param, request.getfixturevalue(request.param)


# --- the plugin options ------------------------------------------------------

def test_short_options_warning_critical_timeout(server, run):
    kind, srv = server
    r, m = nagios(run, "-w", "1", "-c", "50", "-t", "10", srv.url())
    assert (r.returncode, m.group(1)) == (0, "OK"), r.stdout
    assert (m.group(3), m.group(4)) == ("1", "50")
    r, m = nagios(run, "--warning", "0", "--critical", "~:0", srv.url())
    assert (r.returncode, m.group(1)) == (2, "CRITICAL"), r.stdout
    r, m = nagios(run, "-w", "@0:100", srv.url())
    assert (r.returncode, m.group(1)) == (1, "WARNING"), r.stdout


def test_hostname_and_port_stand_in_for_the_url(server, run):
    kind, srv = server
    base = "%s://app:%s@/appdb" % (scheme(kind), PASSWORD)
    r, m = nagios(run, "-H", "127.0.0.1", "-p", str(srv.port), base)
    assert (r.returncode, m.group(1)) == (0, "OK"), r.stdout
    assert "on 127.0.0.1:%d/appdb" % srv.port in r.stdout
    # They override what the URL says.
    wrong = "%s://app:%s@10.255.255.1:1/appdb" % (scheme(kind), PASSWORD)
    r, m = nagios(run, "--hostname", "127.0.0.1", "--port", str(srv.port), wrong)
    assert m.group(1) == "OK", r.stdout
    r, m = nagios(run, "-p", "70000", base)
    assert (r.returncode, m.group(1)) == (3, "UNKNOWN")
    assert "--port" in r.stdout


def test_version_option(run):
    for args in (["-V"], ["--nagios", "-V"]):
        r = run("conns", *args)
        assert r.returncode == 0 and r.stdout.startswith("brace ")


def test_bad_url_parameter_is_unknown_at_once(run):
    r, m = nagios(run, "postgresql://app@127.0.0.1:1/appdb?bogus=1")
    assert (r.returncode, m.group(1)) == (3, "UNKNOWN")
    assert "unknown parameter 'bogus'" in r.stdout


# --- the deadline and the stage that hung ----------------------------------

@pytest.mark.parametrize("kind", ["pg", "mariadb"])
def test_timeout_against_a_silent_server_is_unknown_naming_login(run, kind):
    silent = SilentServer()
    try:
        url = "%s://app:%s@127.0.0.1:%d/appdb" % (scheme(kind), PASSWORD, silent.port)
        r, m = nagios(run, "-t", "2s", url)
    finally:
        silent.close()
    assert (r.returncode, m.group(1)) == (3, "UNKNOWN"), r.stdout
    assert re.search(r"timed out after [0-9.]+s during login", r.stdout), r.stdout


@pytest.mark.parametrize("kind", ["pg", "mariadb"])
def test_timeout_after_the_login_is_unknown_naming_the_query(request, run, kind):
    srv = request.getfixturevalue(kind)
    proxy = StallAfterLogin("pg" if kind == "pg" else "mysql", srv.port)
    try:
        url = "%s://app:%s@127.0.0.1:%d/appdb" % (scheme(kind), PASSWORD, proxy.port)
        r, m = nagios(run, "--timeout", "2s", url)
    finally:
        proxy.close()
    assert proxy.stalled >= 1
    assert (r.returncode, m.group(1)) == (3, "UNKNOWN"), r.stdout
    assert "during a query" in r.stdout, r.stdout


@pytest.mark.skipif(not run_hanging_dns_check(), reason="cannot make DNS hang here")
@pytest.mark.parametrize("kind", ["pg", "mariadb"])
def test_timeout_covers_a_dns_lookup_that_hangs(brace, kind):
    dns = HangingDNS()
    try:
        url = "%s://app:%s@db.brace-test.example/appdb" % (scheme(kind), PASSWORD)
        r = subprocess.run(dns.wrap([brace, "conns", "--nagios", "-t", "2s", url]),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=SAFETY)
    finally:
        dns.close()
    assert NAGIOS_LINE.match(r.stdout), r.stdout + r.stderr
    assert r.returncode == 3
    # The resolver gives up with "Temporary failure in name resolution" after
    # 5 s x 3 attempts; this is our deadline's own message.
    assert re.search(r"timed out after [0-9.]+s during name resolution", r.stdout), r.stdout


# --- MariaDB's errors in words ---------------------------------------------

def test_mariadb_refused_connection_says_connection_refused(run):
    port = servers.free_port()
    r, m = nagios(run, "mysql://app:%s@127.0.0.1:%d/appdb" % (PASSWORD, port))
    assert (r.returncode, m.group(1)) == (3, "UNKNOWN")
    assert "Connection refused" in r.stdout, r.stdout
    assert "(115)" not in r.stdout and "(111)" not in r.stdout


# --- a TLS-only MariaDB ----------------------------------------------------

def _make_certs(d):
    def ossl(*args):
        subprocess.run(["openssl"] + list(args), check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, cwd=d)
    ossl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out",
         "ca.pem", "-days", "2", "-subj", "/CN=brace test CA")
    ossl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out",
         "server.csr", "-subj", "/CN=localhost")
    with open(os.path.join(d, "ext.cnf"), "w") as f:
        f.write("subjectAltName=DNS:localhost\n")
    ossl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
         "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf")
    ossl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "other.key", "-out",
         "other.pem", "-days", "2", "-subj", "/CN=another CA")
    for name in os.listdir(d):
        os.chmod(os.path.join(d, name), 0o644)


@pytest.fixture(scope="module")
def tls_mariadb():
    if shutil.which("openssl") is None:
        pytest.skip("openssl not installed")
    import tempfile
    certs = tempfile.mkdtemp(prefix="brace-tls-")
    os.chmod(certs, 0o755)
    _make_certs(certs)
    srv = servers.MariaDB(extra_args=[
        "--ssl-ca=" + os.path.join(certs, "ca.pem"),
        "--ssl-cert=" + os.path.join(certs, "server.pem"),
        "--ssl-key=" + os.path.join(certs, "server.key"),
        "--require-secure-transport=ON"])
    try:
        srv.start()
    except Exception:
        srv.stop()
        shutil.rmtree(certs, ignore_errors=True)
        raise
    srv.certs = certs
    yield srv
    srv.stop()
    shutil.rmtree(certs, ignore_errors=True)


def test_tls_only_server_refusal_says_tls_is_required(tls_mariadb, run):
    r, m = nagios(run, tls_mariadb.url())
    assert (r.returncode, m.group(1)) == (3, "UNKNOWN")
    assert "require_secure_transport" in r.stdout and "ssl-mode=REQUIRED" in r.stdout
    assert "Access denied" not in r.stdout


def test_tls_only_server_is_reachable_with_ssl_mode(tls_mariadb, run):
    ca = os.path.join(tls_mariadb.certs, "ca.pem")
    base = tls_mariadb.url()
    local = "mysql://app:%s@localhost:%d/appdb" % (PASSWORD, tls_mariadb.port)
    for url in (base + "?ssl-mode=REQUIRED",
                base + "?ssl-mode=VERIFY_CA&ssl-ca=" + ca,
                local + "?ssl-mode=VERIFY_IDENTITY&ssl-ca=" + ca):
        r, m = nagios(run, url)
        assert (r.returncode, m.group(1)) == (0, "OK"), (url, r.stdout)


def test_tls_verification_failures_are_refused(tls_mariadb, run):
    ca = os.path.join(tls_mariadb.certs, "ca.pem")
    other = os.path.join(tls_mariadb.certs, "other.pem")
    # Signed by another CA.
    r, m = nagios(run, tls_mariadb.url() + "?ssl-mode=VERIFY_CA&ssl-ca=" + other)
    assert (r.returncode, m.group(1)) == (3, "UNKNOWN") and "TLS" in r.stdout, r.stdout
    # The certificate names localhost, not 127.0.0.1.
    r, m = nagios(run, tls_mariadb.url() + "?ssl-mode=VERIFY_IDENTITY&ssl-ca=" + ca)
    assert (r.returncode, m.group(1)) == (3, "UNKNOWN") and "TLS" in r.stdout, r.stdout


def test_tls_parameters_are_checked_before_connecting(run):
    r, m = nagios(run, "mysql://app@127.0.0.1:1/appdb?ssl-mode=SOMETIMES")
    assert (r.returncode, m.group(1)) == (3, "UNKNOWN") and "ssl-mode" in r.stdout
    r, m = nagios(run, "mysql://app@127.0.0.1:1/appdb?ssl-ca=/nonexistent/ca.pem")
    assert "cannot read /nonexistent/ca.pem" in r.stdout
