"""brace conns --watch: the live view in a pseudo-terminal, the journal,
status changes and --on-alert, and riding out a database restart."""
import fcntl
import json
import os
import signal
import struct
import subprocess
import termios
import threading

import pytest

from conns_helpers import Sessions, clean_mariadb, clean_pg, wait_for
from test_conns import _prepare


@pytest.fixture
def pgw(request):
    server = _prepare(request, "pg")
    s = Sessions(server, "pg")
    yield server, s
    s.close()
    clean_pg(server)


@pytest.fixture(params=["pg", "mariadb"])
def anyw(request):
    kind = request.param
    server = _prepare(request, kind)
    s = Sessions(server, kind)
    yield server, s
    s.close()
    clean_pg(server) if kind == "pg" else clean_mariadb(server)


class Output:
    """Collects a process's output in a thread so that it never blocks."""

    def __init__(self, fd=None, stream=None):
        self.data = b""
        self.lock = threading.Lock()
        self.fd = fd
        self.stream = stream
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        while True:
            try:
                chunk = os.read(self.fd, 65536) if self.fd is not None \
                    else self.stream.read1(65536)
            except OSError:
                return
            if not chunk:
                return
            with self.lock:
                self.data += chunk

    def text(self):
        with self.lock:
            return self.data.decode("utf-8", "replace")


def samples(run, series):
    r = run("journal", "samples", "--source", "conns", "--series", series)
    assert r.returncode == 0, r.stderr
    return [json.loads(line) for line in r.stdout.splitlines()]


def events(run):
    r = run("journal", "list", "--json", "--source", "conns")
    assert r.returncode == 0, r.stderr
    return [json.loads(line) for line in r.stdout.splitlines()]


def spawn_in_pty(brace, *args):
    """Start brace with a pseudo-terminal as its controlling terminal."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 150, 0, 0))

    def become_session_leader():
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    # A terminal that moves its cursor, whatever the environment the tests run in.
    env = dict(os.environ, LANG="C.UTF-8", LC_ALL="C.UTF-8", TERM="xterm")
    p = subprocess.Popen([brace] + list(args), stdin=slave, stdout=slave, stderr=slave,
                         preexec_fn=become_session_leader, env=env)
    return p, master, slave


def spawn_lines(brace, *args):
    """Start brace with its output on a pipe (one line per sample)."""
    p = subprocess.Popen([brace] + list(args), stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    return p, Output(stream=p.stdout)


def stop(p):
    p.send_signal(signal.SIGINT)
    try:
        return p.wait(60)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        pytest.fail("brace conns --watch did not stop on SIGINT")


def test_watch_in_terminal_refreshes_records_and_restores_on_ctrl_c(pgw, brace, run,
                                                                    journal):
    server, sessions = pgw
    sessions.idle(2)
    sessions.idle_in_transaction(1)
    p, master, slave = spawn_in_pty(brace, "conns", "--watch", "0.2s", server.url())
    before = termios.tcgetattr(slave)
    out = Output(fd=master)
    try:
        wait_for("three samples in the journal",
                 lambda: len(samples(run, "db_connections_used")) >= 3)
        wait_for("a full frame", lambda: "idle in transaction" in out.text()
                 and "history" in out.text())
        # While the view runs, the terminal is in no-echo, key-at-a-time mode.
        during = termios.tcgetattr(slave)
        assert not during[3] & termios.ECHO and not during[3] & termios.ICANON
        os.write(master, b"\x03")               # Ctrl-C through the line discipline
        rc = p.wait(60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert rc == 0
    after = termios.tcgetattr(slave)
    assert after == before
    wait_for("the last bytes", lambda: out.text().endswith("\x1b[?25h\x1b[?1049l"))
    text = out.text()
    assert text.startswith("\x1b[?1049h\x1b[?25l")
    assert "app:***@127.0.0.1" in text and servers_password() not in text
    assert text.count("\x1b[H") >= 4                 # the clear, then three frames
    used = samples(run, "db_connections_used")
    assert {s["value"] for s in used} == {4}         # 3 sessions + brace
    states = samples(run, "db_connections_by_state")
    assert {(s["labels"]["state"], s["value"]) for s in states} >= {
        ("idle", 2), ("idle in transaction", 1), ("active", 1)}
    assert all(s["labels"]["server"] == "127.0.0.1:%d/appdb" % server.port for s in used)
    os.close(master)
    os.close(slave)


def servers_password():
    import servers
    return servers.PASSWORD


def test_watch_quits_on_q_key(pgw, brace, run, journal):
    server, _ = pgw
    p, master, slave = spawn_in_pty(brace, "conns", "--watch", "0.2s", server.url())
    before = termios.tcgetattr(slave)
    out = Output(fd=master)
    try:
        wait_for("a sample", lambda: len(samples(run, "db_connections_used")) >= 1)
        wait_for("the view", lambda: "history" in out.text())
        os.write(master, b"q")
        assert p.wait(60) == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert termios.tcgetattr(slave) == before
    os.close(master)
    os.close(slave)


def test_watch_ctrl_z_restores_the_screen_and_fg_brings_it_back(pgw, brace, run, journal):
    """Under an interactive shell with job control, as a person would run it."""
    server, _ = pgw
    bash = "/bin/bash"
    if not os.path.exists(bash):
        pytest.skip("bash is needed for job control")
    p, master, slave = spawn_in_pty(bash, "--norc", "--noprofile", "-i")
    out = Output(fd=master)
    try:
        os.write(master, b"PS1='$ '\n")
        os.write(master, ("%s conns --watch 0.2s '%s'\n" % (brace, server.url())).encode())
        wait_for("the view", lambda: "history" in out.text())
        os.write(master, b"\x1a")
        wait_for("the shell's stop report", lambda: "Stopped" in out.text())
        stopped = out.text()
        assert "\x1b[?1049l" in stopped[stopped.rindex("\x1b[?1049h"):]
        mark = len(out.text())
        os.write(master, b"fg\n")
        wait_for("the view again", lambda: "\x1b[?1049h" in out.text()[mark:]
                 and "history" in out.text()[mark:])
        os.write(master, b"q")
        wait_for("the end of the watch", lambda: out.text().count("\x1b[?1049l") >= 2)
        os.write(master, b"echo rc=$?\n")
        wait_for("the exit status", lambda: "rc=0" in out.text())
        os.write(master, b"exit\n")
        p.wait(60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        os.close(master)
        os.close(slave)


def test_watch_survives_a_database_restart(anyw, brace, run, journal):
    server, _ = anyw
    p, out = spawn_lines(brace, "conns", "--watch", "0.2s", server.url())
    try:
        wait_for("an OK sample", lambda: " OK used=1 " in out.text())
        server.stop_server()
        try:
            wait_for("the outage", lambda: " UNKNOWN " in out.text())
        finally:
            server.start_server()
        wait_for("a sample after the restart",
                 lambda: " OK used=" in out.text().split(" UNKNOWN ")[-1])
    finally:
        rc = stop(p)
    assert rc == 0
    text = out.text()
    assert "unreachable" in text
    kinds = [e["kind"] for e in events(run)]
    assert kinds[-2:] == ["db_unreachable", "db_reachable"]
    ups = [s["value"] for s in samples(run, "db_connections_up")]
    assert ups[0] == 1 and 0 in ups and ups[-1] == 1


def test_watch_records_threshold_crossings_and_runs_on_alert(pgw, brace, run, journal,
                                                             tmp_path):
    server, sessions = pgw
    log = tmp_path / "alerts"
    cmd = ('echo "$BRACE_CONNS_PREVIOUS>$BRACE_CONNS_STATUS $BRACE_CONNS_USED '
           '$BRACE_CONNS_SERVER" >> %s' % log)
    p, out = spawn_lines(brace, "conns", "--watch", "0.2s", "--warn", "1", "--crit", "10",
                         "--on-alert", cmd, server.url())
    try:
        wait_for("an OK sample", lambda: " OK used=1 " in out.text())
        c = sessions.open()
        wait_for("the warning", lambda: log.exists() and "OK>WARNING" in log.read_text())
        c.close()
        wait_for("the recovery", lambda: "WARNING>OK" in log.read_text())
    finally:
        assert stop(p) == 0
    target = "127.0.0.1:%d/appdb" % server.port
    assert log.read_text().splitlines() == ["OK>WARNING 2 " + target, "WARNING>OK 1 " + target]
    evs = events(run)
    assert [(e["kind"], e["severity"]) for e in evs] == [
        ("threshold_crossed", "warning"), ("threshold_cleared", "notice")]
    assert evs[0]["subject"] == target
    assert evs[0]["details"]["from"] == "OK" and evs[0]["details"]["to"] == "WARNING"
    assert evs[0]["details"]["used"] == 2
    assert "above the warning threshold 1" in evs[0]["message"]


def test_watch_records_who_holds_the_connections_and_names_them_at_a_crossing(
        pgw, brace, run, journal):
    server, sessions = pgw
    for _ in range(3):
        sessions.open(application_name="nightly_report")
    sessions.open(application_name="webapp")
    p, out = spawn_lines(brace, "conns", "--watch", "0.2s", "--warn", "3", "--crit", "10",
                         server.url())
    try:
        wait_for("the warning", lambda: any(
            e["kind"] == "threshold_crossed" for e in events(run)))
        wait_for("holder samples", lambda: samples(run, "db_connections_holder"))
    finally:
        assert stop(p) == 0
    target = "127.0.0.1:%d/appdb" % server.port
    ev = [e for e in events(run) if e["kind"] == "threshold_crossed"][0]
    # Everything connects as one user: the application tells the holders apart.
    assert "; held by application nightly_report 3, " in ev["message"]
    apps = ev["details"]["holders"]["application"]
    assert apps[0] == {"name": "nightly_report", "count": 3}
    assert {"name": "webapp", "count": 1} in apps
    assert ev["details"]["holders"]["user"] == [{"name": "app", "count": 5}]
    hold = samples(run, "db_connections_holder")
    by = {(s["labels"]["by"], s["labels"]["holder"]): s["value"] for s in hold}
    assert by[("application", "nightly_report")] == 3
    assert by[("application", "webapp")] == 1
    assert by[("user", "app")] == 5
    assert by[("client", "127.0.0.1")] == 5
    assert all(s["labels"]["server"] == target for s in hold)


def test_watch_reports_a_full_server_as_critical(pgw, brace, run, journal):
    """Every slot is taken (brace, 16 ordinary sessions, 3 superusers in the
    reserved slots), then brace's own session is cut: its reconnection is
    refused, which is CRITICAL, not UNKNOWN."""
    server, sessions = pgw
    p, out = spawn_lines(brace, "conns", "--watch", "0.2s", server.url())
    try:
        wait_for("an OK sample", lambda: " OK used=1 " in out.text())
        sessions.idle(16)
        for _ in range(3):
            su = server.connect(host=server.sockdir, user="postgres", password=None,
                                dbname="postgres")
            su.autocommit = True
            sessions.conns.append(su)
        wait_for("a full sample", lambda: " CRITICAL used=20 " in out.text())
        # No slot is left for psql: a superuser session of ours cuts brace's.
        su.cursor().execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                            " WHERE application_name = 'brace conns'")
        wait_for("the refusal", lambda: "server full" in out.text())
    finally:
        assert stop(p) == 0
    assert "reserved" in out.text().split("server full")[-1]
    evs = events(run)
    full = [e for e in evs if "server full" in e["message"]]
    assert full and full[0]["severity"] == "critical"
    assert full[0]["details"]["failure"] == "server full"
    assert samples(run, "db_connections_refused_full")


def test_watch_not_on_a_terminal_prints_a_line_per_sample(pgw, brace, run, journal):
    server, _ = pgw
    p, out = spawn_lines(brace, "conns", "--watch", "--no-color", "0.2s", server.url())
    try:
        wait_for("three lines", lambda: out.text().count("\n") >= 3)
    finally:
        assert stop(p) == 0
    for line in out.text().splitlines():
        assert "\x1b" not in line
        assert line.split()[1] == "OK" and "used=1 usable=17" in line


def test_watch_interval_is_checked(run):
    r = run("conns", "--watch", "1ms", "postgresql://")
    assert r.returncode == 2 and "interval" in r.stderr
    r = run("conns", "--watch", "--json", "postgresql://")
    assert r.returncode == 2
