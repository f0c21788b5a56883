"""scripts/demo, the launch night replayed: it plays to the end and exits 0,
writes both reports, and leaves no process or temporary directory behind,
also when interrupted with Ctrl-C (SIGINT) midway."""
import os
import re
import signal
import subprocess
import time

import pytest

from conftest import ROOT, brace_opt_path

DEMO = os.path.join(ROOT, "scripts", "demo")
DEADLINE = 120      # the demo takes about a minute; the brief allows two


def start(out):
    env = dict(os.environ, BRACE=brace_opt_path())
    return subprocess.Popen([DEMO, "--out", str(out)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env,
                            start_new_session=True)


def left_behind(tmp):
    """Processes whose command line names the demo's temporary directory or
    its scripts (PostgreSQL, the web backends, the load, brace lb and conns)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if tmp in cmd or os.path.join(ROOT, "contrib", "demo") in cmd:
            found.append((pid, cmd))
    return found


def wait_clean(tmp):
    end = time.time() + 30
    while time.time() < end and left_behind(tmp):
        time.sleep(0.2)
    return left_behind(tmp)


def temp_dir(text):
    m = re.search(r"(/tmp/brace-demo-[A-Za-z0-9_]+)", text)
    assert m, text[-3000:]
    return m.group(1)


def test_demo_plays_the_night_writes_both_reports_and_cleans_up(tmp_path):
    out = tmp_path / "out"
    p = start(out)
    try:
        text, _ = p.communicate(timeout=DEADLINE + 60)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    assert p.returncode == 0, text[-4000:]
    assert "The story played out" in text
    for step in ("== 1.", "== 2.", "== 3.", "== 4.", "== 5."):
        assert step in text
    assert "$ " in text and " postmortem " in text     # the real commands are shown
    md = (out / "postmortem.md").read_text()
    assert "## Summary" in md and "## Timeline" in md and "invsync" in md
    assert "<svg" in (out / "postmortem.html").read_text()
    tmp = temp_dir(text)
    assert not os.path.exists(tmp)
    assert wait_clean(tmp) == []


def test_demo_interrupted_midway_stops_everything_it_started(tmp_path):
    p = start(tmp_path / "out")
    seen = ""
    try:
        end = time.time() + DEADLINE
        while time.time() < end:
            line = p.stdout.readline()
            if not line:
                break
            seen += line
            if "2. The culprit" in line:
                break
        assert "2. The culprit" in seen, seen[-3000:]
        time.sleep(3)                   # mid-saturation: every process is running
        p.send_signal(signal.SIGINT)
        rest, _ = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    assert p.returncode == 130, rest[-3000:]
    tmp = temp_dir(seen)
    assert not os.path.exists(tmp)
    assert wait_clean(tmp) == []
    assert not (tmp_path / "out" / "postmortem.md").exists()
