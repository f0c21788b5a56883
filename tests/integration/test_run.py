"""brace run: exit statuses, locks, timeouts, signals, output, retries,
pacing, the load gate, heartbeats and the history. The database gate and
database locks are in test_run_db.py."""
import http.server
import json
import os
import signal
import socket
import subprocess
import threading
import time

import pytest

from conftest import brace_opt_path, brace_path

SAFETY = 120  # seconds; only a guard against hangs, never an assertion


@pytest.fixture
def env(tmp_path, journal, monkeypatch):
    """A private lock directory and journal for each test."""
    locks = tmp_path / "locks"
    monkeypatch.setenv("BRACE_LOCK_DIR", str(locks))
    return {"dir": tmp_path, "locks": str(locks), "journal": journal}


def history(run, name=None):
    args = ["run", "--history"] + ([name] if name else []) + ["--json", "--limit", "1000"]
    r = run(*args)
    assert r.returncode == 0, r.stderr
    return [flat(json.loads(line)) for line in r.stdout.splitlines()]


def flat(ev):
    """An event with its details' fields next to its own."""
    out = dict(ev)
    out.update(ev["details"] or {})
    return out


def wait_until(cond, what):
    deadline = time.time() + SAFETY
    while not cond():
        if time.time() > deadline:
            raise AssertionError("gave up waiting for " + what)
        time.sleep(0.05)


def start(*args, binary=None):
    """Start brace in the background (output captured)."""
    return subprocess.Popen([binary or brace_path()] + [str(a) for a in args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def alive(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("State:"):
                    return "Z" not in line
    except FileNotFoundError:
        return False
    return False


def gated_job(d, name="gate"):
    """A job that notes its start in d/ran and runs until d/<name> exists."""
    return ["sh", "-c", 'echo $$ >> "$0/ran"; while [ ! -e "$0/%s" ]; do sleep 0.05; done'
            % name, str(d)]


def lines(path):
    try:
        with open(path) as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


# --- exit status contract ---------------------------------------------------

def test_exit_code_passes_through(run, env):
    assert run("run", "--", "sh", "-c", "exit 3").returncode == 3
    assert run("run", "--", "true").returncode == 0


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL, signal.SIGUSR1])
def test_signal_death_is_128_plus_n(run, env, sig):
    r = run("run", "--", "sh", "-c", "kill -%d $$" % sig)
    assert r.returncode == 128 + sig
    (ev,) = history(run, "sh")
    assert ev["signal"] == signal.Signals(sig).name and ev["exit_code"] is None


def test_missing_command_is_127_and_recorded(run, env):
    r = run("run", "--", "brace-no-such-command")
    assert r.returncode == 127
    assert "brace-no-such-command: command not found" in r.stderr
    (ev,) = history(run)
    assert ev["kind"] == "run_failed" and ev["reason"] == "start"


def test_command_without_dash_dash_works_and_stdin_passes(run, env):
    r = run("run", "cat", input="from stdin\n")
    assert r.returncode == 0 and r.stdout == "from stdin\n"


@pytest.mark.parametrize("args,word", [
    ([], "missing COMMAND"),
    (["--wait", "1s", "--", "true"], "need --lock"),
    (["--lock", "../x", "--", "true"], "--lock"),
    (["--ionice", "fast", "--", "true"], "--ionice"),
    (["--timeout", "soon", "--", "true"], "--timeout"),
    (["--max-load", "-1", "--", "true"], "--max-load"),
    (["--json", "--", "true"], "--history"),
])
def test_usage_errors_exit_125(run, env, args, word):
    r = run("run", *args)
    assert r.returncode == 125
    assert word in r.stderr


def test_help_and_table_entry(run):
    r = run("run", "--help")
    assert r.returncode == 0 and r.stdout.startswith("usage: brace run")
    assert "run" in run("--help").stdout


# --- locks ------------------------------------------------------------------

def test_twenty_simultaneous_starts_one_runs_nineteen_skip(env):
    d = env["dir"]
    procs = [start("run", "--lock", "twenty", "--", *gated_job(d), binary=brace_opt_path())
             for _ in range(20)]
    wait_until(lambda: sum(p.poll() is not None for p in procs) >= 19, "19 skips")
    (d / "gate").touch()
    codes = [p.wait(SAFETY) for p in procs]
    assert codes == [0] * 20
    assert len(lines(d / "ran")) == 1
    r = subprocess.run([brace_path(), "run", "--history", "twenty", "--json"],
                       stdout=subprocess.PIPE, text=True, check=True)
    evs = [flat(json.loads(x)) for x in r.stdout.splitlines()]
    assert sorted(e["kind"] for e in evs) == ["run_ok"] + ["skip"] * 19
    assert all(e["reason"] == "busy" for e in evs if e["kind"] == "skip")


def test_busy_exit_is_configurable(run, env):
    d = env["dir"]
    holder = start("run", "--lock", "busy", "--", *gated_job(d))
    wait_until(lambda: lines(d / "ran"), "the first run to start")
    r = run("run", "--lock", "busy", "--busy-exit", "3", "--", "true")
    assert r.returncode == 3
    r = run("run", "--lock", "busy", "--", "true")
    assert r.returncode == 0 and r.stdout == "" and r.stderr == ""
    (d / "gate").touch()
    assert holder.wait(SAFETY) == 0


def test_wait_takes_the_lock_once_released(run, env):
    d = env["dir"]
    holder = start("run", "--lock", "w", "--", *gated_job(d))
    wait_until(lambda: lines(d / "ran"), "the first run to start")
    waiter = start("run", "--lock", "w", "--wait", "2m", "--", "sh", "-c",
                   'echo second >> "$0/second"', str(d))
    time.sleep(0.3)  # not an assertion: give the waiter a chance to find the lock busy
    assert waiter.poll() is None
    (d / "gate").touch()
    assert holder.wait(SAFETY) == 0
    assert waiter.wait(SAFETY) == 0
    assert lines(d / "second") == ["second"]


def test_wait_gives_up_and_skips(run, env):
    d = env["dir"]
    holder = start("run", "--lock", "wg", "--", *gated_job(d))
    wait_until(lambda: lines(d / "ran"), "the first run to start")
    r = run("run", "--lock", "wg", "--wait", "300ms", "--busy-exit", "9", "--", "true")
    assert r.returncode == 9
    (d / "gate").touch()
    holder.wait(SAFETY)
    # Events are timed when they start: the run began before the skip.
    kinds = [e["kind"] for e in history(run, "wg")]
    assert kinds == ["run_ok", "skip"]


def test_sigkilled_governor_releases_the_lock_once_the_job_is_gone(run, env):
    d = env["dir"]
    gov = start("run", "--lock", "k9", "--", *gated_job(d))
    wait_until(lambda: lines(d / "ran"), "the job to start")
    job = int(lines(d / "ran")[0])
    gov.kill()
    gov.wait(SAFETY)
    # The guard ends the orphaned job, then lets the lock go.
    r = run("run", "--lock", "k9", "--wait", "1m", "--", "sh", "-c", "echo ran-again")
    assert r.returncode == 0 and r.stdout == "ran-again\n"
    assert not alive(job)


def test_setsid_daemon_does_not_keep_the_lock(run, env):
    d = env["dir"]
    # The daemon keeps the job's stdout open on purpose: brace must not wait for it.
    job = 'setsid sleep 300 & echo $! > "$0/daemon"'
    r = run("run", "--lock", "dmn", "--", "sh", "-c", job, str(d))
    assert r.returncode == 0
    daemon = int(lines(d / "daemon")[0])
    try:
        assert alive(daemon)
        fds = os.listdir("/proc/%d/fd" % daemon)
        targets = [os.readlink("/proc/%d/fd/%s" % (daemon, fd)) for fd in fds]
        assert not any(t.endswith(".lock") for t in targets)
        r = run("run", "--lock", "dmn", "--", "sh", "-c", "echo second")
        assert r.returncode == 0 and r.stdout == "second\n"
    finally:
        os.kill(daemon, signal.SIGKILL)


def test_job_does_not_inherit_the_lock_descriptor(run, env):
    r = run("run", "--lock", "fds", "--", "sh", "-c", "ls -l /proc/$$/fd")
    assert r.returncode == 0
    assert ".lock" not in r.stdout


def test_max_concurrent_two_of_five(env):
    d = env["dir"]
    procs = [start("run", "--lock", "pair", "--max-concurrent", "2", "--", *gated_job(d),
                   binary=brace_opt_path()) for _ in range(5)]
    wait_until(lambda: sum(p.poll() is not None for p in procs) >= 3, "3 skips")
    wait_until(lambda: len(lines(d / "ran")) >= 2, "2 runs")
    (d / "gate").touch()
    assert [p.wait(SAFETY) for p in procs] == [0] * 5
    assert len(lines(d / "ran")) == 2
    r = subprocess.run([brace_path(), "run", "--history", "pair", "--json"],
                       stdout=subprocess.PIPE, text=True, check=True)
    kinds = sorted(json.loads(x)["kind"] for x in r.stdout.splitlines())
    assert kinds == ["run_ok"] * 2 + ["skip"] * 3


# --- timeouts and signals ---------------------------------------------------

def test_timeout_kills_a_grandchild_and_exits_124(run, env):
    d = env["dir"]
    job = 'sleep 300 & echo $! > "$0/gc"; wait'
    # The timeout leaves sh ample time to start the grandchild and note its pid.
    r = run("run", "--timeout", "2s", "--", "sh", "-c", job, str(d))
    assert r.returncode == 124
    assert not alive(int(lines(d / "gc")[0]))
    (ev,) = history(run)
    assert ev["kind"] == "run_timeout" and ev["status"] == 124


def test_timeout_sigkills_what_ignores_sigterm(run, env):
    d = env["dir"]
    job = '(trap "" TERM; exec sleep 300) & echo $! > "$0/gc"; trap "" TERM; wait'
    r = run("run", "--timeout", "2s", "--kill-after", "300ms", "--", "sh", "-c", job,
            str(d))
    assert r.returncode == 124
    assert "timed out" in r.stderr
    assert not alive(int(lines(d / "gc")[0]))


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_signals_are_passed_on_to_the_job(env, sig):
    d = env["dir"]
    job = ('trap \'echo got >> "$0/got"; exit 7\' %s; echo $$ > "$0/ready"; '
           'while :; do sleep 0.05; done' % signal.Signals(sig).name[3:])
    gov = start("run", "--retries", "3", "--retry-delay", "10ms", "--", "sh", "-c", job,
                str(d))
    wait_until(lambda: lines(d / "ready"), "the job to start")
    gov.send_signal(sig)
    assert gov.wait(SAFETY) == 7
    assert lines(d / "got") == ["got"]  # passed on once, and no retry after it


def test_signal_while_waiting_for_lock_stops_without_running(run, env):
    d = env["dir"]
    holder = start("run", "--lock", "sw", "--", *gated_job(d))
    wait_until(lambda: lines(d / "ran"), "the first run to start")
    waiter = start("run", "-v", "--lock", "sw", "--wait", "10m", "--", "touch", str(d / "no"))
    assert "waiting up to 10m" in waiter.stderr.readline()
    waiter.send_signal(signal.SIGTERM)
    assert waiter.wait(SAFETY) == 128 + signal.SIGTERM
    assert not (d / "no").exists()
    (d / "gate").touch()
    holder.wait(SAFETY)
    assert ("skip", "interrupted") in [(e["kind"], e["reason"]) for e in history(run, "sw")]


# --- output -----------------------------------------------------------------

def test_output_passes_through_by_default(run, env):
    r = run("run", "--", "sh", "-c", "echo out; echo err >&2")
    assert (r.stdout, r.stderr) == ("out\n", "err\n")


def test_quiet_prints_nothing_on_success(run, env):
    r = run("run", "-q", "--", "sh", "-c", "echo out; echo err >&2")
    assert r.returncode == 0 and r.stdout == "" and r.stderr == ""


def test_quiet_prints_everything_on_failure(run, env):
    r = run("run", "--quiet", "--", "sh", "-c",
            "for i in $(seq 5000); do echo line $i; done; echo err >&2; exit 2")
    assert r.returncode == 2
    assert r.stdout == "".join("line %d\n" % i for i in range(1, 5001))
    assert r.stderr == "err\n"


def test_quiet_prints_output_on_timeout(run, env):
    r = run("run", "-q", "--timeout", "2s", "--", "sh", "-c", "echo before; sleep 300")
    assert r.returncode == 124 and r.stdout == "before\n"
    assert "timed out" in r.stderr


def test_quiet_keeps_large_output_through_a_temporary_file(run, env):
    # 3 MiB: past the memory cap, so it goes through the temporary file.
    r = run("run", "-q", "--", "sh", "-c",
            "head -c 3145728 /dev/zero | tr '\\0' x; exit 1")
    assert r.returncode == 1 and len(r.stdout) == 3145728


def test_last_64k_of_output_is_kept_with_the_record(run, env):
    r = run("run", "-q", "--name", "tail", "--", "sh", "-c",
            "for i in $(seq 20000); do echo line $i; done")
    assert r.returncode == 0
    (ev,) = history(run, "tail")
    assert len(ev["output_tail"]) == 65536
    assert ev["output_tail"].endswith("line 20000\n")
    assert ev["output_bytes"] == sum(len("line %d\n" % i) for i in range(1, 20001))


# --- retries ----------------------------------------------------------------

def test_retries_until_success(run, env):
    d = env["dir"]
    job = 'echo x >> "$0/n"; [ $(wc -l < "$0/n") -ge 3 ]'
    r = run("run", "--retries", "5", "--retry-delay", "10ms", "--", "sh", "-c", job, str(d))
    assert r.returncode == 0
    evs = history(run)
    assert [e["kind"] for e in evs] == ["run_failed", "run_failed", "run_ok"]
    assert [e["attempt"] for e in evs] == [1, 2, 3]
    assert all(e["attempts"] == 6 for e in evs)


def test_retries_exhausted_return_the_last_status(run, env):
    r = run("run", "--retries", "2", "--retry-delay", "10ms", "--", "sh", "-c", "exit 4")
    assert r.returncode == 4
    assert [e["kind"] for e in history(run)] == ["run_failed"] * 3


def test_timeout_is_not_retried_unless_asked(run, env):
    args = ["--retries", "1", "--retry-delay", "10ms", "--timeout", "200ms"]
    assert run("run", "--name", "a", *args, "--", "sleep", "300").returncode == 124
    assert len(history(run, "a")) == 1
    r = run("run", "--name", "b", "--retry-on-timeout", *args, "--", "sleep", "300")
    assert r.returncode == 124
    assert [e["kind"] for e in history(run, "b")] == ["run_timeout"] * 2


def test_signal_during_the_retry_delay_stops_with_128_plus_n(run, env):
    gov = start("run", "--name", "rs", "--retries", "3", "--retry-delay", "10m", "--",
                "sh", "-c", "exit 1")
    for line in gov.stderr:
        if "retrying in" in line:
            break
    gov.send_signal(signal.SIGTERM)
    assert gov.wait(SAFETY) == 128 + signal.SIGTERM
    assert [(e["kind"], e["reason"]) for e in history(run, "rs")] == \
        [("run_failed", "exit"), ("skip", "interrupted")]


def test_quiet_retries_print_only_the_last_failed_attempt(run, env):
    d = env["dir"]
    job = 'echo x >> "$0/n"; echo "attempt $(wc -l < "$0/n")"; exit 1'
    r = run("run", "-q", "--retries", "2", "--retry-delay", "10ms", "--", "sh", "-c", job,
            str(d))
    assert r.returncode == 1
    assert r.stdout == "attempt 3\n"
    assert "retrying" not in r.stderr


# --- pacing -----------------------------------------------------------------

def test_min_interval_skips_after_a_recent_success(run, env):
    assert run("run", "--name", "mi", "--min-interval", "1h", "--", "true").returncode == 0
    r = run("run", "--name", "mi", "--min-interval", "1h", "--", "touch",
            str(env["dir"] / "no"))
    assert r.returncode == 0
    assert not (env["dir"] / "no").exists()
    evs = history(run, "mi")
    assert [(e["kind"], e["reason"]) for e in evs] == [("run_ok", None), ("skip", "min-interval")]


def test_min_interval_ignores_failures(run, env):
    assert run("run", "--name", "mf", "--min-interval", "1h", "--", "false").returncode == 1
    assert run("run", "--name", "mf", "--min-interval", "1h", "--", "true").returncode == 0
    assert [e["kind"] for e in history(run, "mf")] == ["run_failed", "run_ok"]


def test_jitter_stays_within_bounds(run, env):
    for _ in range(5):
        assert run("run", "--name", "j", "--jitter", "200ms", "--", "true").returncode == 0
    assert run("run", "--name", "j0", "--", "true").returncode == 0
    evs = history(run, "j")
    assert len(evs) == 5
    assert all(0 <= e["jitter_ms"] <= 200 for e in evs)
    assert history(run, "j0")[0]["jitter_ms"] == 0


# --- gates ------------------------------------------------------------------

def load1():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def test_load_gate_open_runs(run, env):
    assert run("run", "--max-load", "100000", "--", "true").returncode == 0


def test_load_gate_closed_exits_75_without_running(run, env):
    if load1() == 0:
        pytest.skip("idle machine: a load of 0 does not close --max-load 0")
    r = run("run", "--name", "lg", "--max-load", "0", "--gate-timeout", "1s", "--", "touch",
            str(env["dir"] / "no"))
    assert r.returncode == 75
    assert not (env["dir"] / "no").exists()
    assert "load average" in r.stderr
    (ev,) = history(run, "lg")
    assert ev["kind"] == "gate_timeout" and ev["status"] == 75


# --- resource manners -------------------------------------------------------

def test_nice_and_ionice_reach_the_job(run, env):
    base = os.nice(0)
    r = run("run", "--nice", "7", "--ionice", "idle", "--", "sh", "-c",
            "cut -d' ' -f19 /proc/self/stat; ionice")
    assert r.returncode == 0, r.stderr
    niceness, klass = r.stdout.split("\n")[:2]
    assert int(niceness) == min(base + 7, 19)
    assert klass == "idle"


# --- heartbeat --------------------------------------------------------------

class Monitor(http.server.BaseHTTPRequestHandler):
    hits = None

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.hits.append((self.path, body.decode("utf-8", "replace")))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"OK")

    def log_message(self, *args):
        pass


@pytest.fixture
def monitor():
    hits = []
    handler = type("H", (Monitor,), {"hits": hits})
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield "http://127.0.0.1:%d/ping/abc" % srv.server_address[1], hits
    srv.shutdown()
    srv.server_close()


def test_ping_reports_start_and_success(run, env, monitor):
    url, hits = monitor
    r = run("run", "--ping", url, "--", "sh", "-c", "echo all good")
    assert r.returncode == 0
    assert [h[0] for h in hits] == ["/ping/abc/start", "/ping/abc"]
    assert "exit status 0" in hits[1][1] and "all good" in hits[1][1]


def test_ping_reports_failure_with_exit_code_and_output(run, env, monitor):
    url, hits = monitor
    r = run("run", "--ping", url, "--", "sh", "-c", "echo broken; exit 3")
    assert r.returncode == 3
    assert [h[0] for h in hits] == ["/ping/abc/start", "/ping/abc/fail"]
    assert "exit status 3" in hits[1][1] and "broken" in hits[1][1]


def test_ping_reports_a_timeout_as_failure(run, env, monitor):
    url, hits = monitor
    r = run("run", "--ping", url, "--timeout", "200ms", "--", "sleep", "300")
    assert r.returncode == 124
    assert hits[-1][0] == "/ping/abc/fail" and "exit status 124" in hits[-1][1]


def test_lock_is_released_before_the_final_ping(run, env):
    stall = threading.Event()
    stalled = threading.Event()

    class Slow(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if not self.path.endswith("/start"):
                stalled.set()
                stall.wait(SAFETY)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        url = "http://127.0.0.1:%d/p" % srv.server_address[1]
        first = start("run", "--lock", "lp", "--ping", url, "--ping-timeout", "2m", "--",
                      "true")
        assert stalled.wait(SAFETY)
        # The first governor waits on its success ping, no longer holding the lock.
        r = run("run", "--lock", "lp", "--", "echo", "second")
        assert r.returncode == 0 and r.stdout == "second\n"
        stall.set()
        assert first.wait(SAFETY) == 0
    finally:
        stall.set()
        srv.shutdown()
        srv.server_close()


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_ping_to_a_closed_port_does_not_fail_the_job(run, env):
    url = "http://127.0.0.1:%d/ping/x" % closed_port()
    r = run("run", "--ping", url, "--", "sh", "-c", "echo done; exit 5")
    assert r.returncode == 5 and r.stdout == "done\n"
    assert "ping" in r.stderr and "not affected" in r.stderr
    r = run("run", "--ping", url, "--", "true")
    assert r.returncode == 0


def test_ping_to_a_silent_endpoint_gives_up_after_its_timeout(run, env):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # accepts connections, never answers
    try:
        url = "http://127.0.0.1:%d/x" % silent.getsockname()[1]
        r = run("run", "--ping", url, "--ping-timeout", "300ms", "--", "echo", "ran")
        assert r.returncode == 0 and r.stdout == "ran\n"
        assert "timed out" in r.stderr.lower() or "timeout" in r.stderr.lower()
    finally:
        silent.close()


# --- history ----------------------------------------------------------------

def test_history_lists_runs_skips_and_details(run, env):
    run("run", "--name", "h1", "--", "true")
    run("run", "--name", "h2", "--", "sh", "-c", "exit 1")
    r = run("run", "--history")
    assert r.returncode == 0
    assert "h1" in r.stdout and "run_ok" in r.stdout
    assert "h2" in r.stdout and "exited 1" in r.stdout
    (ev,) = history(run, "h2")
    for key in ("start", "end", "duration_ms", "status", "exit_code", "reason",
                "output_tail", "command", "host", "attempt"):
        assert key in ev
    # The same event shape as brace journal list --json.
    r = run("journal", "list", "--json", "--source", "run", "--subject", "h2")
    assert json.loads(r.stdout) == json.loads(run("run", "--history", "h2", "--json").stdout)
    assert ev["command"] == ["sh", "-c", "exit 1"]
    assert len(history(run)) == 2


def test_history_since_and_limit(run, env):
    for _ in range(3):
        run("run", "--name", "hl", "--", "true")
    assert len(history(run, "hl")) == 3
    r = run("run", "--history", "hl", "--json", "--limit", "2")
    assert len(r.stdout.splitlines()) == 2
    r = run("run", "--history", "hl", "--since", "2000-01-01", "--limit", "0")
    assert len(r.stdout.splitlines()) == 3


# --- lock directories of ordinary users -------------------------------------

@pytest.fixture
def as_user(tmp_path):
    """run_as(user, *args, env=...) runs brace as an ordinary user, in a clean
    environment with a journal that user can write."""
    import pwd
    import shutil
    import tempfile
    if os.geteuid() != 0:
        pytest.skip("needs root to run brace as another user")
    home = tempfile.mkdtemp(prefix="brace-run-user-")
    os.chmod(home, 0o755)

    def run_as(user, *args, env=None):
        pw = pwd.getpwnam(user)
        os.chown(home, pw.pw_uid, pw.pw_gid)
        e = {"PATH": "/usr/bin:/bin", "BRACE_JOURNAL": os.path.join(home, "journal.db")}
        e.update(env or {})
        argv = ["runuser", "-u", user, "--", "env", "-i"] + \
            ["%s=%s" % kv for kv in e.items()] + [brace_path()] + [str(a) for a in args]
        return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, timeout=SAFETY)

    yield run_as, home
    shutil.rmtree(home, ignore_errors=True)


def test_user_lock_lives_under_xdg_runtime_dir(as_user):
    import pwd
    run_as, home = as_user
    xdg = os.path.join(home, "xdg")
    os.mkdir(xdg, 0o700)
    pw = pwd.getpwnam("nobody")
    os.chown(xdg, pw.pw_uid, pw.pw_gid)
    r = run_as("nobody", "run", "--lock", "xdgjob", "--", "true",
               env={"XDG_RUNTIME_DIR": xdg})
    assert r.returncode == 0, r.stderr
    assert os.path.exists(os.path.join(xdg, "brace", "locks", "xdgjob.lock"))


def test_user_lock_without_xdg_falls_back_to_a_private_tmp_directory(as_user):
    import pwd
    import shutil
    run_as, _ = as_user
    uid = pwd.getpwnam("nobody").pw_uid
    base = "/tmp/brace-%d" % uid
    existed = os.path.exists(base)
    try:
        r = run_as("nobody", "run", "--lock", "tmpjob-%d" % os.getpid(), "--", "true")
        assert r.returncode == 0, r.stderr
        st = os.lstat(base)
        assert st.st_uid == uid and st.st_mode & 0o077 == 0
        assert os.path.exists("%s/locks/tmpjob-%d.lock" % (base, os.getpid()))
    finally:
        if not existed:
            shutil.rmtree(base, ignore_errors=True)


def test_user_lock_directory_owned_by_someone_else_is_refused(as_user):
    import pwd
    run_as, _ = as_user
    uid = pwd.getpwnam("daemon").pw_uid
    base = "/tmp/brace-%d" % uid
    if os.path.exists(base):
        pytest.skip(base + " exists already")
    os.mkdir(base, 0o777)  # planted by another user (root here)
    os.chmod(base, 0o777)
    try:
        r = run_as("daemon", "run", "--lock", "planted", "--", "touch", "/tmp/never-run")
        assert r.returncode == 125
        assert base in r.stderr and "not a private directory" in r.stderr
    finally:
        os.rmdir(base)
