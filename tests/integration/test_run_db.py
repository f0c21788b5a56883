"""brace run against real databases: the headroom gate on PostgreSQL, and
--lock-db on PostgreSQL and MariaDB."""
import os
import subprocess

import pytest

from conftest import brace_path
from test_run import SAFETY, env, gated_job, history, lines, start, wait_until  # noqa: F401

PASSWORD = "s3cret-pw"


def hold(server, n):
    """n open sessions of the application role."""
    return [server.connect() for _ in range(n)]


def release(conns):
    for c in conns:
        c.close()


def read_until(proc, word):
    """Lines of proc's stderr up to the first containing word."""
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if word in line:
            return seen
    raise AssertionError("%r never said %r: %s" % (proc.args, word, "".join(seen)))


# --- the database gate ------------------------------------------------------

@pytest.mark.parametrize("limit", ["5", "30%"])
def test_db_gate_waits_while_above_and_runs_once_sessions_are_released(run, env, pg, limit):
    ran = env["dir"] / "ran-gate"
    held = hold(pg, 8)
    try:
        gov = start("run", "-v", "--name", "dbg", "--db", pg.url(), "--db-max-used", limit,
                    "--", "touch", str(ran))
        seen = read_until(gov, "waiting:")
        assert "above --db-max-used " + limit in seen[-1]
        with open("/proc/%d/cmdline" % gov.pid, "rb") as f:
            assert PASSWORD.encode() not in f.read()
        assert not ran.exists()
    finally:
        release(held)
    assert gov.wait(SAFETY) == 0
    assert PASSWORD not in "".join(seen) + gov.stderr.read()
    assert ran.exists()
    (ev,) = history(run, "dbg")
    assert ev["kind"] == "run_ok" and ev["waited_ms"] > 0


def test_db_gate_short_timeout_exits_75_without_running(run, env, pg):
    ran = env["dir"] / "never"
    held = hold(pg, 8)
    try:
        r = run("run", "--name", "dbt", "--db", pg.url(), "--db-max-used", "5",
                "--gate-timeout", "2s", "--", "touch", str(ran))
    finally:
        release(held)
    assert r.returncode == 75
    assert not ran.exists()
    assert "above --db-max-used 5" in r.stderr and PASSWORD not in r.stderr
    (ev,) = history(run, "dbt")
    assert (ev["kind"], ev["reason"], ev["status"]) == ("gate_timeout", "gate", 75)
    assert "connections in use" in ev["message"]


def test_db_gate_counts_a_full_server_as_closed(run, env, pg):
    ran = env["dir"] / "never"
    held = []
    try:
        # Take every slot an ordinary role can have: the gate cannot even connect.
        while True:
            try:
                held.append(pg.connect())
            except Exception:
                break
        r = run("run", "--name", "full", "--db", pg.url(), "--db-max-used", "90%",
                "--gate-timeout", "1s", "--", "touch", str(ran))
    finally:
        release(held)
    assert r.returncode == 75 and not ran.exists()
    assert "server full" in r.stderr


def test_db_gate_refused_login_fails_at_once(run, env, pg):
    gov = start("run", "--name", "auth", "--db", pg.url(password="wrong"), "--db-max-used",
                "50%", "--gate-timeout", "10m", "--", "touch", str(env["dir"] / "never"))
    assert gov.wait(SAFETY) == 75
    err = gov.stderr.read()
    assert "login refused" in err and "wrong" not in err
    (ev,) = history(run, "auth")
    assert ev["reason"] == "gate-error"


def test_db_gate_open_runs_at_once(run, env, pg):
    r = run("run", "--db", pg.url(), "--db-max-used", "95%", "--", "echo", "ran")
    assert r.returncode == 0 and r.stdout == "ran\n"


@pytest.mark.parametrize("args,word", [
    (["--db", "postgresql://x@h/db", "--", "true"], "go together"),
    (["--db-max-used", "5", "--", "true"], "go together"),
    (["--db", "ftp://h/db", "--db-max-used", "5", "--", "true"], "--db"),
    (["--db", "postgresql://h/db", "--db-max-used", "10:20", "--", "true"], "--db-max-used"),
    (["--lock-db", "postgresql://h/db", "--", "true"], "need --lock"),
])
def test_db_usage_errors_exit_125(run, env, args, word):
    r = run("run", *args)
    assert r.returncode == 125 and word in r.stderr


# --- the database lock ------------------------------------------------------

@pytest.mark.parametrize("server", ["pg", "mariadb"])
def test_lock_db_from_two_processes_one_runs(request, run, env, server, tmp_path):
    srv = request.getfixturevalue(server)
    d = env["dir"]
    url = srv.url()
    first = start("run", "--lock", "dbl-" + server, "--lock-db", url, "--", *gated_job(d))
    wait_until(lambda: lines(d / "ran"), "the first run to start")
    # Another "machine": its own lock directory; only the database is shared.
    other = dict(os.environ, BRACE_LOCK_DIR=str(tmp_path / "other-machine"))
    r = subprocess.run([brace_path(), "run", "--lock", "dbl-" + server, "--lock-db", url,
                        "--busy-exit", "3", "--", "touch", str(d / "never")],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=other,
                       timeout=SAFETY)
    assert r.returncode == 3, r.stderr
    assert not (d / "never").exists()
    waiter = subprocess.Popen([brace_path(), "run", "-v", "--lock", "dbl-" + server,
                               "--lock-db", url, "--wait", "10m", "--", "touch",
                               str(d / "second")],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=other)
    read_until(waiter, "waiting up to")
    (d / "gate").touch()
    assert first.wait(SAFETY) == 0
    assert waiter.wait(SAFETY) == 0
    assert (d / "second").exists()
    kinds = sorted(e["kind"] for e in history(run, "dbl-" + server))
    assert kinds == ["run_ok", "run_ok", "skip"]


def test_lock_db_is_released_when_the_governor_is_killed(run, env, pg):
    d = env["dir"]
    gov = start("run", "--lock", "dbk", "--lock-db", pg.url(), "--", *gated_job(d))
    wait_until(lambda: lines(d / "ran"), "the job to start")
    gov.kill()
    gov.wait(SAFETY)
    # The server ends the dead governor's session, and its lock with it.
    r = run("run", "--lock", "dbk", "--lock-db", pg.url(), "--wait", "1m", "--", "echo", "again")
    assert r.returncode == 0 and r.stdout == "again\n"


def test_lock_db_max_concurrent_two(run, env, pg):
    d = env["dir"]
    url = pg.url()
    procs = [start("run", "--lock", "dbm", "--lock-db", url, "--max-concurrent", "2", "--",
                   *gated_job(d)) for _ in range(2)]
    wait_until(lambda: len(lines(d / "ran")) == 2, "two runs")
    r = run("run", "--lock", "dbm", "--lock-db", url, "--max-concurrent", "2", "--busy-exit",
            "4", "--", "true")
    assert r.returncode == 4
    (d / "gate").touch()
    assert [p.wait(SAFETY) for p in procs] == [0, 0]


def test_lock_db_unreachable_exits_75_after_gate_timeout(run, env):
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    url = "postgresql://app:%s@127.0.0.1:%d/appdb" % (PASSWORD, port)
    r = run("run", "--lock", "dbu", "--lock-db", url, "--gate-timeout", "1s", "--", "touch",
            str(env["dir"] / "never"))
    assert r.returncode == 75
    assert not (env["dir"] / "never").exists()
    assert "unreachable" in r.stderr and PASSWORD not in r.stderr
    (ev,) = history(run, "dbu")
    assert (ev["kind"], ev["reason"]) == ("gate_timeout", "lock-db")
