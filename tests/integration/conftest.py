"""Shared fixtures: the brace binary under test, a private journal, and
private PostgreSQL and MariaDB servers (started once per session, on demand)."""
import os
import subprocess

import pytest

import servers

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
