"""What docs/lb.md and contrib/ promise about `brace lb`, checked against the
real binary: the example configuration, the keys and metrics the reference
lists, the GoAccess command line for the access log, the JSON Lines fields,
the systemd unit and the logrotate snippet."""
import grp
import http.client
import json
import os
import pwd
import re
import shutil
import subprocess
import time

import pytest

from conftest import ROOT
from httpbackend import Backend, closed_port
from lbproc import LBProc
from servers import free_port
from tlsca import CA

DOC = os.path.join(ROOT, "docs", "lb.md")
EXAMPLE = os.path.join(ROOT, "contrib", "lb.conf.example")
UNIT = os.path.join(ROOT, "contrib", "brace-lb.service")
LOGROTATE = os.path.join(ROOT, "contrib", "brace-lb.logrotate")


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def LBFile(brace, conf, wait_for="listening on"):
    """brace lb started with -c FILE; stderr collected."""
    return LBProc([brace, "lb", "-c", conf], wait_for=wait_for)


def wait_lines(path, n, timeout=30):
    """Wait until the file at path has n lines (workers write at least once a second)."""
    deadline = time.time() + timeout
    lines = []
    while time.time() < deadline:
        if os.path.exists(path):
            with open(path, encoding="utf-8", errors="replace") as f:
                lines = f.read().splitlines()
            if len(lines) >= n:
                return lines
        time.sleep(0.1)
    raise AssertionError("%s has %d lines, not %d" % (path, len(lines), n))


def traffic(port):
    """A mix of requests; returns how many were sent."""
    sent = 0
    odd = {"User-Agent": 'Mozilla/5.0 (X11; "quoted" \\back\\slash)',
           "Referer": "https://ref.example/p?q=1&r=\"2\""}
    for method, path, headers, body in [
            ("GET", "/", {}, None),
            ("GET", "/", odd, None),
            ("GET", "/status?code=404", odd, None),
            ("GET", "/status?code=500", {}, None),
            ("GET", "/status?code=302", {}, None),
            ("GET", "/big?size=5000", {}, None),
            ("GET", "/a%20b/%22c%22?x=1&y=2", {}, None),
            ("HEAD", "/", {}, None),
            ("POST", "/upload", {"Content-Type": "text/plain"}, b"x" * 300),
            ("GET", "/dead/nothing", {}, None),
            ("GET", "/dead/again", {"User-Agent": ""}, None),
    ]:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        c.request(method, path, body=body, headers=headers)
        c.getresponse().read()
        c.close()
        sent += 1
    return sent


def lb_conf(tmp_path, backend, fmt):
    port = free_port()
    log = tmp_path / ("access-%s.log" % fmt)
    conf = tmp_path / ("lb-%s.conf" % fmt)
    conf.write_text(
        "[global]\nthreads = 2\naccess-log = %s\naccess-log-format = %s\njournal = off\n"
        "[listen web]\nbind = 127.0.0.1:%d\nroute = path=/dead/ pool=dead\n"
        "default-pool = app\n"
        "[pool app]\nserver = b1 %s\npassive-fall = 0\n"
        "[pool dead]\nserver = gone 127.0.0.1:%d\nretries = 0\npassive-fall = 1\n"
        "passive-rest = 1h\npanic-threshold = 0\n"
        % (log, fmt, port, backend.addr, closed_port()))
    return conf, port, log


def logged_traffic(brace, tmp_path, fmt):
    """Run traffic() through a brace lb logging in fmt: (lines, requests, log, backend)."""
    b = Backend("b1")
    conf, port, log = lb_conf(tmp_path, b, fmt)
    lb = LBFile(brace, conf)
    try:
        n = traffic(port)
        lines = wait_lines(log, n)
    finally:
        lb.stop()
        b.stop()
    assert len(lines) == n
    return lines, n, log, b.addr


# ---- the example and the reference ----

def test_example_config_passes_check(run, tmp_path):
    """Valid where the directories and the token file it names exist (here, under
    tmp_path): --check also looks at what the start would open."""
    text = read(EXAMPLE)
    for d in ("/var/log/brace", "/var/lib/brace", "/etc/brace"):
        os.makedirs(str(tmp_path) + d)
        text = text.replace(d + "/", str(tmp_path) + d + "/")
    (tmp_path / "etc/brace/lb-admin-token").write_text("s3cret\n")
    # the certificates of the HTTPS listener and the CA of the API servers
    ca = CA(tmp_path / "ca")
    os.makedirs(tmp_path / "etc/brace/tls")
    for name, names in (("example.org", ["example.org", "www.example.org"]),
                        ("wildcard.example.org", ["*.example.org"])):
        leaf = ca.issue(name, names, out=tmp_path / "leaves")
        shutil.copy(leaf.bundle, tmp_path / "etc/brace/tls" / (name + ".pem"))
    shutil.copy(ca.cert, tmp_path / "etc/brace/internal-ca.crt")
    os.chmod(tmp_path / "etc/brace/lb-admin-token", 0o640)
    conf = tmp_path / "lb.conf"
    conf.write_text(text)
    os.chmod(conf, 0o640)
    r = run("lb", "-c", conf, "--check")
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    assert "is valid: 3 listeners, 3 pools" in r.stdout


def test_docs_contain_the_example_verbatim():
    example = read(EXAMPLE)
    assert "```ini\n" + example + "```\n" in read(DOC)


def test_docs_reference_every_key_the_dump_prints(run):
    r = run("lb", "-c", EXAMPLE, "--dump-config")
    assert r.returncode == 0, r.stderr
    keys = set(re.findall(r"^;? ?([a-z-]+) = ", r.stdout, re.M))
    assert len(keys) >= 35
    doc = read(DOC)
    for key in sorted(keys):
        assert "| `%s` |" % key in doc, "docs/lb.md has no row for key %s" % key
    sections = set(re.findall(r"^\[(\w+)", r.stdout, re.M))
    assert sections == {"global", "listen", "pool"}
    for s in ("### [global]", "### [listen NAME]", "### [pool NAME]"):
        assert s in doc


def test_docs_list_every_flag_of_the_help(run):
    r = run("lb", "--help")
    assert r.returncode == 0
    flags = set(re.findall(r"^\s+(?:-\w, )?(--[a-z0-9-]+)", r.stdout, re.M))
    flags.add("--no-journal")
    flags.add("--no-splice")
    doc = read(DOC)
    for flag in sorted(flags):
        assert re.search(r"^\| (`-\w`, )?`%s[ `]" % re.escape(flag), doc, re.M), \
            "docs/lb.md has no row for %s" % flag


def test_docs_list_every_metric_with_its_type(brace, tmp_path):
    b = Backend("b1")
    admin = free_port()
    conf = tmp_path / "admin.conf"
    # a TLS listener and a TLS server: their families appear only then
    leaf = CA(tmp_path / "ca").issue("a", ["a.test"], out=tmp_path / "certs")
    conf.write_text("[global]\nthreads = 1\nadmin = 127.0.0.1:%d\njournal = off\n"
                    "[listen web]\nbind = 127.0.0.1:%d\ntls-cert = %s\n"
                    "[pool app]\nserver = b1 %s\nserver = b2 127.0.0.1:%d tls verify=none\n"
                    % (admin, free_port(), leaf.bundle, b.addr, free_port()))
    lb = LBFile(brace, conf)
    try:
        c = http.client.HTTPConnection("127.0.0.1", admin, timeout=30)
        c.request("GET", "/metrics")
        text = c.getresponse().read().decode()
    finally:
        lb.stop()
        b.stop()
    types = dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M))
    assert len(types) >= 20
    doc = read(DOC)
    for name, kind in sorted(types.items()):
        assert "| `%s` | %s |" % (name, kind) in doc, \
            "docs/lb.md has no row '%s | %s'" % (name, kind)
    documented = set(re.findall(r"^\| `(brace_[a-z_]+)` \|", doc, re.M))
    assert documented == set(types)


# ---- the access log ----

def documented_goaccess_options():
    doc = read(DOC)
    cmd = re.search(r"^goaccess .*?(?=^\s*-o )", doc, re.M | re.S)
    assert cmd, "no goaccess command line in docs/lb.md"
    opts = {}
    for name in ("log-format", "date-format", "time-format"):
        m = re.search(r"--%s='([^']*)'" % name, cmd.group(0))
        assert m, "the goaccess command line has no --%s" % name
        opts[name] = m.group(1)
    return opts


def test_goaccess_reads_the_combined_log_with_the_documented_format(brace, tmp_path):
    goaccess = shutil.which("goaccess")
    assert goaccess, "goaccess is missing: run scripts/install-deps"
    lines, n, log, _ = logged_traffic(brace, tmp_path, "combined")
    # a server that refused: its address; then no server to ask: "-"
    # (two workers: lines of different requests may come in either order)
    refused = [l for l in lines if '"GET /dead/nothing ' in l]
    assert len(refused) == 1
    assert re.search(r'" 502 0 "-" "-" 127\.0\.0\.1:\d+ \d+\.\d{3} \d+\.\d{3}$', refused[0])
    assert len([l for l in lines if re.search(r'" 503 \d+ "-" "-" - - \d+\.\d{3}$', l)]) == 1
    assert any('\\"quoted\\" \\\\back\\\\slash' in l for l in lines)
    opts = documented_goaccess_options()
    report = tmp_path / "report.json"
    r = subprocess.run([goaccess, str(log), "--log-format=" + opts["log-format"],
                        "--date-format=" + opts["date-format"],
                        "--time-format=" + opts["time-format"], "-o", str(report)],
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=120)
    assert r.returncode == 0, r.stderr + r.stdout
    general = json.loads(report.read_text())["general"]
    assert general["total_requests"] == n, general
    assert general["valid_requests"] == n, general
    assert general["failed_requests"] == 0, general


def test_json_lines_have_the_documented_fields(brace, tmp_path):
    lines, n, log, backend_addr = logged_traffic(brace, tmp_path, "json")
    doc = read(DOC)
    part = doc[doc.index("**json** writes"):doc.index("## Journal events")]
    fields = re.findall(r"^\| `([a-z_]+)` \| (string|number) \|", part, re.M)
    assert len(fields) == 16
    recs = [json.loads(l) for l in lines]
    for rec in recs:
        assert list(rec) == [f for f, _ in fields]
        for f, kind in fields:
            if rec[f] is not None:
                assert isinstance(rec[f], str if kind == "string" else (int, float)), (f, rec)
    ok = [r for r in recs if r["request"] == "GET / HTTP/1.1"][0]
    assert ok["status"] == 200 and ok["frontend"] == "web" and ok["pool"] == "app"
    assert ok["server"] == "b1" and ok["upstream_addr"] == backend_addr
    assert ok["upstream_response_time"] <= ok["request_time"]
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", ok["time"])
    refused = [r for r in recs if r["request"] == "GET /dead/nothing HTTP/1.1"]
    assert len(refused) == 1
    assert refused[0]["status"] == 502 and refused[0]["server"] == "gone"
    unasked = [r for r in recs if r["status"] == 503]
    assert len(unasked) == 1 and unasked[0]["pool"] == "dead"
    assert unasked[0]["server"] is None and unasked[0]["upstream_addr"] is None
    assert unasked[0]["upstream_response_time"] is None


def test_a_503_for_a_pool_all_down_logs_its_request(brace, tmp_path):
    lines, n, log, _ = logged_traffic(brace, tmp_path, "json")
    recs = [json.loads(l) for l in lines]
    unasked = [r for r in recs if r["status"] == 503]
    assert unasked[0]["request"] == "GET /dead/again HTTP/1.1"
    assert unasked[0]["host"] is not None


# ---- contrib ----

def test_systemd_unit_verifies_and_keeps_what_it_promises(brace, tmp_path):
    text = read(UNIT)
    for line in ("Type=notify", "NotifyAccess=main",
                 "ExecStartPre=/usr/local/bin/brace lb -c /etc/brace/lb.conf --check",
                 "ExecReload=/bin/kill -HUP $MAINPID", "LimitNOFILE=65536",
                 "AmbientCapabilities=CAP_NET_BIND_SERVICE",
                 "CapabilityBoundingSet=CAP_NET_BIND_SERVICE", "User=brace-lb",
                 "StateDirectory=brace", "LogsDirectory=brace", "NoNewPrivileges=yes"):
        assert "\n" + line + "\n" in text, line
    # the paths the example writes are the directories the unit gives
    example = read(EXAMPLE)
    assert "access-log = /var/log/brace/" in example
    assert "journal = /var/lib/brace/" in example
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    unit = tmp_path / "brace-lb.service"
    unit.write_text(text.replace("/usr/local/bin/brace", brace))
    r = subprocess.run([analyze, "verify", str(unit)], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=120)
    assert r.returncode == 0, r.stdout
    assert "brace-lb.service" not in r.stdout, r.stdout


def test_logrotate_snippet_rotates_and_brace_lb_reopens(brace, tmp_path):
    logrotate = shutil.which("logrotate") or (
        "/usr/sbin/logrotate" if os.access("/usr/sbin/logrotate", os.X_OK) else None)
    assert logrotate, "logrotate is missing: run scripts/install-deps"
    text = read(LOGROTATE)
    for word in ("daily", "rotate 14", "compress", "delaycompress", "missingok",
                 "notifempty", "create 0640 brace-lb adm", "postrotate"):
        assert "\n\t%s\n" % word in text, word
    assert re.search(r"postrotate\n\t\tsystemctl kill --kill-whom=main --signal=SIGUSR1 "
                     r"brace-lb\.service", text)
    b = Backend("b1")
    conf, port, log = lb_conf(tmp_path, b, "combined")
    lb = LBFile(brace, conf)
    try:
        # the snippet with this test's log, user and process
        user = pwd.getpwuid(os.getuid()).pw_name
        group = grp.getgrgid(os.getgid()).gr_name
        mine = (text.replace("/var/log/brace/lb-access.log", str(log))
                .replace("brace-lb adm", "%s %s" % (user, group))
                .replace("systemctl kill --kill-whom=main --signal=SIGUSR1 brace-lb.service",
                         "kill -USR1 %d" % lb.proc.pid))
        snippet = tmp_path / "brace-lb.logrotate"
        snippet.write_text(mine)
        state = tmp_path / "logrotate.state"
        r = subprocess.run([logrotate, "-d", "-s", str(state), str(snippet)],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=60)
        assert r.returncode == 0 and "error" not in r.stdout, r.stdout
        first = traffic(port)
        wait_lines(log, first)
        r = subprocess.run([logrotate, "-f", "-s", str(state), str(snippet)],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=60)
        assert r.returncode == 0, r.stdout
        rotated = tmp_path / (log.name + ".1")
        assert len(rotated.read_text().splitlines()) == first
        deadline = time.time() + 30
        while "reopened" not in lb.stderr and time.time() < deadline:
            time.sleep(0.05)
        assert "access log %s reopened" % log in lb.stderr
        # new lines go to the new file, with the mode the snippet asked for
        second = traffic(port)
        assert len(wait_lines(log, second)) == second
        assert os.stat(log).st_mode & 0o777 == 0o640
        assert len(rotated.read_text().splitlines()) == first
    finally:
        lb.stop()
        b.stop()


def test_stop_writes_the_last_lines_of_the_access_log(brace, tmp_path):
    b = Backend("b1")
    conf, port, log = lb_conf(tmp_path, b, "combined")
    lb = LBFile(brace, conf)
    try:
        n = traffic(port)
    finally:
        lb.stop()
        b.stop()
    assert len(log.read_text().splitlines()) == n
