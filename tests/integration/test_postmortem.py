"""brace postmortem: a night of known events at known times (pm_night.py),
built with brace's own commands, read back into a postmortem; several
journals merged; each bad input; the HTML in a real headless browser."""
import html.parser
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time

import pytest

import pm_night
from conftest import brace_opt_path

SECTIONS = ["Summary", "Impact", "Root causes", "Trigger", "Detection", "Resolution",
            "Action items", "Lessons learned", "Timeline", "Supporting information"]


@pytest.fixture(scope="module")
def night(tmp_path_factory):
    """The database host's journal (with the load balancer's samples) and
    PostgreSQL's log, recorded once for the module."""
    d = tmp_path_factory.mktemp("night")
    journal = str(d / "db1.db")
    pm_night.record_db(pm_night.Recorder(brace_opt_path(), journal, "db1"))
    log = str(d / "postgresql.log")
    pm_night.pg_log(log)
    return journal, log


def report(run, *args):
    r = run("postmortem", "--json", *args)
    assert r.stdout, r.stderr
    return r, json.loads(r.stdout)


class Tags(html.parser.HTMLParser):
    """Checks that every element opened is closed, in order."""
    VOID = {"meta", "br", "img", "link", "input", "hr"}

    def __init__(self):
        super().__init__()
        self.stack, self.svgs, self.errors = [], 0, []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append(tag)
        self.svgs += tag == "svg"

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append("</%s> closes %s" % (tag, self.stack[-1:] or "nothing"))
        else:
            self.stack.pop()


def test_postmortem_computes_impact_moments_and_ranks_the_periodic_job_first(run, night):
    journal, log = night
    r, pm = report(run, "--journal", journal, "--logs", log)
    assert r.returncode == 0, r.stderr
    imp = pm["impact"]
    # 60 lb samples of 100 requests; 25 failed per half second of saturation.
    assert imp["requests"] == 6000
    assert imp["failed"] == 25 * sum(1 for t in range(2, 121, 2)
                                     for h in (t - 1.5, t - 1.0, t - 0.5, t)
                                     if pm_night.saturated(h))
    assert imp["db_peak_used"] == 17 and imp["db_peak_usable"] == 17
    assert imp["queue_peak"] == 0 and imp["latency_p99_peak_ms"] == 2500
    assert imp["saturation_episodes"] == len(pm_night.JOB_STARTS)
    m = pm["moments"]
    # The first 5xx fall in (30, 32]; the first alert is the crossing at 32.
    assert m["began"] == pm_night.iso(30)
    assert m["detected"] == pm_night.iso(32)
    assert m["time_to_detect_s"] == 2.0
    assert m["mitigated"] == pm_night.iso(pm_night.MITIGATED_AT)
    assert "recorded by a person" in m["mitigated_why"]
    first = pm["trigger_candidates"][0]
    assert "invsync" in first["what"] and first["origin"] == "postgresql.log"
    assert "every 5.0 s" in first["evidence"]
    assert "9 of the 9 saturation episodes began within" in first["evidence"]
    assert "invsync held the most connections (a median 16 of 17 usable)" in first["evidence"]
    assert all("FATAL" not in c["what"] for c in pm["trigger_candidates"][:1])
    assert pm["window"]["found"] is True and "warning-or-worse" in pm["window"]["why"]


def test_one_value_of_a_shared_template_is_split_out_and_ranked_first(run, night, tmp_path):
    """Every user shares `connection authorized: user=<*>`: the lines holding
    the holder conns saw at each saturation are analysed on their own."""
    journal, _ = night
    log = str(tmp_path / "shared.log")
    pm_night.shared_template_log(log)
    r = run("logs", "--json", log)
    templates = [t["template"] for t in json.loads(r.stdout)["templates"]]
    assert any("user=<*>" in t for t in templates), templates   # the miner merged them
    _, pm = report(run, "--journal", journal, "--logs", log)
    first = pm["trigger_candidates"][0]
    assert "user=invsync" in first["what"] and "<*>" not in first["what"].split("user=")[1]
    assert first["evidence"].startswith("the lines of `")
    assert "holding invsync: bursts of 16 lines every 5.0 s" in first["evidence"]
    assert "9 of the 9 saturation episodes began within" in first["evidence"]


def test_timeline_rows_name_their_source_journal_event_and_host_or_file_and_line(run, night):
    journal, log = night
    _, pm = report(run, "--journal", journal, "--logs", log)
    rows = pm["timeline"]
    assert [r["ts_ms"] for r in rows] == sorted(r["ts_ms"] for r in rows)
    crossings = [r for r in rows if "threshold_crossed" in r["text"]]
    assert crossings and all(r["source"].startswith("journal #") and
                             r["source"].endswith(" on db1") for r in crossings)
    first_fatal = [r for r in rows if "first time in this log" in r["text"]]
    assert first_fatal and "FATAL" in first_fatal[0]["text"]
    path, line = first_fatal[0]["source"].split(":")
    assert path == "postgresql.log"
    with open(log) as f:
        assert "too many clients" in f.read().splitlines()[int(line) - 1]
    assert any("periodic" in r["text"] and "invsync" in r["text"] for r in rows)
    sat = [r for r in rows if "database saturated" in r["text"]]
    assert sat and all(r["source"] == "brace conns samples on db1" for r in sat)


def test_markdown_has_the_ten_sections_and_html_parses_with_charts(run, night, tmp_path):
    journal, log = night
    md, page = tmp_path / "pm.md", tmp_path / "pm.html"
    r = run("postmortem", "--journal", journal, "--logs", log, "-o", md, "--html", page,
            "--title", "The night")
    assert r.returncode == 0, r.stderr
    text = md.read_text()
    heads = [line[3:] for line in text.splitlines() if line.startswith("## ")]
    assert heads == SECTIONS
    assert text.startswith("# The night\n")
    assert "| Item | Type | Owner | Ticket |" in text
    for sub in ("What went well", "What went wrong", "Where we got lucky"):
        assert "### " + sub in text
    doc = page.read_text()
    p = Tags()
    p.feed(doc)
    p.close()
    assert not p.errors and p.stack == []
    assert p.svgs == 4
    assert "http://" not in doc.replace('xmlns="http://www.w3.org/2000/svg"', "")
    for s in SECTIONS:
        assert "<h2>%s</h2>" % s in doc


def test_several_journals_merge_by_time_and_keep_their_hosts(run, night, tmp_path):
    journal, log = night
    other = str(tmp_path / "web1.db")
    rec = pm_night.Recorder(brace_opt_path(), other, "web1")
    rec.note(31, "lb", "server_down", "error", "web/app1", "requests failed 3 times in a row")
    rec.note(40, "journal", "note", "info", "alice", "looking at the database")
    _, pm = report(run, "--journal", journal, "--journal", other, "--logs", log)
    assert sorted(pm["inputs"]["hosts"]) == ["db1", "web1"]
    assert pm["inputs"]["journals"] == 2
    rows = [r for r in pm["timeline"] if r["source"].startswith("journal #")]
    hosts = [r["source"].rsplit(" on ", 1)[1] for r in rows]
    assert "web1" in hosts and "db1" in hosts
    down = [r for r in rows if "server_down" in r["text"]][0]
    assert down["source"].endswith(" on web1") and down["time"] == pm_night.iso(31)
    assert [r["ts_ms"] for r in rows] == sorted(r["ts_ms"] for r in rows)
    note = [r for r in rows if "looking at the database" in r["text"]][0]
    # web1's note at 40 s sits between db1's crossings at 36 and 42 s.
    i = rows.index(note)
    assert rows[i - 1]["source"].endswith(" on db1") and rows[i + 1]["source"].endswith(" on db1")


def test_without_lb_samples_requests_and_5xx_come_from_the_access_log(run, tmp_path):
    journal = str(tmp_path / "db.db")
    pm_night.record_db(pm_night.Recorder(brace_opt_path(), journal, "db1"), lb_series=False)
    access = tmp_path / "access.log"
    lines, failed = [], 0
    for i in range(0, 1200):
        t = i / 10.0
        status = 500 if pm_night.saturated(t) else 200
        failed += status == 500
        stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(pm_night.T0 + t))
        lines.append('127.0.0.1 - - [%s] "GET / HTTP/1.1" %d 12 "-" "load"' % (stamp, status))
    access.write_text("\n".join(lines) + "\n")
    r, pm = report(run, "--journal", journal, "--logs", access)
    assert r.returncode == 0, r.stderr
    imp = pm["impact"]
    assert "access log access.log" in imp["traffic_from"]
    assert imp["failed"] == failed
    assert 0 < imp["requests"] <= 1200


def test_missing_journal_is_exit_1_and_the_report_says_what_was_left_out(run, night,
                                                                        tmp_path):
    journal, log = night
    r = run("postmortem", "--journal", tmp_path / "nope.db")
    assert r.returncode == 1 and "nope.db: No such file or directory" in r.stderr
    assert not (tmp_path / "nope.db").exists()        # never created
    r, pm = report(run, "--journal", journal, "--journal", tmp_path / "nope.db")
    assert r.returncode == 1
    assert any("nope.db" in x for x in pm["inputs"]["left_out"])
    assert pm["impact"]["requests"] == 6000            # the rest was used
    md = run("postmortem", "--journal", journal, "--journal", tmp_path / "nope.db").stdout
    assert "Incomplete: 1 input could not be used" in md and "Left out: journal" in md


def test_journal_of_a_newer_schema_is_refused_untouched_and_left_out(run, night, tmp_path):
    journal, _ = night
    newer = str(tmp_path / "newer.db")
    pm_night.Recorder(brace_opt_path(), newer, "x").note(1, "journal", "note", "info", "a", "b")
    db = sqlite3.connect(newer)
    db.execute("PRAGMA user_version = 99")
    db.commit()
    db.close()
    r, pm = report(run, "--journal", journal, "--journal", newer)
    assert r.returncode == 1 and "newer" in r.stderr
    assert any("newer.db" in x for x in pm["inputs"]["left_out"])
    db = sqlite3.connect(newer)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 99
    db.close()


def test_unreadable_log_is_left_out_and_the_report_still_written(run, night, tmp_path):
    journal, _ = night
    out = tmp_path / "pm.md"
    r = run("postmortem", "--journal", journal, "--logs", tmp_path / "gone.log", "-o", out)
    assert r.returncode == 1 and "gone.log" in r.stderr
    text = out.read_text()
    assert "Left out: log" in text and "gone.log" in text
    assert "## Timeline" in text


def test_empty_window_is_exit_1_naming_the_window(run, night):
    journal, _ = night
    r = run("postmortem", "--journal", journal, "--since", "2020-01-01T00:00:00Z",
            "--until", "2020-01-01T01:00:00Z")
    assert r.returncode == 1
    assert "nothing was recorded between 2020-01-01T00:00:00Z and 2020-01-01T01:00:00Z" \
        in r.stderr


def test_given_window_is_kept_and_said(run, night):
    journal, log = night
    _, pm = report(run, "--journal", journal, "--logs", log, "--since", pm_night.iso(0),
                   "--until", pm_night.iso(120))
    assert pm["window"]["found"] is False
    assert pm["window"]["since"] == pm_night.iso(0)


def test_usage_errors_exit_2(run, night):
    journal, _ = night
    for args in (["--since", "2026-01-02", "--until", "2026-01-01"], ["stray.log"],
                 ["--frobnicate"]):
        r = run("postmortem", "--journal", journal, *args)
        assert r.returncode == 2, args


# -- the HTML pages in a real browser --------------------------------------------------

PROBE = ("<script>window.addEventListener('load', function () {"
         "var b = [].map.call(document.querySelectorAll('svg'), function (s) {"
         "var r = s.getBoundingClientRect(); return r.width + 'x' + r.height; });"
         "document.body.setAttribute('data-svg-boxes', b.join(','));});</script>")


def in_browser(page, tmp_path):
    """Load a copy of page (with a probe measuring the SVG boxes after layout)
    in headless Chromium: (boxes, console error lines)."""
    browser = shutil.which("chromium")
    if browser is None:
        pytest.fail("chromium is not installed (scripts/install-deps installs it)")
    probe = tmp_path / ("probe-" + os.path.basename(page))
    probe.write_text(open(page).read().replace("</body>", PROBE + "</body>"))
    profile = tempfile.mkdtemp(prefix="chromium-", dir=str(tmp_path))
    r = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                        "--disable-background-networking", "--disable-component-update",
                        "--disable-sync", "--no-first-run", "--user-data-dir=" + profile,
                        "--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000",
                        "--dump-dom", "file://" + str(probe)],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    dom = r.stdout
    assert 'data-svg-boxes="' in dom, dom[:500]
    boxes = dom.split('data-svg-boxes="', 1)[1].split('"', 1)[0]
    console = [x for x in r.stderr.splitlines() if "CONSOLE" in x or "Uncaught" in x]
    # The probe's own script is the only one; anything else the page logs is an error.
    return [b for b in boxes.split(",") if b], console


def test_postmortem_html_renders_in_a_browser_with_non_empty_charts(run, night, tmp_path):
    journal, log = night
    page = tmp_path / "pm.html"
    assert run("postmortem", "--journal", journal, "--logs", log, "--html",
               page).returncode == 0
    boxes, console = in_browser(str(page), tmp_path)
    assert console == []
    assert len(boxes) == 4
    for b in boxes:
        w, h = (float(x) for x in b.split("x"))
        assert w > 100 and h > 20, boxes


def test_logs_html_renders_in_a_browser_with_non_empty_charts(run, night, tmp_path):
    _, log = night
    page = tmp_path / "logs.html"
    assert run("logs", "--html", page, log).returncode == 0
    boxes, console = in_browser(str(page), tmp_path)
    assert console == []
    assert boxes
    for b in boxes:
        w, h = (float(x) for x in b.split("x"))
        assert w > 0 and h > 0, boxes
