"""The database and HTTP clients (libpq, libmariadb, libcurl) are loaded when
a connection or a ping first needs them, never at start; a client that
cannot be loaded is reported the way a connection failure is, naming the
library and the Debian package that ships it. OpenSSL (libssl, and libcrypto
with it) is loaded by brace lb alone, and only for a configuration with TLS;
when it cannot be, a start, a reload or --check of such a configuration
fails naming it, and a balancer without TLS runs as well without it.
SQLite is loaded when a command first opens the journal: brace logs never
does; a journal that cannot be opened for want of it is that open's error.

The loader's own trace (LD_DEBUG=files) says which libraries a process
opens, /proc/PID/maps which ones a running balancer has. A library made unusable is a real shared library of the same name in
a directory on LD_LIBRARY_PATH, which the loader searches before the system
directories: one that lacks the client's functions (the wrong library), or
one whose own dependency is gone (a broken installation)."""
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess

import pytest

from conftest import brace_opt_path
from httpbackend import closed_port
from lbproc import LB, LBProc, get, read_response, wait_for
from servers import free_port
from tlsca import CA

CLIENTS = ("libpq.so", "libmariadb.so", "libcurl.so")
OPENSSL = ("libssl.so", "libcrypto.so")
SQLITE = ("libsqlite3.so",)


def opened_libraries(run, *args, env=None):
    """The libraries the loader opened while brace ran with args."""
    e = {"LD_DEBUG": "files"}
    e.update(env or {})
    r = run(*args, env=e)
    return r, set(re.findall(r"file=(\S+)\s+\[\d+\];\s+needed by", r.stderr)) | \
        set(re.findall(r"file=(\S+)\s+\[\d+\];\s+dynamically loaded by", r.stderr))


def compile_library(path, soname, source, extra=()):
    cc = shutil.which("cc") or shutil.which("gcc")
    assert cc, "no C compiler"
    c = str(path) + ".c"
    with open(c, "w") as f:
        f.write(source)
    subprocess.run([cc, "-shared", "-fPIC", "-o", str(path), "-Wl,-soname," + soname, c]
                   + list(extra), check=True)


@pytest.fixture
def wrong_library(tmp_path):
    """wrong_library(soname) -> a directory holding a library called soname that has
    none of the client's functions."""
    def make(soname):
        d = tmp_path / "wrong"
        d.mkdir(exist_ok=True)
        compile_library(d / soname, soname, "int brace_stand_in(void) { return 0; }\n")
        return str(d)
    return make


@pytest.fixture
def broken_library(tmp_path):
    """broken_library(soname) -> a directory holding a library called soname that needs
    libbrace-gone.so, which is no longer there."""
    def make(soname):
        d = tmp_path / "broken"
        d.mkdir(exist_ok=True)
        gone = d / "libbrace-gone.so"
        compile_library(gone, "libbrace-gone.so", "int brace_gone(void) { return 0; }\n")
        compile_library(d / soname, soname,
                        "int brace_gone(void);\n"
                        "int brace_stand_in(void) { return brace_gone(); }\n",
                        ["-L" + str(d), "-lbrace-gone"])
        os.unlink(gone)
        return str(d)
    return make


def test_version_opens_none_of_the_clients_nor_openssl_nor_sqlite(run):
    r, libs = opened_libraries(run, "--version")
    assert r.returncode == 0
    assert any(lib.startswith("libc.so") for lib in libs), r.stderr[-2000:]
    assert not [lib for lib in libs if lib.startswith(CLIENTS + OPENSSL + SQLITE)], libs


def test_logs_opens_none_of_the_clients_nor_openssl_nor_sqlite(run, tmp_path):
    log = tmp_path / "access.log"
    log.write_text('127.0.0.1 - - [10/Oct/2024:13:55:36 +0000] "GET / HTTP/1.1" 200 12 "-" "x"\n')
    r, libs = opened_libraries(run, "logs", "--json", str(log))
    assert r.returncode == 0, r.stderr[-2000:]
    assert any(lib.startswith("libc.so") for lib in libs), r.stderr[-2000:]
    assert not [lib for lib in libs if lib.startswith(CLIENTS + OPENSSL + SQLITE)], libs


def test_neither_binary_is_linked_with_openssl(brace):
    for path in sorted({brace, brace_opt_path()}):
        r = subprocess.run(["ldd", path], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=60)
        assert r.returncode == 0 and "libc.so" in r.stdout, r.stdout
        assert "libssl" not in r.stdout and "libcrypto" not in r.stdout, r.stdout
        assert "libsqlite3" not in r.stdout, r.stdout


def test_the_journal_loads_sqlite_when_it_is_opened(run, tmp_path):
    env = {"BRACE_JOURNAL": str(tmp_path / "j.db")}
    r, libs = opened_libraries(run, "journal", "note", "deploy started", env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    assert [lib for lib in libs if lib.startswith(SQLITE)], libs
    r = run("journal", "list", env=env)
    assert r.returncode == 0 and "deploy started" in r.stdout, r.stdout + r.stderr


def test_journal_note_with_the_wrong_libsqlite_fails_naming_the_package(run, tmp_path,
                                                                         wrong_library):
    r = run("journal", "note", "x", env={"BRACE_JOURNAL": str(tmp_path / "j.db"),
                                         "LD_LIBRARY_PATH": wrong_library("libsqlite3.so.0")})
    assert r.returncode == 1, r.stderr
    assert "cannot load libsqlite3.so.0 (Debian package libsqlite3-0)" in r.stderr, r.stderr
    assert not (tmp_path / "j.db").exists()


def test_run_with_a_broken_libsqlite_runs_the_job_without_recording(run, tmp_path,
                                                                     broken_library):
    ran = tmp_path / "ran"
    r = run("run", "--", "touch", str(ran),
            env={"BRACE_JOURNAL": str(tmp_path / "j.db"),
                 "LD_LIBRARY_PATH": broken_library("libsqlite3.so.0")})
    assert r.returncode == 0, r.stderr
    assert ran.exists()
    assert "libsqlite3.so.0 (Debian package libsqlite3-0)" in r.stderr, r.stderr
    assert "without recording" in r.stderr, r.stderr


@pytest.mark.parametrize("scheme,client", [("postgresql", "libpq.so.5"),
                                           ("mysql", "libmariadb.so.3")])
def test_conns_opens_its_client_when_it_connects(run, scheme, client):
    url = "%s://app@127.0.0.1:%d/appdb" % (scheme, closed_port())
    r, libs = opened_libraries(run, "conns", url)
    assert r.returncode == 3
    assert client in libs, libs
    assert not [lib for lib in libs if lib.startswith(CLIENTS) and lib != client], libs


def test_conns_nagios_with_the_wrong_libpq_is_unknown_naming_the_package(run, wrong_library):
    d = wrong_library("libpq.so.5")
    r = run("conns", "--nagios", "postgresql://app:Sekr1t@127.0.0.1:%d/appdb" % closed_port(),
            env={"LD_LIBRARY_PATH": d})
    assert r.returncode == 3, r.stdout + r.stderr
    assert r.stdout.startswith("CONNS UNKNOWN: ")
    assert "cannot load libpq.so.5 (Debian package libpq5)" in r.stdout
    assert "undefined symbol: PQ" in r.stdout
    assert "Sekr1t" not in r.stdout + r.stderr


def test_conns_json_with_a_broken_libmariadb_names_the_missing_library(run, broken_library):
    d = broken_library("libmariadb.so.3")
    r = run("conns", "--json", "mysql://app@127.0.0.1:%d/appdb" % closed_port(),
            env={"LD_LIBRARY_PATH": d})
    assert r.returncode == 3, r.stdout + r.stderr
    assert "cannot load libmariadb.so.3 (Debian package libmariadb3)" in r.stdout
    assert "libbrace-gone.so: cannot open shared object file" in r.stdout


def test_run_lock_db_without_a_usable_libpq_is_the_unavailable_lock_db(run, tmp_path,
                                                                       wrong_library):
    """The same exit as an unreachable lock database: 75 (EX_TEMPFAIL)."""
    d = wrong_library("libpq.so.5")
    ran = tmp_path / "ran"
    r = run("run", "--lock", "j", "--gate-timeout", "1s", "--lock-db",
            "postgresql://app@127.0.0.1:%d/appdb" % closed_port(), "--",
            "touch", str(ran), env={"LD_LIBRARY_PATH": d, "BRACE_JOURNAL": str(tmp_path / "j.db"),
                                    "BRACE_LOCK_DIR": str(tmp_path / "locks")})
    assert r.returncode == 75, r.stderr
    assert "cannot load libpq.so.5 (Debian package libpq5)" in r.stderr
    assert not ran.exists()


def test_ping_with_the_wrong_libcurl_warns_and_the_job_is_unaffected(run, tmp_path,
                                                                     wrong_library):
    d = wrong_library("libcurl.so.4")
    r = run("run", "--ping", "http://127.0.0.1:%d/ping/abc" % closed_port(), "--",
            "sh", "-c", "echo done; exit 5",
            env={"LD_LIBRARY_PATH": d, "BRACE_JOURNAL": str(tmp_path / "j.db"),
                 "BRACE_LOCK_DIR": str(tmp_path / "locks")})
    assert r.returncode == 5 and r.stdout == "done\n", r.stderr
    assert "ping (start): cannot load libcurl.so.4 (Debian package libcurl4)" in r.stderr
    assert "undefined symbol: curl_" in r.stderr
    assert "not affected" in r.stderr


# ---- OpenSSL: brace lb with TLS only ----

@pytest.fixture(scope="module")
def leaf(tmp_path_factory):
    """A certificate and key bundle for a.test, from a private CA (leaf.ca)."""
    d = tmp_path_factory.mktemp("ca")
    ca = CA(d / "ca")
    leaf = ca.issue("a", ["a.test"], out=d / "certs")
    leaf.ca = ca
    return leaf


def mapped_openssl(pid):
    """The OpenSSL libraries process pid has mapped."""
    with open("/proc/%d/maps" % pid) as f:
        return {os.path.basename(line.split()[5]) for line in f
                if len(line.split()) >= 6 and os.path.basename(line.split()[5]).startswith(OPENSSL)}


def https_status(port, leaf):
    """The status of one HTTPS request to a.test, its certificate verified."""
    ctx = ssl.create_default_context(cafile=leaf.ca.cert)
    with socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
        with ctx.wrap_socket(raw, server_hostname="a.test") as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n")
            return read_response(s)[0]


def lb_conf(path, port, backend, listen_lines=(), server_opts=""):
    path.write_text("[global]\nthreads = 1\njournal = off\n[listen web]\nbind = 127.0.0.1:%d\n"
                    "%s[pool app]\nserver = b1 %s%s\n"
                    % (port, "".join(l + "\n" for l in listen_lines), backend, server_opts))
    return path


def test_lb_without_tls_serves_and_never_maps_openssl(lb, backends):
    b, = backends(1)
    p = lb("-b", b.addr, "--threads", "1", "--no-journal")
    assert get(p.port)[0] == 200
    assert mapped_openssl(p.proc.pid) == set()


def test_lb_with_a_tls_listener_maps_openssl_and_serves_https(lb, backends, leaf):
    b, = backends(1)
    p = lb("-b", b.addr, "--threads", "1", "--no-journal", "--tls-cert", leaf.bundle)
    assert https_status(p.port, leaf) == 200
    assert {"libssl.so.3", "libcrypto.so.3"} <= mapped_openssl(p.proc.pid)


def test_lb_without_tls_runs_with_an_unusable_libssl(lb, backends, wrong_library):
    b, = backends(1)
    p = lb("-b", b.addr, "--threads", "1", "--no-journal",
           env={"LD_LIBRARY_PATH": wrong_library("libssl.so.3")})
    assert get(p.port)[0] == 200
    assert mapped_openssl(p.proc.pid) == set()


@pytest.mark.parametrize("where", ["listener", "server"])
def test_check_with_tls_and_the_wrong_libssl_is_an_error_naming_the_package(
        run, tmp_path, leaf, wrong_library, where):
    """A tls-cert of a listener and a server's tls both need OpenSSL; without
    TLS, --check does not."""
    env = {"LD_LIBRARY_PATH": wrong_library("libssl.so.3")}
    conf = lb_conf(tmp_path / "lb.conf", free_port(), "127.0.0.1:%d" % closed_port(),
                   ["tls-cert = " + leaf.bundle] if where == "listener" else [],
                   " tls verify=none" if where == "server" else "")
    r = run("lb", "-c", conf, "--check", env=env)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "%s: cannot load libssl.so.3 (Debian package libssl3)" % conf in r.stderr, r.stderr
    assert "undefined symbol: SSL_" in r.stderr, r.stderr
    assert "has 1 error" in r.stderr, r.stderr
    plain = lb_conf(tmp_path / "plain.conf", free_port(), "127.0.0.1:%d" % closed_port())
    r = run("lb", "-c", plain, "--check", env=env)
    assert r.returncode == 0 and "is valid" in r.stdout, r.stderr


def test_lb_start_with_tls_and_a_broken_libssl_fails_naming_the_missing_library(
        run, leaf, broken_library):
    r = run("lb", "-l", "127.0.0.1:%d" % free_port(), "-b", "127.0.0.1:%d" % closed_port(),
            "--tls-cert", leaf.bundle, "--no-journal",
            env={"LD_LIBRARY_PATH": broken_library("libssl.so.3")})
    assert r.returncode == 1, r.stderr
    assert "cannot load libssl.so.3 (Debian package libssl3)" in r.stderr, r.stderr
    assert "libbrace-gone.so: cannot open shared object file" in r.stderr, r.stderr


def test_a_reload_that_adds_tls_loads_openssl_then(brace, backends, leaf, tmp_path):
    b, = backends(1)
    port = free_port()
    conf = lb_conf(tmp_path / "lb.conf", port, b.addr)
    p = LBProc([brace, "lb", "-c", conf])
    try:
        assert get(port)[0] == 200
        assert mapped_openssl(p.proc.pid) == set()
        lb_conf(conf, port, b.addr, ["tls-cert = " + leaf.bundle])
        p.proc.send_signal(signal.SIGHUP)
        assert wait_for(lambda: "configuration reloaded" in p.stderr, timeout=60), p.stderr
        assert https_status(port, leaf) == 200
        assert {"libssl.so.3", "libcrypto.so.3"} <= mapped_openssl(p.proc.pid)
    finally:
        assert p.stop() == 0, p.stderr
    assert "ERROR: AddressSanitizer" not in p.stderr and "runtime error" not in p.stderr


def test_a_reload_that_adds_tls_without_a_usable_libssl_keeps_the_running_configuration(
        brace, backends, leaf, tmp_path, wrong_library):
    b, = backends(1)
    port = free_port()
    conf = lb_conf(tmp_path / "lb.conf", port, b.addr)
    p = LBProc([brace, "lb", "-c", conf], env={"LD_LIBRARY_PATH": wrong_library("libssl.so.3")})
    try:
        lb_conf(conf, port, b.addr, ["tls-cert = " + leaf.bundle])
        p.proc.send_signal(signal.SIGHUP)
        assert wait_for(lambda: "the running configuration is kept" in p.stderr, timeout=60), \
            p.stderr
        assert "cannot load libssl.so.3 (Debian package libssl3)" in p.stderr, p.stderr
        assert get(port)[0] == 200
    finally:
        assert p.stop() == 0, p.stderr
    assert "ERROR: AddressSanitizer" not in p.stderr and "runtime error" not in p.stderr
