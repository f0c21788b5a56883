"""brace logs' reports of an access log: slow requests read from every layout
of request times (brace lb's own log, nginx, Apache, JSON), periodic jobs
counted by their runs, and the HTML page in a real browser (headless
Chromium through the DevTools protocol): no console errors, the headline
figures and the slow requests with their values, sorting and filtering, a
screenshot under build/ for a person to look at, and the size of the page
for a 20 MB log."""
import json
import os
import random
import re
import shutil
import subprocess
import time

import pytest

from browser import Browser
from conftest import ROOT, brace_opt_path

BASE = 1795764000  # 2026-11-27T07:20:00Z
SHOTS = os.path.join(ROOT, "build")


def clf(t):
    return time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(t))


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % (int(t * 1000) % 1000)


def requests(n=900, seed=7):
    """(time, client, path, status, request time s, upstream time s or None):
    a fast site with one slow PHP page (2 to 3 s) and static files."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        t = BASE + i * 2 + rng.random()
        r = rng.random()
        if r < 0.1:
            path, rt = "/report.php?id=%d" % rng.randint(1, 999), 2.0 + rng.random()
        elif r < 0.3:
            path, rt = "/static/app.js", 0.0005
        else:
            path, rt = "/api/items/%d" % rng.randint(1, 999), 0.02 + 0.02 * rng.random()
        up = None if path.startswith("/static") else rt * 0.9
        status = 502 if rng.random() < 0.02 else 200
        out.append((t, "10.0.0.%d" % rng.randint(1, 40), path, status, rt, up))
    return out


def combined(t, ip, path, status, tail=""):
    return '%s - - [%s] "GET %s HTTP/1.1" %d 512 "-" "curl/8.0"%s\n' % (
        ip, clf(t), path, status, tail)


def dash(v, fmt):
    return "-" if v is None else fmt % v


# Each layout writes one request; all must give the same slow template.
LAYOUTS = {
    # brace lb's combined log: upstream address, upstream time, request time
    "brace-lb": lambda t, ip, p, s, rt, up: combined(
        t, ip, p, s, " %s %s %.3f" % ("-" if up is None else "10.1.1.1:8080",
                                      dash(up, "%.3f"), rt)),
    # nginx: $request_time $upstream_response_time, bare
    "nginx": lambda t, ip, p, s, rt, up: combined(
        t, ip, p, s, " %.3f %s" % (rt, dash(up, "%.3f"))),
    # nginx, the other order and quoted
    "nginx-quoted": lambda t, ip, p, s, rt, up: combined(
        t, ip, p, s, ' "%s" "%.3f"' % (dash(up, "%.3f"), rt)),
    # nginx key=value, as the "timed" formats people write
    "nginx-keyed": lambda t, ip, p, s, rt, up: combined(
        t, ip, p, s, ' rt=%.3f uct="0.000" urt="%s"' % (rt, dash(up, "%.3f"))),
    # Apache: %D, microseconds
    "apache-D": lambda t, ip, p, s, rt, up: combined(t, ip, p, s, " %d" % round(rt * 1e6)),
    # JSON Lines of an application: duration in milliseconds
    "jsonl-ms": lambda t, ip, p, s, rt, up: json.dumps(
        {"ts": t, "level": "info", "msg": "report rendered" if "report" in p else
         "static file served" if "static" in p else "items listed", "status": s,
         "duration_ms": round(rt * 1000, 1)}) + "\n",
    # brace lb's JSON access log
    "brace-lb-json": lambda t, ip, p, s, rt, up: json.dumps(
        {"time": iso(t), "client": ip, "request": "GET %s HTTP/1.1" % p, "host": None,
         "status": s, "bytes": 512, "referer": None, "user_agent": "curl/8.0",
         "frontend": "web", "pool": "app", "server": "b1",
         "upstream_addr": None if up is None else "10.1.1.1:8080",
         "upstream_response_time": None if up is None else round(up, 3),
         "request_time": round(rt, 3)}) + "\n",
}


def report(run, *args):
    r = run("logs", "--json", *args)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_request_times_are_read_in_every_layout(run, tmp_path, layout):
    reqs = requests()
    p = tmp_path / "a.log"
    p.write_text("".join(LAYOUTS[layout](*r) for r in reqs))
    lat = report(run, p)["latency"]
    assert lat["all"]["count"] == len(reqs)
    slow = lat["by_total"][0]
    assert "report" in slow["template"]
    php = [r for r in reqs if "report.php" in r[2]]
    assert slow["count"] == len(php)
    # the histogram is exact to within an eighth
    exact = sorted(r[4] for r in php)
    assert abs(slow["p50_s"] - exact[len(exact) // 2]) <= 0.125 * exact[len(exact) // 2]
    assert abs(slow["max_s"] - exact[-1]) <= 0.002
    assert abs(slow["total_s"] - sum(exact)) <= 0.01 * sum(exact)
    if layout in ("brace-lb", "nginx", "nginx-quoted", "nginx-keyed", "brace-lb-json"):
        assert abs(slow["upstream_s"] - 0.9 * sum(exact)) <= 0.01 * sum(exact)
    else:
        assert slow["upstream_s"] is None


def test_apache_seconds_are_not_read_as_microseconds(run, tmp_path):
    """%T writes whole seconds, mostly 0: the page that took 3 s is the slow one."""
    lines = []
    for i in range(200):
        slow = i % 10 == 0
        lines.append(combined(BASE + i, "10.0.0.1", "/slow.php" if slow else "/",
                              200, " %d" % (3 if slow else 0)))
    p = tmp_path / "a.log"
    p.write_text("".join(lines))
    lat = report(run, p)["latency"]
    assert lat["by_total"][0]["template"] == "GET /slow.php"
    assert lat["by_total"][0]["p50_s"] == pytest.approx(3, rel=0.13)


def test_sizes_after_the_format_are_not_times(run, tmp_path):
    """mod_logio's %I %O (combinedio) are two integers: sizes, not times."""
    p = tmp_path / "a.log"
    p.write_text("".join(combined(BASE + i, "10.0.0.1", "/", 200, " 412 9310")
                         for i in range(50)))
    d = report(run, p)
    assert d["latency"] is None
    assert d["access"]["requests"] == 50


def test_slow_requests_panel_in_text_and_json(run, tmp_path):
    reqs = requests()
    p = tmp_path / "a.log"
    p.write_text("".join(LAYOUTS["nginx"](*r) for r in reqs))
    d = report(run, p)
    lat = d["latency"]
    # the existing fields are kept beside the new ones
    for key in ("templates", "periodic", "bursts", "access", "lines", "unparsed_lines"):
        assert key in d
    assert set(lat) == {"all", "other_templates", "by_total", "by_p99", "timeline"}
    assert [t["template"] for t in lat["by_total"][:1]] == ["GET /report.php?id=<*>"]
    assert lat["by_p99"][0]["template"] == "GET /report.php?id=<*>"
    assert all(t["count"] >= 10 for t in lat["by_p99"])
    assert lat["all"]["p99_s"] >= lat["all"]["p95_s"] >= lat["all"]["p50_s"] > 0
    series = lat["timeline"]["p95_s"]
    assert len(series) == len(lat["timeline"]["p50_s"]) and any(v for v in series)
    assert "3xx" in d["access"]["timeline"]
    r = run("logs", "--color", "never", p)
    assert r.returncode == 0, r.stderr
    text = r.stdout[r.stdout.index("Slow requests"):]
    assert "by total time" in text and "by p99" in text and "p95 over time" in text
    first = [l for l in text.splitlines() if "report.php" in l][0]
    assert "90%" in first  # the upstream's share of the time


def test_errors_by_template_name_the_failing_endpoints(run, tmp_path):
    """A payment page that fails one time in three and missing images among
    healthy pages: the errors panel puts the 5xx first, then the 4xx, with
    the share of each template's own requests, in the text, JSON and HTML."""
    rng = random.Random(9)
    lines = []
    for i in range(900):
        r = rng.random()
        if r < 0.1:
            path, status = "/pay.php", 502 if i % 3 == 0 else 200
        elif r < 0.2:
            path, status = "/img/%d.png" % rng.randint(1, 500), 404
        else:
            path, status = "/page/%d" % rng.randint(1, 50), 200
        lines.append((BASE + i, path, status))
    p = tmp_path / "a.log"
    p.write_text("".join(combined(t, "10.0.0.1", path, s) for t, path, s in lines))
    pay = [x for x in lines if x[1] == "/pay.php"]
    pay5 = sum(1 for x in pay if x[2] == 502)
    img = sum(1 for x in lines if x[1].startswith("/img/"))
    d = report(run, p)
    rows = d["access"]["errors_by_template"]
    assert [(t["template"], t["count"], t["status_5xx"], t["status_4xx"]) for t in rows] == [
        ("GET /pay.php", len(pay), pay5, 0), ("GET /img/<*>", img, 0, img)]
    r = run("logs", "--color", "never", p)
    assert r.returncode == 0, r.stderr
    text = r.stdout[r.stdout.index("Errors by template"):].splitlines()
    assert text[2].split() == [str(pay5), "0", str(len(pay)),
                               "%.1f%%" % (100.0 * pay5 / len(pay)), "GET", "/pay.php"]
    assert text[3].split()[:3] == ["0", str(img), str(img)]
    page = tmp_path / "a.html"
    r = run("logs", "--html", page, p)
    assert r.returncode == 0, r.stderr
    html = page.read_text()
    assert html.index('id="t-errors"') < html.index("<code>GET /pay.php</code>") < \
        html.index("<code>GET /img/&lt;*&gt;</code>")


def test_periodic_runs_are_runs_not_requests(run, tmp_path):
    """55 minutes of a job once a minute: about 56 runs, whatever else hits its
    path and however many requests a run makes."""
    rng = random.Random(3)
    lines = []
    for i in range(56):
        lines.append((BASE + i * 60 + rng.uniform(-0.3, 0.3), "10.9.9.9", "/cron.php"))
        if rng.random() < 0.25:  # a second request in the same run
            lines.append((BASE + i * 60 + 1.5, "10.9.9.9", "/cron.php"))
    t = BASE
    while t < BASE + 55 * 60:
        t += rng.expovariate(2.0)
        path = "/cron.php" if rng.random() < 0.005 else "/page/%d" % rng.randint(1, 50)
        lines.append((t, "10.0.0.%d" % rng.randint(1, 60), path))
    lines.sort()
    p = tmp_path / "a.log"
    p.write_text("".join(combined(ts, ip, path, 200) for ts, ip, path in lines))
    d = report(run, p)
    cron = [t for t in d["periodic"] if t["template"] == "GET /cron.php"]
    assert len(cron) == 1
    assert 55 <= cron[0]["period_runs"] <= 57
    assert cron[0]["period_first_run"] in ("2026-11-27T07:19:59.000Z", "2026-11-27T07:20:00.000Z")
    assert cron[0]["period_last_run"] in ("2026-11-27T08:14:59.000Z", "2026-11-27T08:15:00.000Z")
    client = [c for c in d["access"]["periodic_clients"] if c["client"] == "10.9.9.9"]
    assert len(client) == 1
    assert 54 <= client[0]["period_runs"] <= 57
    assert client[0]["period_last_run"] in ("2026-11-27T08:14:59.000Z",
                                            "2026-11-27T08:15:00.000Z")


def test_brace_lb_access_log_shows_its_slow_endpoint(run, lb, backends, tmp_path):
    """brace lb's own access log, written by a real brace lb in front of a real
    backend, read back: the slow path is first by total time, with the
    backend's delay as its time and nearly all of it upstream."""
    b = backends(1)[0]
    log = tmp_path / "access.log"
    p = lb("-b", b.addr, "--access-log", log, "--no-journal", "--threads", "1")
    base = "http://127.0.0.1:%d" % p.port
    urls = [base + "/slow?ms=300"] * 4 + [base + "/"] * 20
    args = ["curl", "-s", "-w", "%{http_code}\\n"]
    for u in urls:
        args += ["-o", "/dev/null", u]
    r = subprocess.run(args, stdout=subprocess.PIPE, text=True, timeout=120)
    assert r.stdout.split() == ["200"] * len(urls)
    assert p.stop() == 0
    lines = log.read_text().splitlines()
    assert len(lines) == len(urls)
    lat = report(run, log)["latency"]
    slow = lat["by_total"][0]
    assert slow["template"] == "GET /slow?ms=<*>"
    assert slow["count"] == 4
    # the mean is exact; a quantile is read from the histogram, within an eighth
    assert 0.3 <= slow["mean_s"] < 5
    assert 0.3 * 0.875 <= slow["p50_s"] < 5
    assert slow["upstream_s"] >= 0.9 * slow["total_s"]


# -- the HTML page in a real browser ------------------------------------------

def night_log(out):
    """An hour of traffic with a slow PHP page, a cron client and a burst of 5xx."""
    rng = random.Random(11)
    lines = []
    for i in range(60):
        lines.append((BASE + i * 60, "10.9.9.9", "/cron/sync.php", 200, 4.0 + rng.random(), 4.0))
    t = BASE
    while t < BASE + 3600:
        t += rng.expovariate(3.0)
        r = rng.random()
        if r < 0.05:
            path, rt = "/report.php?id=%d" % rng.randint(1, 99), 1.5 + rng.random()
        elif r < 0.25:
            path, rt = "/static/app.js", 0.001
        else:
            path, rt = "/api/items/%d" % rng.randint(1, 999), 0.03 + 0.03 * rng.random()
        status = 200
        if BASE + 1800 <= t < BASE + 1920 and rng.random() < 0.5:
            status, rt = 503, 0.002
        elif rng.random() < 0.03:
            status = 404
        lines.append((t, "10.0.%d.%d" % (rng.randint(0, 3), rng.randint(1, 250)), path, status,
                       rt, None if path.startswith("/static") else rt * 0.95))
    lines.sort()
    with open(out, "w") as f:
        f.write("".join(LAYOUTS["nginx"](*x) for x in lines))
    return lines


def test_html_report_in_a_browser(run, tmp_path):
    log = tmp_path / "night.log"
    lines = night_log(log)
    page = tmp_path / "night.html"
    r = run("logs", "--html", page, log)
    assert r.returncode == 0, r.stderr
    d = report(run, log)
    # the text report's counts are for people too
    r = run("logs", "--color", "never", log)
    ok = sum(1 for x in lines if x[3] == 200)
    assert "%10s" % "{:,}".format(ok) + " " in r.stdout.split("Status codes")[1]
    with Browser(tmp_path) as b:
        b.open("file://%s" % page)
        cards = b.eval("[].map.call(document.querySelectorAll('.card'), function (c) {"
                       "return [c.id, c.querySelector('.v').textContent]; })")
        cards = dict(cards)
        assert cards["card-requests"] == "{:,}".format(len(lines))
        assert cards["card-clients"] == "{:,}".format(len(set(x[1] for x in lines)))
        errors = sum(1 for x in lines if x[3] >= 400)
        assert cards["card-errors"] == "%.1f %%" % (100.0 * errors / len(lines))
        assert cards["card-span"] == "1 h 0 min"
        assert cards["card-unparsed"] == "0"
        assert cards["card-p95"].endswith(("ms", "s"))
        # bytes for people, the exact count beside them
        assert cards["card-bytes"] == "%.1f MiB" % (len(lines) * 512 / 2 ** 20)
        assert b.eval("document.querySelector('#card-bytes .s').textContent") == \
            "{:,} bytes".format(len(lines) * 512)
        # the slow requests: the cron job's PHP first by total time, its numbers
        # the slow requests: the slow PHP page first by total time, the cron job's
        # PHP with its numbers
        rows = b.eval("[].map.call(document.querySelectorAll('#t-slow tbody tr'), function (r) {"
                      "return [].map.call(r.cells, function (c) { return c.textContent; }); })")
        assert rows[0][0] == "GET /report.php?id=<*>"
        assert rows[0][0] == d["latency"]["by_total"][0]["template"]
        cron = [t for t in d["latency"]["by_total"] if t["template"] == "GET /cron/sync.php"][0]
        row = [r for r in rows if r[0] == "GET /cron/sync.php"][0]
        assert row[1] == "60"
        assert row[2] == "%.1f min" % (cron["total_s"] / 60)
        assert row[5] == "%.2f s" % cron["p50_s"]
        assert row[9] == "%.0f%%" % (100 * cron["upstream_s"] / cron["total_s"])
        # the errors by template: the most 5xx first, as in the JSON report
        first = b.eval("[].map.call(document.querySelector('#t-errors tbody tr').cells,"
                       "function (c) { return c.textContent; })")
        top = d["access"]["errors_by_template"][0]
        assert first[:4] == [top["template"], "{:,}".format(top["count"]),
                             "{:,}".format(top["status_5xx"]), "{:,}".format(top["status_4xx"])]
        assert b.eval("document.querySelectorAll('#ch-latency path').length") == 3
        assert b.eval("document.querySelectorAll('#ch-requests path').length") == 4
        # sorting: a real click on the p99 header puts the largest p99 first
        headers = b.eval("[].map.call(document.querySelectorAll('#t-slow th'), "
                         "function (h) { return h.textContent; })")
        col = headers.index("p99")
        b.click("#t-slow th:nth-child(%d)" % (col + 1))
        p99 = b.eval("[].map.call(document.querySelectorAll('#t-slow tbody tr'), function (r) {"
                     "return parseFloat(r.cells[%d].getAttribute('data-v')); })" % col)
        assert p99 == sorted(p99, reverse=True)
        assert b.eval("document.querySelectorAll('#t-slow th')[%d].getAttribute('aria-sort')"
                      % col) == "descending"
        b.click("#t-slow th:nth-child(%d)" % (col + 1))
        p99 = b.eval("[].map.call(document.querySelectorAll('#t-slow tbody tr'), function (r) {"
                     "return parseFloat(r.cells[%d].getAttribute('data-v')); })" % col)
        assert p99 == sorted(p99)
        # filtering: typing into the box keeps the matching rows only
        b.type_text("input[data-for=t-clients]", "10.9.9")
        shown = b.eval("[].filter.call(document.querySelectorAll('#t-clients tbody tr'),"
                       "function (r) { return !r.hidden; }).map(function (r) {"
                       "return r.cells[2].textContent; })")
        assert shown == ["10.9.9.9"]
        # the tooltip of a chart names the time and the values
        b.hover("#ch-requests", 0.5, 0.5)
        tip = b.eval("document.querySelector('.tip').textContent")
        assert "requests/s" in tip and "2xx:" in tip and "5xx:" in tip
        assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d requests/s", tip), tip
        assert all(re.fullmatch(r"\d[\d,]*(\.\d\d?)?", v.split(": ")[1])
                   for v in b.eval("document.querySelector('.tip').innerText").split("\n")[1:]), tip
        b.screenshot(os.path.join(SHOTS, "logs-report.png"))
        assert b.errors == []


def test_html_page_stays_small_with_long_strings_and_every_row(run, tmp_path):
    """Long paths and user agents, thousands of templates and --top as large as
    it goes: the tables are capped in rows and their strings in characters, so
    the page stays under 200 KB."""
    rng = random.Random(5)
    words = ["alpha", "beta", "gamma", "delta", "zeta", "theta", "kappa", "sigma"]
    lines = []
    for i in range(20000):
        path = "/" + "/".join(rng.choice(words) + rng.choice(words)
                              for _ in range(rng.randint(1, 6)))
        ua = "Agent-%s/%d (%s)" % (rng.choice(words) * 4, rng.randint(1, 10 ** 6), "x" * 400)
        lines.append('10.%d.%d.%d - - [%s] "GET %s HTTP/1.1" 200 512 "-" "%s" %.3f %.3f\n' % (
            rng.randint(0, 255), rng.randint(0, 255), rng.randint(1, 254), clf(BASE + i * 0.2),
            path, ua, rng.random(), rng.random()))
    log = tmp_path / "wild.log"
    log.write_text("".join(lines))
    page = tmp_path / "wild.html"
    r = run("logs", "--top", "100000", "--html", page, log)
    assert r.returncode == 0, r.stderr
    size = os.path.getsize(page)
    assert size < 200 * 1024, size
    text = page.read_text()
    agents = text[text.index("<h2>User agents"):]
    first = agents[agents.index("<code>") + 6:agents.index("</code>")]
    assert len(first) == 201 and first.endswith("\u2026"), first


def test_html_page_of_a_20_mb_log_is_small_and_loads_cleanly(tmp_path):
    """The benchmark's access log with request times (20 MB): a page under
    200 KB that loads without an error; screenshots of it and of GoAccess's
    report on the same log are written under build/ to compare them."""
    log = tmp_path / "access.log"
    subprocess.run(["python3", os.path.join(ROOT, "bench", "gen-logs.py"), "access-timed", "20M",
                    str(log)], check=True, timeout=300)
    page = tmp_path / "report.html"
    r = subprocess.run([brace_opt_path(), "logs", "--html", str(page), str(log)],
                       stderr=subprocess.PIPE, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    size = os.path.getsize(page)
    assert size < 200 * 1024, size
    text = page.read_text()
    assert "<script src" not in text and "<link" not in text and "url(" not in text
    with Browser(tmp_path) as b:
        b.open("file://%s" % page)
        assert b.eval("document.querySelector('#t-slow tbody tr td').textContent") == \
            "GET /api/cron/sync"
        b.screenshot(os.path.join(SHOTS, "logs-report-20mb.png"))
        assert b.errors == []
        goaccess = shutil.which("goaccess")
        if goaccess is not None:
            ga = tmp_path / "goaccess.html"
            subprocess.run([goaccess, str(log), "--log-format",
                            '%h %^[%d:%t %^] "%r" %s %b "%R" "%u" %T %^',
                            "--date-format=%d/%b/%Y", "--time-format=%T", "--no-global-config",
                            "-o", str(ga)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=300, check=True)
            b.open("file://%s" % ga)
            b.screenshot(os.path.join(SHOTS, "goaccess-report-20mb.png"))
