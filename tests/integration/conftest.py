"""Shared fixtures: the brace binary under test, a private journal, and
private PostgreSQL and MariaDB servers (started once per session, on demand)."""
import os
import signal
import subprocess

import pytest

import servers

# A suite started under nohup, or as a background job of a script, inherits
# SIGHUP or SIGINT ignored, and every process it starts would too: a signal
# the tests send would then never arrive. Give the children the defaults.
if signal.getsignal(signal.SIGHUP) == signal.SIG_IGN:
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def brace_path():
    return os.environ.get("BRACE") or os.path.join(ROOT, "build", "brace")


def brace_opt_path():
    """The optimised binary, for tests that start it many times."""
    return os.environ.get("BRACE_OPT") or brace_path()


@pytest.fixture(scope="session")
def brace():
    path = brace_path()
    if not os.access(path, os.X_OK):
        pytest.fail("brace binary not found at %s (run make)" % path)
    return path


@pytest.fixture
def journal(tmp_path, monkeypatch):
    """A private journal path, also exported as BRACE_JOURNAL."""
    path = str(tmp_path / "journal.db")
    monkeypatch.setenv("BRACE_JOURNAL", path)
    return path


@pytest.fixture
def run(brace):
    """run(*args, input=None, env=None, timeout=60) -> CompletedProcess (text)."""
    def _run(*args, input=None, env=None, timeout=60, cwd=None):
        e = dict(os.environ)
        if env:
            e.update(env)
        return subprocess.run([brace] + [str(a) for a in args], input=input,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=e, timeout=timeout, cwd=cwd)
    return _run


@pytest.fixture
def backends():
    """backends(n, prefix="b", **kw) -> n new HTTP backends named b1, b2, ...,
    stopped after the test."""
    from httpbackend import Backend
    made = []

    def make(n, prefix="b", **kw):
        for _ in range(n):
            made.append(Backend("%s%d" % (prefix, len(made) + 1), **kw))
        return made[-n:]
    yield make
    for b in made:
        b.stop()


@pytest.fixture
def lb(brace):
    """lb(*args) -> a running brace lb on a free port; at the end it must stop
    with status 0 and without a sanitizer report."""
    from lbproc import LB
    started = []

    def start(*args, **kw):
        p = LB(brace, list(args), **kw)
        started.append(p)
        return p
    yield start
    for p in started:
        rc = p.stop()
        assert "ERROR: AddressSanitizer" not in p.stderr, p.stderr
        assert "runtime error" not in p.stderr, p.stderr
        assert rc == 0, p.stderr


@pytest.fixture(scope="session")
def pg():
    server = servers.Postgres()
    try:
        server.start()
    except Exception:
        server.stop()
        raise
    yield server
    server.stop()


@pytest.fixture(scope="session")
def mariadb():
    server = servers.MariaDB()
    try:
        server.start()
    except Exception:
        server.stop()
        raise
    yield server
    server.stop()
