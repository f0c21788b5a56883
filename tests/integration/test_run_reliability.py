"""brace run when things go wrong: the governor killed with SIGKILL, the
lock's database session lost, gates that hang, signals while waiting, its
own errors, secrets in ps(1) and in messages, and durations that wait long.
The tests that matter most after a crash run against the optimised binary
as well as the sanitized one."""
import os
import signal
import subprocess
import time

import pytest

from conftest import brace_opt_path, brace_path
from hangs import SilentServer, StallAfterLogin
from test_run import SAFETY, alive, env, history, lines, wait_until  # noqa: F401
from test_run import start as _start

PASSWORD = "s3cret-pw"
BINARIES = pytest.mark.parametrize("binary", ["asan", "opt"])


STARTED = []


def start(*args, binary=None):
    p = _start(*args, binary=binary)
    STARTED.append(p)
    return p


@pytest.fixture(autouse=True)
def no_leftovers(env):
    """A failing test must not leave its governor or its endless job behind."""
    yield
    while STARTED:
        p = STARTED.pop()
        if p.poll() is None:
            p.kill()
            p.wait()
    for f in os.listdir(env["dir"]):
        if f.endswith("pid"):
            for pid in lines(env["dir"] / f):
                try:
                    os.killpg(int(pid), signal.SIGKILL)
                except (OSError, ValueError):
                    pass


def path_of(binary):
    return brace_path() if binary == "asan" else brace_opt_path()


def cmdline(pid):
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        return f.read()


# --- the governor killed: never two jobs at once ---------------------------

def stubborn_job(d, tag):
    """A job whose whole process group ignores SIGTERM (the trap is inherited
    by its sleep), noting its pid in d/<tag>; it checks, when it starts,
    that no process of an earlier run is alive (d/<tag>-overlap if one is)."""
    # A zombie is no overlap (here PID 1 may never reap the orphans).
    script = ('for p in $(cat "$0"/*.pid 2>/dev/null); do '
              's=$(sed -n "s/^State:[[:space:]]*\\(.\\).*/\\1/p" /proc/$p/status 2>/dev/null); '
              '[ -n "$s" ] && [ "$s" != Z ] && echo $p >> "$0/%s-overlap"; done; '
              'echo $$ > "$0/%s.pid"; trap "" TERM; while :; do sleep 0.05; done' % (tag, tag))
    return ["sh", "-c", script, str(d)]


@BINARIES
def test_sigkilled_governor_never_lets_two_jobs_run_together(env, binary):
    d = env["dir"]
    gov = start("run", "--lock", "k9", "--kill-after", "2s", "--", *stubborn_job(d, "first"),
                binary=path_of(binary))
    wait_until(lambda: lines(d / "first.pid"), "the first job to start")
    first = int(lines(d / "first.pid")[0])
    gov.kill()
    gov.wait(SAFETY)
    # At once, as cron would an instant later: the lock is still held.
    again = subprocess.run([path_of(binary), "run", "--lock", "k9", "--timeout", "1s",
                            "--kill-after", "100ms", "--", *stubborn_job(d, "x")],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=SAFETY)
    # And one that waits for the lock: it starts only once the first job is gone.
    waiter = start("run", "--lock", "k9", "--wait", "2m", "--timeout", "1s", "--kill-after",
                   "100ms", "--", *stubborn_job(d, "second"), binary=path_of(binary))
    assert waiter.wait(SAFETY) == 124
    assert not alive(first)
    # Whenever a later run started, nothing of the first was alive.
    assert not (d / "x-overlap").exists() and not (d / "second-overlap").exists()
    # (The one started at once found the lock held and skipped, as a rule.)
    assert again.returncode in (0, 124), again.stderr
    # The guard said what it did, on the dead governor's stderr.
    assert "the governor died" in gov.stderr.read()


def history_of(binary, name):
    r = subprocess.run([path_of(binary), "run", "--history", name, "--json"],
                       stdout=subprocess.PIPE, text=True, timeout=SAFETY)
    import json
    return [json.loads(x) for x in r.stdout.splitlines()]


def test_guard_holds_no_lock_after_a_normal_end(run, env):
    # The next run starts at once after a run that ended normally.
    for _ in range(3):
        r = run("run", "--lock", "quick", "--", "true")
        assert r.returncode == 0
    assert [e["kind"] for e in history(run, "quick")] == ["run_ok"] * 3


# --- brace run's own errors --------------------------------------------------

@pytest.mark.parametrize("args,word", [
    ([], "missing COMMAND"),
    (["--bogus-option", "--", "true"], "bogus"),
    (["--gate-timeout", "30", "--", "true"], "no unit"),
    (["--on-lock-lost", "maybe", "--lock", "x", "--", "true"], "--on-lock-lost"),
    (["--gate-unreachable", "sometimes", "--", "true"], "--gate-unreachable"),
    (["--db", "postgresql://app@127.0.0.1/appdb?bogus=1", "--db-max-used", "5", "--",
      "true"], "unknown parameter 'bogus'"),
])
def test_own_errors_exit_125_not_the_jobs_status(run, env, args, word):
    r = run("run", *args)
    assert r.returncode == 125, r.stderr
    assert word in r.stderr


def test_missing_absolute_path_says_no_such_file(run, env):
    r = run("run", "--", "/nonexistent/bin/job")
    assert r.returncode == 127
    assert "/nonexistent/bin/job: No such file or directory" in r.stderr


@pytest.mark.parametrize("opt", ["--wait", "--jitter", "--min-interval", "--gate-timeout",
                                 "--retry-delay"])
def test_long_waits_refuse_a_bare_number(run, env, opt):
    args = ["--lock", "u"] if opt == "--wait" else []
    r = run("run", *args, opt, "30", "--", "true")
    assert r.returncode == 125 and "no unit" in r.stderr
    r = run("run", *args, opt, "30ms", "--", "true")
    assert r.returncode == 0, r.stderr


def test_timeout_still_reads_a_bare_number_as_seconds(run, env):
    assert run("run", "--timeout", "30", "--", "true").returncode == 0


# --- -q past the file cap ---------------------------------------------------

def test_quiet_past_256_mib_keeps_stdout_and_stderr_apart(env, tmp_path):
    out, err = tmp_path / "out", tmp_path / "err"
    job = ("head -c 300000000 /dev/zero | tr '\\0' o; echo 'ERR-LINE' >&2; "
           "echo; echo 'OUT-END'; exit 3")
    with open(out, "wb") as o, open(err, "wb") as e:
        r = subprocess.run([brace_opt_path(), "run", "-q", "--", "sh", "-c", job],
                           stdout=o, stderr=e, timeout=600)
    assert r.returncode == 3
    errtext = err.read_bytes()
    assert b"ERR-LINE" in errtext and b"bytes of output were not kept" in errtext
    assert b"oooo" not in errtext
    with open(out, "rb") as f:
        f.seek(-4096, os.SEEK_END)
        tail = f.read()
    assert tail.endswith(b"OUT-END\n")
    assert b"ERR-LINE" not in tail
    # Nothing of stderr anywhere in stdout.
    with open(out, "rb") as f:
        while True:
            chunk = f.read(1 << 24)
            if not chunk:
                break
            assert b"ERR" not in chunk


# --- secrets -----------------------------------------------------------------

def test_ping_url_is_redacted_in_warnings_and_in_ps(env):
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    url = "http://hc:PingPw77@127.0.0.1:%d/0f3c-UUID-SECRET" % port
    d = env["dir"]
    gov = start("run", "--ping", url, "--ping-timeout", "1s", "--", "sh", "-c",
                'echo $$ > "$0/pid"; while [ ! -e "$0/gate" ]; do sleep 0.05; done', str(d))
    wait_until(lambda: lines(d / "pid"), "the job to start")
    shown = cmdline(gov.pid)
    (d / "gate").touch()
    assert gov.wait(SAFETY) == 0
    err = gov.stderr.read()
    for secret in ("PingPw77", "UUID-SECRET"):
        assert secret.encode() not in shown
        assert secret not in err
    assert b"http://hc:@127.0.0.1:%d/ " % port in shown
    assert "ping (start) to http://hc:***@127.0.0.1:%d/***" % port in err


def test_hidden_arguments_do_not_reveal_their_length(env):
    d = env["dir"]
    shown = []
    for pw in ("a", "a-much-longer-password-than-the-first-one"):
        url = "postgresql://app:%s@127.0.0.1:1/appdb" % pw
        gov = start("run", "--db", url, "--db-max-used", "90%", "--gate-unreachable", "run",
                    "--", "sh", "-c",
                    'echo $$ > "$0/pid"; while [ ! -e "$0/gate" ]; do sleep 0.05; done', str(d))
        wait_until(lambda: lines(d / "pid"), "the job to start")
        shown.append(cmdline(gov.pid))
        (d / "gate").touch()
        assert gov.wait(SAFETY) == 0, gov.stderr.read()
        os.unlink(d / "pid")
        os.unlink(d / "gate")
    # The same text whatever the password's length: no x's, no padding, no
    # placeholder; the password is left out.
    assert shown[0] == shown[1]
    text = shown[0].split(b"\0")[0].decode()
    assert "postgresql://app:@127.0.0.1:1/appdb" in text
    assert "xxx" not in text and text.endswith(str(d))


# --- lock directories --------------------------------------------------------

def test_world_writable_lock_directory_is_refused(run, env, tmp_path):
    locks = tmp_path / "open-locks"
    locks.mkdir()
    os.chmod(locks, 0o777)
    r = run("run", "--lock", "x", "--lock-dir", str(locks), "--", "true")
    assert r.returncode == 125
    assert str(locks) in r.stderr and "every user" in r.stderr
    os.chmod(locks, 0o1777)         # sticky, as /tmp: fine
    assert run("run", "--lock", "x", "--lock-dir", str(locks), "--", "true").returncode == 0


def test_world_writable_journal_directory_is_refused_with_a_warning(run, tmp_path):
    jdir = tmp_path / "open-state"
    jdir.mkdir()
    os.chmod(jdir, 0o777)
    r = run("run", "--journal", str(jdir / "journal.db"), "--", "true")
    assert r.returncode == 0
    assert "journal directory" in r.stderr and "every user" in r.stderr
    assert not (jdir / "journal.db").exists()


# --- the database gate: deadlines, signals, an unreachable database ---------

@pytest.mark.parametrize("kind", ["postgresql", "mysql"])
def test_gate_against_a_silent_server_ends_at_the_gate_timeout(run, env, kind):
    silent = SilentServer()
    try:
        url = "%s://app:%s@127.0.0.1:%d/appdb" % (kind, PASSWORD, silent.port)
        t0 = time.monotonic()
        r = run("run", "--name", "silent", "--db", url, "--db-max-used", "5",
                "--gate-timeout", "3s", "--", "touch", str(env["dir"] / "never"))
        took = time.monotonic() - t0
    finally:
        silent.close()
    assert r.returncode == 75, r.stderr
    assert not (env["dir"] / "never").exists()
    assert "during login" in r.stderr and PASSWORD not in r.stderr
    # Before, one check could block for ever; a generous bound, not a timing test.
    assert took < 3 + 10, took
    (ev,) = history(run, "silent")
    assert (ev["kind"], ev["status"]) == ("gate_timeout", 75)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_gate_stuck_after_login_stops_on_a_signal(env, pg, sig):
    # The server took the login and then never answered (nor a cancel request).
    proxy = StallAfterLogin("pg", pg.port)
    try:
        url = "postgresql://app:%s@127.0.0.1:%d/appdb" % (PASSWORD, proxy.port)
        gov = start("run", "--lock", "sg", "--db", url, "--db-max-used", "5",
                    "--gate-timeout", "10m", "--", "touch", str(env["dir"] / "never"))
        wait_until(lambda: proxy.stalled >= 1, "the gate's query to hang")
        gov.send_signal(sig)
        assert gov.wait(SAFETY) == 128 + sig
    finally:
        proxy.close()
    assert not (env["dir"] / "never").exists()
    assert "stopped by SIG" in gov.stderr.read()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_gate_connecting_to_a_silent_server_stops_on_a_signal(env, sig):
    silent = SilentServer()
    try:
        url = "mysql://app:%s@127.0.0.1:%d/appdb" % (PASSWORD, silent.port)
        gov = start("run", "-v", "--db", url, "--db-max-used", "5", "--gate-timeout", "10m",
                    "--", "touch", str(env["dir"] / "never"))
        wait_until(lambda: silent.accepted >= 1, "the gate to connect")
        gov.send_signal(sig)
        assert gov.wait(SAFETY) == 128 + sig
        err = gov.stderr.read()
    finally:
        silent.close()
    assert not (env["dir"] / "never").exists()
    # Stopped at once, not after the check's own time limit ran out (which
    # -v would have reported as "waiting: ...").
    assert "stopped by SIG" in err and "waiting:" not in err, err


def test_gate_stuck_after_login_ends_at_the_gate_timeout(run, env, pg):
    proxy = StallAfterLogin("pg", pg.port)
    try:
        url = "postgresql://app:%s@127.0.0.1:%d/appdb" % (PASSWORD, proxy.port)
        r = run("run", "--db", url, "--db-max-used", "90%", "--gate-timeout", "2s", "--",
                "touch", str(env["dir"] / "never"))
    finally:
        proxy.close()
    assert proxy.stalled >= 1
    assert r.returncode == 75 and "during a query" in r.stderr, r.stderr


def test_unreachable_gate_database_is_a_closed_gate_by_default(run, env):
    url = "postgresql://app:%s@127.0.0.1:1/appdb" % PASSWORD
    r = run("run", "--name", "unr", "--db", url, "--db-max-used", "5", "--gate-timeout",
            "1s", "--", "touch", str(env["dir"] / "never"))
    assert r.returncode == 75 and "unreachable" in r.stderr
    assert not (env["dir"] / "never").exists()


def test_unreachable_gate_database_fails_open_when_asked(run, env):
    url = "postgresql://app:%s@127.0.0.1:1/appdb" % PASSWORD
    r = run("run", "--name", "open", "--db", url, "--db-max-used", "5",
            "--gate-unreachable", "run", "--", "echo", "ran")
    assert r.returncode == 0 and r.stdout == "ran\n"
    assert "running open anyway" in r.stderr
    kinds = [(e["kind"], e["severity"]) for e in history(run, "open")]
    assert kinds == [("gate_failed_open", "warning"), ("run_ok", "info")]


# --- the lock's database session --------------------------------------------

def _held_elsewhere(binary, url, name, tmp_path):
    """Does another machine (another lock directory) find the lock busy?"""
    other = dict(os.environ, BRACE_LOCK_DIR=str(tmp_path / "other-machine"))
    r = subprocess.run([path_of(binary), "run", "--lock", name, "--lock-db", url,
                        "--busy-exit", "3", "--", "true"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=other,
                       timeout=SAFETY)
    return r.returncode == 3


@BINARIES
def test_lock_db_session_outlives_mariadb_wait_timeout(env, mariadb, binary, tmp_path):
    d = env["dir"]
    mariadb.sql("SET GLOBAL wait_timeout = 3")
    try:
        gov = start("run", "--lock", "wt-" + binary, "--lock-db", mariadb.url(), "--", "sh",
                    "-c", 'echo $$ > "$0/pid"; while [ ! -e "$0/gate" ]; do sleep 0.05; '
                    'done', str(d), binary=path_of(binary))
        wait_until(lambda: lines(d / "pid"), "the job to start")
        time.sleep(8)   # well past wait_timeout
        assert _held_elsewhere(binary, mariadb.url(), "wt-" + binary, tmp_path)
        (d / "gate").touch()
        assert gov.wait(SAFETY) == 0
    finally:
        mariadb.sql("SET GLOBAL wait_timeout = 28800")
    err = gov.stderr.read()
    assert "lost" not in err, err
    assert sorted(e["kind"] for e in history_of(binary, "wt-" + binary)) == ["run_ok", "skip"]


@BINARIES
def test_lock_db_lost_on_postgresql_restart_stops_the_job(env, pg, binary):
    d = env["dir"]
    gov = start("run", "--lock", "rs-" + binary, "--lock-db", pg.url(), "--kill-after", "1s",
                "--", "sh", "-c", 'echo $$ > "$0/pid"; while :; do sleep 0.05; done', str(d),
                binary=path_of(binary))
    wait_until(lambda: lines(d / "pid"), "the job to start")
    job = int(lines(d / "pid")[0])
    pg.restart()
    assert gov.wait(SAFETY) == 125
    assert not alive(job)
    err = gov.stderr.read()
    assert "lock rs-%s lost" % binary in err and "--on-lock-lost kill" in err
    evs = history_of(binary, "rs-" + binary)
    kinds = [(e["kind"], e["severity"]) for e in evs]
    assert ("lock_lost", "error") in kinds
    (last,) = [e for e in evs if e["kind"] == "run_failed"]
    assert last["details"]["reason"] == "lock-lost"


def test_lock_db_lost_with_warn_lets_the_job_finish(env, pg):
    d = env["dir"]
    gov = start("run", "--lock", "rw", "--lock-db", pg.url(), "--on-lock-lost", "warn", "--",
                "sh", "-c", 'echo $$ > "$0/pid"; while [ ! -e "$0/gate" ]; do sleep 0.05; '
                'done', str(d))
    wait_until(lambda: lines(d / "pid"), "the job to start")
    pg.restart()
    lost = []
    for line in gov.stderr:
        lost.append(line)
        if "lost" in line:
            break
    assert "--on-lock-lost warn" in lost[-1]
    (d / "gate").touch()
    assert gov.wait(SAFETY) == 0
    kinds = [e["kind"] for e in history_of("asan", "rw")]
    assert kinds == ["run_ok", "lock_lost"] or kinds == ["lock_lost", "run_ok"] or \
        sorted(kinds) == ["lock_lost", "run_ok"]


def test_lock_db_session_killed_on_mariadb_is_noticed(env, mariadb):
    d = env["dir"]
    gov = start("run", "--lock", "mk", "--lock-db", mariadb.url(), "--kill-after", "1s", "--",
                "sh", "-c", 'echo $$ > "$0/pid"; while :; do sleep 0.05; done', str(d))
    wait_until(lambda: lines(d / "pid"), "the job to start")
    ids = mariadb.sql("SELECT id FROM information_schema.PROCESSLIST WHERE USER = 'app'")
    for i in ids.split():
        mariadb.sql("KILL %s" % i)
    assert gov.wait(SAFETY) == 125
    assert "lock mk lost" in gov.stderr.read()
