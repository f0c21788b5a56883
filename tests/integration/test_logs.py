"""brace logs: formats end to end, output shapes, inputs (.gz, stdin,
several files, --follow with rotation), filters, periods and garbage."""
import gzip
import json
import os
import random
import signal
import subprocess
import time

import pytest

from conftest import brace_opt_path, brace_path

BASE = 1795764000  # 2026-11-27T07:20:00Z


def clf(t):
    return time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(t))


def access_line(t, ip="10.0.0.5", path="/api/items/42", status=200, ua="curl/8.0"):
    return '%s - - [%s] "GET %s HTTP/1.1" %d 512 "-" "%s"\n' % (ip, clf(t), path, status, ua)


def digest(run, *args, input=None):
    r = run("logs", "--json", *args, input=input)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


SAMPLES = {
    "combined": [access_line(BASE + i, path="/api/items/%d" % i) for i in range(5)],
    "common": ['10.0.0.%d - - [%s] "GET /a/%d HTTP/1.0" 200 %d\n' % (i, clf(BASE + i), i, i)
               for i in range(5)],
    "syslog": ["Nov 27 07:20:0%d web1 sshd[%d]: Failed password for root from 10.0.0.%d port 22 ssh2\n"
               % (i, 100 + i, i) for i in range(5)],
    "rfc5424": ["<34>1 2026-11-27T07:20:0%dZ web1 su - ID47 - 'su root' failed for user%d\n" % (i, i)
                for i in range(5)],
    "journal": ["-- Journal begins at Mon 2026-11-23 10:00:00 UTC. --\n"] +
               ["Nov 27 07:20:0%d web1 systemd[1]: Started Session %d of user bob.\n" % (i, i)
                for i in range(5)],
    "journal-iso": ["-- Logs begin at Mon 2026-11-23 10:00:00 UTC. --\n"] +
                   ["2026-11-27T07:20:0%d+0000 web1 systemd[1]: Started Session %d of user bob.\n"
                    % (i, i) for i in range(5)],
    "postgres": ["2026-11-27 07:20:0%d.123 UTC [%d] FATAL:  sorry, too many clients already\n"
                 % (i, 4000 + i) for i in range(5)],
    "mysql": ["2026-11-27  7:20:0%d %d [Warning] Aborted connection %d to db: 'app'\n" % (i, i, i)
              for i in range(5)],
    "mysql-slow": ["# Time: 2026-11-27T07:20:0%d.000000Z\n# User@Host: app[app] @ localhost []  Id: %d\n"
                   "# Query_time: 2.%d  Lock_time: 0.0 Rows_sent: 1  Rows_examined: 9\n"
                   "SET timestamp=%d;\nSELECT * FROM t WHERE id = %d;\n" % (i, i, i, BASE + i, i)
                   for i in range(5)],
    "jsonl": ['{"time":"2026-11-27T07:20:0%dZ","level":"error","msg":"timeout after %ds"}\n' % (i, i)
              for i in range(5)],
    "generic": ["2026-11-27 07:20:0%d,123 INFO [main] App: started worker %d\n" % (i, i)
                for i in range(5)],
}


@pytest.mark.parametrize("fmt", sorted(SAMPLES))
def test_each_format_is_detected_and_mined(run, tmp_path, fmt):
    p = tmp_path / "x.log"
    p.write_text("".join(SAMPLES[fmt]))
    d = digest(run, p)
    assert d["inputs"][0]["format"] == fmt
    assert d["templates"], d
    t = d["templates"][0]
    assert t["first_seen"].startswith("2026-11-27T07:20:0")
    assert sum(x["count"] for x in d["templates"]) == d["mined_lines"] >= 5


def test_json_shape(run, tmp_path):
    p = tmp_path / "a.log"
    p.write_text("".join(access_line(BASE + i, ip="10.0.0.%d" % (i % 3), status=200 + (i % 2) * 300)
                         for i in range(100)))
    d = digest(run, p)
    for t in d["templates"]:
        assert set(["template", "count", "period_s", "first_seen", "last_seen"]) <= set(t)
    assert isinstance(d["bursts"], list)
    a = d["access"]
    assert a["requests"] == 100
    assert {"clients", "paths", "status", "methods", "user_agents", "errors", "timeline",
            "periodic_clients"} <= set(a)
    assert a["paths"][0] == {"path": "/api/items/<*>", "count": 100}
    assert a["errors"]["5xx"] == 50
    assert sum(a["timeline"]["requests"]) == 100


def test_templates_without_time_have_null_times(run):
    d = digest(run, "--format", "generic", "-", input="hello world 1\nhello world 2\n")
    assert d["templates"][0]["first_seen"] is None
    assert d["templates"][0]["period_s"] is None


def test_assign_is_one_object_per_line_in_order(run, tmp_path):
    lines = ["user alice logged in from 10.0.0.1\n", "disk sda1 is full\n",
             "user bob logged in from 10.0.0.2\n", "\n", "disk sda2 is full\n",
             "user carol logged in from 10.0.0.3\n", "user dave logged in from 10.0.0.4\n"]
    r = run("logs", "--assign", "-", input="".join(lines))
    assert r.returncode == 0, r.stderr
    got = [json.loads(x) for x in r.stdout.splitlines()]
    assert [g["line"] for g in got] == [1, 2, 3, 4, 5, 6, 7]
    assert got[0]["template_id"] == got[2]["template_id"] == got[6]["template_id"]
    assert got[0]["template"] == "user <*> logged in from <*>"
    assert got[3]["template_id"] is None and got[3]["template"] is None
    assert got[1]["template"] == "disk <*> is full" or got[1]["template"].startswith("disk")


def test_html_is_self_contained(run, tmp_path):
    p = tmp_path / "a.log"
    p.write_text("".join(access_line(BASE + i * 7, status=500 if i % 9 == 0 else 200)
                         for i in range(300)))
    out = tmp_path / "r.html"
    r = run("logs", "--html", out, p)
    assert r.returncode == 0, r.stderr
    page = out.read_text()
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<svg" in page and "<script>" in page
    # the script is the page's own: nothing is loaded from anywhere
    assert "<script src" not in page and "<link" not in page and "<img" not in page
    assert "http://" not in page and "https://" not in page and "url(" not in page


def test_gzip_file_and_stdin(run, tmp_path):
    text = "".join(SAMPLES["syslog"])
    gz = tmp_path / "s.log.gz"
    with gzip.open(gz, "wt") as f:
        f.write(text)
    a = digest(run, gz)
    b = digest(run, input=text)
    r = subprocess.run([brace_path(), "logs", "--json", "-"], input=gzip.compress(text.encode()),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert r.returncode == 0, r.stderr
    c = json.loads(r.stdout)
    assert a["lines"] == b["lines"] == c["lines"] == 5
    assert a["templates"][0]["template"] == b["templates"][0]["template"]


def test_several_files_are_merged_by_time(run, tmp_path):
    a, b = tmp_path / "a.log", tmp_path / "b.log"
    a.write_text("".join("2026-11-27 07:20:%02d alpha %d\n" % (s, s) for s in (0, 2, 4)))
    b.write_text("".join("2026-11-27 07:20:%02d beta %d\n" % (s, s) for s in (1, 3, 5)))
    r = run("logs", "--assign", a, b)
    assert r.returncode == 0, r.stderr
    got = [json.loads(x)["template"] for x in r.stdout.splitlines()]
    assert [t.split()[0] for t in got] == ["alpha", "beta"] * 3


def test_since_until_grep_top(run, tmp_path):
    p = tmp_path / "a.log"
    p.write_text("".join(access_line(BASE + i * 60, path="/p%d/%d" % (i % 4, i)) for i in range(100)))
    d = digest(run, "--since", "2026-11-27T07:30:00Z", "--until", "2026-11-27T07:40:00Z", p)
    assert d["mined_lines"] == 10
    a = d["access"]
    assert a["requests"] == 10 and a["methods"] == [{"method": "GET", "count": 10}]
    assert a["user_agents"] == [{"user_agent": "curl/8.0", "count": 10}]
    assert sum(c["count"] for c in a["clients"]) == 10
    d = digest(run, "--grep", "GET /p1/", p)
    assert d["mined_lines"] == 25
    d = digest(run, "--top", "2", p)
    assert len(d["templates"]) == 2


def test_cron_client_is_found_and_poisson_is_not(run, tmp_path):
    rng = random.Random(5)
    lines, t = [], float(BASE)
    for i in range(600):  # a cron client every 60 s with +-1 s jitter
        lines.append((BASE + i * 60 + rng.uniform(-1, 1), "10.9.9.9", "/api/cron/sync"))
    while t < BASE + 600 * 60:  # random users on random paths
        t += rng.expovariate(1 / 20.0)
        lines.append((t, "10.0.0.%d" % rng.randint(1, 50), "/page/%d" % rng.randint(1, 3)))
    lines.sort()
    p = tmp_path / "a.log"
    p.write_text("".join(access_line(int(ts), ip=ip, path=path) for ts, ip, path in lines))
    d = digest(run, p)
    periodic = {t["template"]: t["period_s"] for t in d["templates"] if t["period_s"]}
    assert list(periodic) == ["GET /api/cron/sync"]
    assert abs(periodic["GET /api/cron/sync"] - 60) <= 3
    pc = d["access"]["periodic_clients"]
    assert [c["client"] for c in pc] == ["10.9.9.9"]


def test_garbage_never_crashes(run, tmp_path):
    p = tmp_path / "junk.log"
    rng = random.Random(1)
    blob = bytes(rng.getrandbits(8) for _ in range(200000))
    with open(p, "wb") as f:
        f.write(blob)
        f.write(b"\n\xff\xfe invalid utf-8 \xc3\x28 here 42\n")
        f.write(b"x" * (3 << 20) + b"\n")  # a 3 MB line
        f.write(b"no time stamp at all\n\n\n")
        f.write(b"\x00\x00\x00\n")
    for fmt in ("auto", "combined", "jsonl", "syslog", "generic"):
        r = run("logs", "--json", "--format", fmt, p)
        assert r.returncode == 0, r.stderr
        d = json.loads(r.stdout)
        assert d["cut_lines"] >= 1
    r = run("logs", "--html", tmp_path / "j.html", p)
    assert r.returncode == 0
    r = run("logs", "--assign", p)
    assert r.returncode == 0 and all(json.loads(x) for x in r.stdout.splitlines())


def test_nul_byte_inside_a_word_is_kept_as_backslash_zero(run, tmp_path):
    p = tmp_path / "nul.log"
    p.write_bytes(b"2026-11-27 07:20:00 open ab\x00cd failed 12\n"
                  b"2026-11-27 07:20:01 open ab\x00cd failed 13\n")
    r = run("logs", "--assign", p)
    assert r.returncode == 0, r.stderr
    got = [json.loads(x)["template"] for x in r.stdout.splitlines()]
    assert got == ["open ab\\0cd failed <*>"] * 2
    r = run("logs", p)
    assert "open ab\\0cd failed <*>" in r.stdout


def test_empty_inputs(run, tmp_path):
    p = tmp_path / "empty.log"
    p.write_text("")
    assert digest(run, p)["lines"] == 0
    assert digest(run, input="")["lines"] == 0
    r = run("logs", p)
    assert r.returncode == 0 and "no input lines" in r.stdout


def test_errors_name_what_and_where(run, tmp_path):
    r = run("logs", tmp_path / "missing.log")
    assert r.returncode == 1 and "missing.log" in r.stderr
    assert run("logs", "--format", "nope", "-").returncode == 2
    r = run("logs", "--header", "<Date> <Time>", "-", input="")
    assert r.returncode == 2 and "Content" in r.stderr
    assert run("logs", "--grep", "(", "-").returncode == 2
    assert run("logs", "--json", "--assign", "-").returncode == 2


def test_terminal_report_has_tables(run, tmp_path):
    p = tmp_path / "a.log"
    p.write_text("".join(access_line(BASE + i) for i in range(50)))
    r = run("logs", p)
    assert r.returncode == 0
    for word in ("Requests", "Top clients", "Status codes", "GET /api/items/<*>"):
        assert word in r.stdout
    assert "\033[" not in r.stdout  # no colour when not a terminal


def wait_for(pred, timeout=30):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.1)
    return False


def follow(log, out):
    """brace logs --follow --json on log, its reports going to out; and a
    function giving the last report written (None before the first)."""
    with open(out, "w") as o:
        p = subprocess.Popen([brace_path(), "logs", "--follow", "--json", "--interval", "100ms",
                              str(log)], stdout=o, stderr=subprocess.PIPE)

    def last():
        try:
            rows = [json.loads(x) for x in open(out) if x.strip()]
        except ValueError:
            return None
        return rows[-1] if rows else None
    return p, last


def test_follow_survives_rotation_and_truncation(tmp_path):
    log = tmp_path / "app.log"
    log.write_text("2026-11-27 07:20:00 first line 1\n")
    p, last = follow(log, tmp_path / "out.jsonl")
    try:
        def lines():
            return (last() or {}).get("lines", -1)

        assert wait_for(lambda: lines() == 1)
        with open(log, "a") as f:
            f.write("2026-11-27 07:20:01 appended line 2\n")
        assert wait_for(lambda: lines() == 2)
        os.rename(log, str(log) + ".1")  # logrotate: move away, create anew
        with open(log, "w") as f:
            f.write("2026-11-27 07:20:02 after rotation 3\n")
        assert wait_for(lambda: lines() == 3)
        with open(log, "w") as f:  # copytruncate
            f.write("2026-11-27 07:20:03 after truncation 4\n")
        assert wait_for(lambda: lines() == 4)
    finally:
        p.send_signal(signal.SIGINT)
        p.wait(timeout=30)
    assert p.returncode == 0


@pytest.mark.parametrize("binary", ["sanitized", "optimised"])
def test_file_truncated_while_read_is_reported_not_a_crash(tmp_path, binary):
    """logrotate's copytruncate while brace reads: no SIGBUS, a warning that
    the file shrank, and a report of what was read."""
    exe = brace_path() if binary == "sanitized" else brace_opt_path()
    log = tmp_path / "app.log"
    line = "2026-11-27 07:20:00 worker %d finished job %d in %d ms on host-%d\n"
    with open(log, "w") as f:
        for i in range(1500000):
            f.write(line % (i % 50, i, i % 997, i % 31))
    p = subprocess.Popen([exe, "logs", "--json", "--threads", "0", str(log)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    fd_dir = "/proc/%d/fd" % p.pid

    def opened():
        try:
            return any(os.readlink(os.path.join(fd_dir, x)) == str(log) for x in os.listdir(fd_dir))
        except OSError:
            return False

    end = time.monotonic() + 60
    while not opened() and p.poll() is None and time.monotonic() < end:
        time.sleep(0.002)
    os.truncate(log, 100000)
    out, err = p.communicate(timeout=300)
    assert p.returncode == 0, (p.returncode, err)
    d = json.loads(out)
    if d["lines"] < 1500000:  # the truncation came while it read (nearly always)
        assert "app.log shrank while it was read" in err, err
        assert d["lines"] > 0


def test_truncated_or_corrupt_gzip_is_an_error_with_the_file_name(run, tmp_path):
    body = "".join("2026-11-27 07:20:%02d worker %d started\n" % (i % 60, i) for i in range(20000))
    data = gzip.compress(body.encode())
    cut = tmp_path / "cut.log.gz"
    cut.write_bytes(data[:len(data) // 2])
    r = run("logs", "--json", cut)
    assert r.returncode == 1 and r.stdout == ""
    assert "cut.log.gz: truncated gzip data" in r.stderr and "lines (" in r.stderr
    bad = bytearray(data)
    for i in range(100, 300):
        bad[i] ^= 0x55
    broken = tmp_path / "broken.log.gz"
    broken.write_bytes(bytes(bad))
    r = run("logs", broken)
    assert r.returncode == 1
    assert "broken.log.gz: corrupt gzip data" in r.stderr and "<fd:" not in r.stderr
    sp = subprocess.run([brace_path(), "logs", "--json", "-"], input=data[:len(data) // 2],
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert sp.returncode == 1 and b"-: truncated gzip data" in sp.stderr


def test_follow_detects_the_format_of_a_file_empty_at_start(tmp_path):
    log = tmp_path / "access.log"
    log.write_text("")
    p, last = follow(log, tmp_path / "out.jsonl")
    try:
        assert wait_for(lambda: last() is not None)
        with open(log, "a") as f:
            f.write("".join(access_line(BASE + i, path="/api/items/%d" % i) for i in range(20)))
        assert wait_for(lambda: (last() or {}).get("lines") == 20)
        d = last()
        assert d["inputs"][0]["format"] == "combined"
        assert d["access"]["requests"] == 20
        assert d["templates"][0]["template"] == "GET /api/items/<*>"
    finally:
        p.send_signal(signal.SIGINT)
        p.wait(timeout=30)
    assert p.returncode == 0


def test_random_words_past_the_template_cap_say_how_many_overflowed(tmp_path):
    """Hostile input, every line a new template: the cap holds, memory stays
    small (overflowing keys are not remembered), and the overflow is said."""
    rng = random.Random(4)
    p = tmp_path / "random.log"
    with open(p, "w") as f:
        for _ in range(300000):
            f.write(" ".join("".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 9)))
                             for _ in range(rng.randint(4, 8))) + "\n")
    r = subprocess.run(["/usr/bin/time", "-f", "%M", brace_opt_path(), "logs", "--json",
                        "--max-templates", "1000", str(p)],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert len(d["templates"]) <= 1001
    assert d["overflow_lines"] == d["lines"] - 1000
    assert "299000 lines fell into the overflow template" in r.stderr
    assert int(r.stderr.strip().splitlines()[-1]) < 256 * 1024  # KB of peak RSS
    r = subprocess.run([brace_path(), "logs", "--max-templates", "1000", str(p)],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert "299000 lines fell into the overflow template" in r.stdout


def test_threads_do_not_change_the_result(run, tmp_path):
    rng = random.Random(9)
    p = tmp_path / "big.log"
    with open(p, "w") as f:
        for i in range(60000):
            f.write(access_line(BASE + i // 10, ip="10.0.%d.%d" % (rng.randint(0, 9), rng.randint(1, 50)),
                                path="/x/%d/y" % rng.randint(1, 9999), status=rng.choice([200, 404, 500])))
    outs = {run("logs", "--json", "--threads", t, p).stdout for t in ("0", "1", "3")}
    assert len(outs) == 1
    s = tmp_path / "sys.log"
    s.write_text("".join("Nov 27 07:%02d:%02d h sshd[%d]: Failed password for u%d from 10.0.0.%d\n"
                         % (i // 60 % 60, i % 60, i, i % 7, i % 200) for i in range(50000)))
    outs = {run("logs", "--assign", "--threads", t, s).stdout for t in ("0", "2")}
    assert len(outs) == 1


def test_requests_without_a_time_count_for_their_client_in_the_window_of_the_line_before(
        run, tmp_path):
    """A request line without a time takes the time of the line before it:
    --since and --until count its client and agent only when that time is
    in the window, with one thread or several."""
    p = tmp_path / "a.jsonl"
    lines = []
    for i in range(3000):
        t = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(BASE + i))
        lines.append('{"time":"%s","client":"10.1.0.%d","method":"GET","path":"/a/%d",'
                     '"status":200,"user_agent":"ua-%d"}\n' % (t, i % 7, i, i % 3))
        if i % 10 == 0:  # a request without a time, from a client of its own
            lines.append('{"client":"10.2.0.%d","method":"GET","path":"/b","status":200,'
                         '"user_agent":"late"}\n' % (i % 5))
    p.write_text("".join(lines))
    since, until = BASE + 1000, BASE + 2000
    window = ("--since", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(since)),
              "--until", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(until)))
    outs = {}
    for t in ("0", "1", "3"):
        d = digest(run, "--threads", t, "--top", "100", *window, p)
        outs[t] = d
        late = sum(c["count"] for c in d["access"]["clients"] if c["client"].startswith("10.2."))
        assert late == 100, d["access"]["clients"]  # lines 1000..1999: every tenth
        assert sum(c["count"] for c in d["access"]["clients"]) == 1100
        ua = {u["user_agent"]: u["count"] for u in d["access"]["user_agents"]}
        assert ua["late"] == 100 and sum(ua.values()) == 1100
    assert outs["0"] == outs["1"] == outs["3"]


def test_cron_client_arriving_after_many_others_is_found(run, tmp_path):
    rng = random.Random(3)
    lines = []
    for i in range(20000):  # 20,000 distinct client/path pairs first
        lines.append((BASE + i * 0.05, "10.%d.%d.%d" % (i % 250, i // 250 % 250, 7), "/p/%d" % (i % 13)))
    t0 = BASE + 1000
    for i in range(300):
        lines.append((t0 + i * 60 + rng.uniform(-1, 1), "10.9.9.9", "/api/cron/sync"))
        for _ in range(5):
            lines.append((t0 + i * 60 + rng.uniform(0, 60), "10.1.%d.%d" % (rng.randint(0, 250), rng.randint(1, 250)),
                          "/p/%d" % rng.randint(0, 12)))
    lines.sort()
    p = tmp_path / "late.log"
    p.write_text("".join(access_line(int(ts), ip=ip, path=path) for ts, ip, path in lines))
    d = digest(run, p)
    assert [c["client"] for c in d["access"]["periodic_clients"]] == ["10.9.9.9"]
