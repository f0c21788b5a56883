"""brace lb as a service: systemd's notify protocol, --check looking at what the
start would open, a second instance refused, the admin port's token and its
connections, and log lines said once."""
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import pytest

from lbproc import LBProc, admin_get, get
from servers import free_port


def write(path, text, mode=0o600):
    path.write_text(text)
    os.chmod(path, mode)
    return path


def conf(tmp_path, backend, port, extra_global="", name="lb.conf", mode=0o600):
    return write(tmp_path / name, "[global]\n%s\n[listen web]\nbind = 127.0.0.1:%d\n"
                 "[pool app]\nserver = a %s\n" % (extra_global, port, backend.addr), mode)


def Proc(argv, env=None, wait=True):
    """brace lb started with argv; waits for 'listening on' unless wait is false."""
    return LBProc(argv, env=env, wait_for="listening on" if wait else None)


def stopped(p):
    """Stop p: its exit status, after making sure no sanitizer spoke."""
    rc = p.stop()
    assert "ERROR: AddressSanitizer" not in p.stderr, p.stderr
    assert "runtime error" not in p.stderr, p.stderr
    return rc


# ---- systemd notify ----

class NotifySocket:
    """A fake systemd: a datagram socket brace lb's $NOTIFY_SOCKET points at."""

    def __init__(self, tmp_path, abstract=False):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if abstract:
            name = "brace-test-notify-%d-%d" % (os.getpid(), free_port())
            self.sock.bind("\0" + name)
            self.env = "@" + name
        else:
            path = str(tmp_path / "notify.sock")
            self.sock.bind(path)
            self.env = path
        self.sock.settimeout(30)

    def next(self):
        data = self.sock.recv(4096).decode()
        return dict(line.split("=", 1) for line in data.split("\n") if line)

    def close(self):
        self.sock.close()


def notify_round(brace, backends, tmp_path, abstract):
    (a,) = backends(1)
    port = free_port()
    path = conf(tmp_path, a, port)
    ns = NotifySocket(tmp_path, abstract)
    p = Proc([brace, "lb", "-c", str(path), "--no-journal"], env={"NOTIFY_SOCKET": ns.env},
             wait=False)
    try:
        ready = ns.next()
        assert ready.get("READY") == "1", ready
        # READY=1 comes once the listeners are bound and served
        assert get(port)[0] == 200
        assert "1 listener" in ready.get("STATUS", ""), ready
        p.proc.send_signal(signal.SIGHUP)
        reloading = ns.next()
        assert reloading.get("RELOADING") == "1", reloading
        assert int(reloading["MONOTONIC_USEC"]) > 0
        # systemd ignores STATUS-only lines in between; the next READY ends the reload
        msg = ns.next()
        while "READY" not in msg:
            msg = ns.next()
        assert "reloaded" in msg.get("STATUS", ""), msg
        assert get(port)[0] == 200
        p.proc.send_signal(signal.SIGTERM)
        msg = ns.next()
        while "STOPPING" not in msg:
            msg = ns.next()
        assert msg["STOPPING"] == "1"
        assert stopped(p) == 0
    finally:
        if p.proc.poll() is None:
            stopped(p)
        ns.close()


def test_notify_ready_after_listeners_reloading_ready_around_sighup_stopping_at_stop(
        brace, backends, tmp_path):
    notify_round(brace, backends, tmp_path, abstract=False)


def test_notify_reaches_an_abstract_socket(brace, backends, tmp_path):
    notify_round(brace, backends, tmp_path, abstract=True)


def test_a_refused_reload_still_ends_with_ready(brace, backends, tmp_path):
    (a,) = backends(1)
    port = free_port()
    path = conf(tmp_path, a, port)
    ns = NotifySocket(tmp_path)
    p = Proc([brace, "lb", "-c", str(path), "--no-journal"], env={"NOTIFY_SOCKET": ns.env},
             wait=False)
    try:
        assert ns.next().get("READY") == "1"
        path.write_text(path.read_text() + "bogus = 1\n")
        p.proc.send_signal(signal.SIGHUP)
        assert ns.next().get("RELOADING") == "1"
        msg = ns.next()
        while "READY" not in msg:
            msg = ns.next()
        assert "refused" in msg["STATUS"], msg
        assert get(port)[0] == 200
        assert stopped(p) == 0
    finally:
        ns.close()


# ---- one instance per address ----

def test_a_second_lb_on_a_served_address_refuses_to_start(brace, backends):
    (a,) = backends(1)
    port = free_port()
    first = Proc([brace, "lb", "-l", "127.0.0.1:%d" % port, "-b", a.addr, "--no-journal"])
    try:
        assert "listening on" in first.stderr, first.stderr
        second = subprocess.run([brace, "lb", "-l", "127.0.0.1:%d" % port, "-b", a.addr,
                                 "--no-journal"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, timeout=60)
        assert second.returncode == 1, second.stderr
        assert "127.0.0.1:%d" % port in second.stderr
        assert "Address already in use: another brace lb, or another program, already " \
            "serves it" in second.stderr, second.stderr
        assert "listening on" not in second.stderr
        # the first one goes on serving, alone
        assert get(port)[0] == 200
    finally:
        assert stopped(first) == 0


def test_a_reload_is_not_a_second_instance(brace, backends, tmp_path):
    (a,) = backends(1)
    port = free_port()
    path = conf(tmp_path, a, port, "threads = 1")
    p = Proc([brace, "lb", "-c", str(path), "--no-journal"])
    try:
        # more threads: the new workers open more sockets on the same address
        path.write_text(path.read_text().replace("threads = 1", "threads = 3"))
        p.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 30
        while "configuration reloaded" not in p.stderr and time.time() < deadline:
            time.sleep(0.05)
        assert "configuration reloaded" in p.stderr, p.stderr
        assert get(port)[0] == 200
    finally:
        assert stopped(p) == 0


# ---- what is logged ----

def test_log_lines_carry_the_prefix_once(brace, backends):
    (a,) = backends(1)
    port = free_port()
    p = Proc([brace, "lb", "-l", "127.0.0.1:%d" % port, "-b", a.addr, "--no-journal"])
    assert stopped(p) == 0
    assert "load balancer started" in p.stderr and "load balancer stopped" in p.stderr
    assert "brace lb: brace lb:" not in p.stderr, p.stderr


def test_dump_config_leaves_the_thread_count_of_this_machine_as_a_comment(run, tmp_path):
    r = run("lb", "-l", "127.0.0.1:1", "-b", "127.0.0.1:2", "--dump-config")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert any(l.startswith("; threads = ") and "one per CPU" in l for l in lines), r.stdout
    assert not any(l.startswith("threads =") for l in lines)
    # chosen, it is a value
    r = run("lb", "-l", "127.0.0.1:1", "-b", "127.0.0.1:2", "-t", "3", "--dump-config")
    assert "\nthreads = 3\n" in r.stdout
    # and the dump reads back as the same configuration
    path = tmp_path / "dumped.conf"
    path.write_text(r.stdout)
    again = run("lb", "-c", path, "--dump-config")
    assert again.stdout.splitlines()[2:] == r.stdout.splitlines()[2:]


# ---- --check opens what the start would open ----

def other_user(argv):
    """argv as an unprivileged user when we are root (root writes anywhere)."""
    if os.geteuid() == 0:
        return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + argv
    return argv


@pytest.fixture
def public_dir():
    """A directory other users may read (the test's tmp_path is private to root)."""
    d = tempfile.mkdtemp(prefix="brace-lb-test-")
    os.chmod(d, 0o755)
    yield d
    subprocess.run(["rm", "-rf", d])


def test_check_on_an_unwritable_log_directory_says_so_once_and_fails(brace, public_dir):
    logs = os.path.join(public_dir, "logs")
    os.mkdir(logs, 0o755)           # owned by us: not writable by the other user
    path = os.path.join(public_dir, "lb.conf")
    with open(path, "w") as f:
        f.write("[global]\naccess-log = %s/access.log\njournal = off\n"
                "[listen web]\nbind = 127.0.0.1:%d\n[pool app]\nserver = a 127.0.0.1:2\n"
                % (logs, free_port()))
    os.chmod(path, 0o644)
    r = subprocess.run(other_user([brace, "lb", "-c", path, "--check"]),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
    assert r.returncode == 1, r.stderr
    errors = [l for l in r.stderr.splitlines() if "has 1 error" not in l]
    assert len(errors) == 1, r.stderr
    assert "access log %s/access.log" % logs in errors[0]
    assert "cannot be written" in errors[0], errors[0]
    assert "has 1 error" in r.stderr
    # the start fails for the same reason
    start = subprocess.run(other_user([brace, "lb", "-c", path]), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=60)
    assert start.returncode == 1 and "access.log" in start.stderr


def test_check_on_a_missing_log_directory_names_it(run, tmp_path):
    path = write(tmp_path / "lb.conf", "[global]\naccess-log = %s/no/such/access.log\n"
                 "journal = off\n[listen web]\nbind = 127.0.0.1:1\n"
                 "[pool app]\nserver = a 127.0.0.1:2\n" % tmp_path)
    r = run("lb", "-c", path, "--check")
    assert r.returncode == 1
    assert "directory %s/no/such does not exist" % tmp_path in r.stderr, r.stderr


def test_check_warns_about_a_journal_it_could_not_write_but_stays_valid(brace, public_dir):
    path = os.path.join(public_dir, "lb.conf")
    with open(path, "w") as f:
        f.write("[global]\njournal = %s/ro/journal.db\n[listen web]\nbind = 127.0.0.1:1\n"
                "[pool app]\nserver = a 127.0.0.1:2\n" % public_dir)
    os.mkdir(os.path.join(public_dir, "ro"), 0o755)
    os.chmod(path, 0o644)
    r = subprocess.run(other_user([brace, "lb", "-c", path, "--check"]),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "warning: journal:" in r.stderr and "%s/ro" % public_dir in r.stderr, r.stderr
    assert "without recording events" in r.stderr
    assert "is valid" in r.stdout


def test_check_cascades_no_further_than_the_refused_line(run, tmp_path):
    path = write(tmp_path / "lb.conf", "[listen web]\nbind = 127.0.0.1:99999\n"
                 "[pool app]\nserver = a 127.0.0.1:notaport\n")
    r = run("lb", "-c", path, "--check")
    assert r.returncode == 1
    assert "has 2 errors" in r.stderr, r.stderr
    assert "no bind address" not in r.stderr and "has no server" not in r.stderr


# ---- the admin port: remote needs a token, secrets stay private ----

def test_remote_admin_without_a_token_is_refused_by_check_and_at_start(run, tmp_path):
    path = write(tmp_path / "lb.conf", "[global]\nadmin = 0.0.0.0:%d\n"
                 "admin-allow-remote = yes\njournal = off\n[listen web]\n"
                 "bind = 127.0.0.1:%d\n[pool app]\nserver = a 127.0.0.1:2\n"
                 % (free_port(), free_port()))
    for args in (["--check"], []):
        r = run("lb", "-c", path, *args)
        assert r.returncode == 1, r.stderr
        assert "reachable from other machines" in r.stderr, r.stderr
        assert "listening on" not in r.stderr


def test_a_config_holding_the_token_readable_by_others_warns_at_check_and_start(
        brace, backends, run, tmp_path):
    (a,) = backends(1)
    port, admin = free_port(), free_port()
    path = conf(tmp_path, a, port, "admin = 127.0.0.1:%d\nadmin-token = s3cret\n"
                "journal = off" % admin, mode=0o644)
    r = run("lb", "-c", path, "--check")
    assert r.returncode == 0, r.stderr
    assert "warning: %s holds admin-token and every user" % path in r.stderr, r.stderr
    p = Proc([brace, "lb", "-c", str(path)])
    assert "warning: %s holds admin-token" % path in p.stderr
    assert stopped(p) == 0
    # private to its owner and group: nothing to say
    os.chmod(path, 0o640)
    r = run("lb", "-c", path, "--check")
    assert "warning" not in r.stderr, r.stderr


def test_admin_token_file_is_read_at_start_and_by_check(brace, backends, run, tmp_path):
    (a,) = backends(1)
    port, admin = free_port(), free_port()
    token = write(tmp_path / "token", "t0ken-from-a-file\n")
    path = conf(tmp_path, a, port, "admin = 127.0.0.1:%d\nadmin-token-file = %s\n"
                "journal = off" % (admin, token))
    assert run("lb", "-c", path, "--check").returncode == 0
    p = Proc([brace, "lb", "-c", str(path)])
    try:
        with pytest.raises(urllib.error.HTTPError) as e:
            admin_get(admin, "/metrics")
        assert e.value.code == 401
        assert admin_get(admin, "/metrics", token="t0ken-from-a-file")[0] == 200
    finally:
        assert stopped(p) == 0
    # the dump names the file, never the token
    r = run("lb", "-c", path, "--dump-config")
    assert "admin-token-file = %s" % token in r.stdout and "t0ken" not in r.stdout
    # a file that cannot be read, or an empty one: --check and the start say why
    for bad, why in ((tmp_path / "missing", "No such file"), (write(tmp_path / "empty", "\n"),
                                                              "first line is empty")):
        path.write_text(path.read_text().replace(str(token), str(bad)))
        token = bad
        for args in (["--check"], []):
            r = run("lb", "-c", path, *args)
            assert r.returncode == 1 and why in r.stderr, r.stderr


def test_admin_token_is_hidden_from_ps_length_included(brace, backends):
    (a,) = backends(1)
    for form in (["--admin-token", "s3cret-t0ken-xyz"], ["--admin-token=s3cret-t0ken-xyz"]):
        port, admin = free_port(), free_port()
        p = Proc([brace, "lb", "-l", "127.0.0.1:%d" % port, "-b", a.addr, "--no-journal",
                  "--admin", "127.0.0.1:%d" % admin] + form)
        try:
            with open("/proc/%d/cmdline" % p.proc.pid, "rb") as f:
                shown = f.read().decode()
            ps = subprocess.run(["ps", "-o", "args=", "-p", str(p.proc.pid)],
                                stdout=subprocess.PIPE, text=True).stdout
            for text in (shown, ps):
                assert "s3cret" not in text and "xyz" not in text, text
                # no placeholder the length of the token either
                assert "x" * 16 not in text and "*" not in text, text
                assert "--admin-token" in text and "--no-journal" in text
            # the token still works
            assert admin_get(admin, "/stats", token="s3cret-t0ken-xyz")[0] == 200
        finally:
            assert stopped(p) == 0


def test_admin_token_file_flag(lb, backends, tmp_path):
    (a,) = backends(1)
    admin = free_port()
    token = write(tmp_path / "token", "flag-token\n")
    lb("-b", a.addr, "--admin", "127.0.0.1:%d" % admin, "--admin-token-file", str(token))
    assert admin_get(admin, "/stats", token="flag-token")[0] == 200
    with pytest.raises(urllib.error.HTTPError):
        admin_get(admin, "/stats")


# ---- the admin port serves its connections together ----

def still_open(sock):
    """The peer has not closed sock (no EOF waiting)."""
    sock.setblocking(False)
    try:
        return sock.recv(1) != b""
    except BlockingIOError:
        return True
    finally:
        sock.setblocking(True)


def test_idle_admin_connections_never_delay_metrics(lb, backends):
    (a,) = backends(1)
    admin = free_port()
    lb("-b", a.addr, "--admin", "127.0.0.1:%d" % admin)
    idle = [socket.create_connection(("127.0.0.1", admin)) for _ in range(4)]
    half = socket.create_connection(("127.0.0.1", admin))
    half.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")      # never finished
    try:
        status, text = admin_get(admin, "/metrics")
        assert status == 200 and "brace_server_up" in text
        # served while every idle one was still waiting: not one after the other
        assert all(still_open(s) for s in idle + [half])
    finally:
        for s in idle + [half]:
            s.close()


def test_past_the_admin_connection_cap_the_oldest_idle_one_makes_way(lb, backends):
    (a,) = backends(1)
    admin = free_port()
    lb("-b", a.addr, "--admin", "127.0.0.1:%d" % admin)
    idle = []
    try:
        for _ in range(64):
            idle.append(socket.create_connection(("127.0.0.1", admin)))
            time.sleep(0.005)
        status, text = admin_get(admin, "/metrics")
        assert status == 200
        # the first one was closed to make room, the newest ones still wait
        assert not still_open(idle[0])
        assert still_open(idle[-1])
    finally:
        for s in idle:
            s.close()


def test_an_idle_admin_connection_is_closed_at_its_deadline(lb, backends):
    (a,) = backends(1)
    admin = free_port()
    lb("-b", a.addr, "--admin", "127.0.0.1:%d" % admin)
    s = socket.create_connection(("127.0.0.1", admin), timeout=60)
    try:
        assert s.recv(1) == b""         # closed by brace, well within the 60 s
    finally:
        s.close()


def test_an_access_log_on_a_full_disk_warns_once_a_minute_with_a_count(brace, backends):
    (a,) = backends(1)
    port = free_port()
    # /dev/full: every write fails with ENOSPC, as a full disk does
    p = Proc([brace, "lb", "-l", "127.0.0.1:%d" % port, "-b", a.addr, "--threads", "2",
              "--access-log", "/dev/full", "--no-journal"])
    try:
        # requests for three seconds: each worker flushes (and fails) every second
        deadline = time.time() + 3.5
        while time.time() < deadline:
            assert get(port)[0] == 200
            time.sleep(0.02)
    finally:
        assert stopped(p) == 0
    warnings = [l for l in p.stderr.splitlines() if "access log:" in l]
    assert len(warnings) >= 1, p.stderr
    # one line for the first failure; the rest are held back and counted at the stop
    assert len([l for l in warnings if "No space left on device" in l]) == 1, p.stderr
    assert "more like this" in p.stderr or "were not shown" in p.stderr, p.stderr
