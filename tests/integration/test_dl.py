"""The database and HTTP clients (libpq, libmariadb, libcurl) are loaded when
a connection or a ping first needs them, never at start; a client that
cannot be loaded is reported the way a connection failure is, naming the
library and the Debian package that ships it.

The loader's own trace (LD_DEBUG=files) says which libraries a process
opens. A client made unusable is a real shared library of the same name in
a directory on LD_LIBRARY_PATH, which the loader searches before the system
directories: one that lacks the client's functions (the wrong library), or
one whose own dependency is gone (a broken installation)."""
import os
import re
import shutil
import subprocess

import pytest

from httpbackend import closed_port

CLIENTS = ("libpq.so", "libmariadb.so", "libcurl.so")


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


def test_version_opens_none_of_the_clients(run):
    r, libs = opened_libraries(run, "--version")
    assert r.returncode == 0
    assert any(lib.startswith("libc.so") for lib in libs), r.stderr[-2000:]
    assert not [lib for lib in libs if lib.startswith(CLIENTS)], libs


def test_logs_opens_none_of_the_clients(run, tmp_path):
    log = tmp_path / "access.log"
    log.write_text('127.0.0.1 - - [10/Oct/2024:13:55:36 +0000] "GET / HTTP/1.1" 200 12 "-" "x"\n')
    r, libs = opened_libraries(run, "logs", "--json", str(log))
    assert r.returncode == 0, r.stderr[-2000:]
    assert not [lib for lib in libs if lib.startswith(CLIENTS)], libs


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
