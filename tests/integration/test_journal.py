"""brace journal: notes, listing, filters, pruning, concurrency, bad files."""
import json
import os
import sqlite3
import subprocess

from conftest import brace_opt_path


def events(run, *args):
    r = run("journal", "list", "--json", *args)
    assert r.returncode == 0, r.stderr
    return [json.loads(line) for line in r.stdout.splitlines()]


def test_note_is_listed_as_json_line_with_all_fields(run, journal):
    assert run("journal", "note", "deployed", "r1234").returncode == 0
    (ev,) = events(run)
    assert ev["message"] == "deployed r1234"
    assert ev["kind"] == "note" and ev["source"] == "journal"
    assert ev["severity"] == "info"
    assert ev["time"].endswith("Z") and ev["host"]
    for key in ("id", "ts_ms", "subject", "details"):
        assert key in ev


def test_note_kind_and_severity_are_kept(run, journal):
    run("journal", "note", "--kind", "deploy", "--severity", "notice", "r1235")
    (ev,) = events(run)
    assert (ev["kind"], ev["severity"]) == ("deploy", "notice")


def test_unknown_severity_is_usage_error(run, journal):
    r = run("journal", "note", "--severity", "meh", "x")
    assert r.returncode == 2 and "meh" in r.stderr


def test_list_filters_by_kind_and_time(run, journal):
    run("journal", "note", "--kind", "a", "one")
    run("journal", "note", "--kind", "b", "two")
    assert [e["message"] for e in events(run, "--kind", "b")] == ["two"]
    assert events(run, "--since", "1h", "--until", "2h") == []
    assert len(events(run, "--since", "1h")) == 2
    assert events(run, "--until", "2000-01-01") == []


def test_list_limit_returns_newest_in_time_order(run, journal):
    for i in range(5):
        run("journal", "note", "n%d" % i)
    assert [e["message"] for e in events(run, "--limit", "2")] == ["n3", "n4"]


def test_text_list_shows_message(run, journal):
    run("journal", "note", "hello there")
    r = run("journal", "list")
    assert "hello there" in r.stdout and "note" in r.stdout


def test_journal_option_overrides_environment(run, journal, tmp_path):
    other = str(tmp_path / "other.db")
    run("journal", "--journal", other, "note", "elsewhere")
    assert events(run) == []
    r = run("journal", "list", "--json", "--journal", other)
    assert "elsewhere" in r.stdout
    assert run("journal", "path", "--journal", other).stdout.strip() == other


def test_journal_directories_are_created(run, tmp_path):
    path = str(tmp_path / "a" / "b" / "journal.db")
    assert run("journal", "--journal", path, "note", "x").returncode == 0
    assert os.path.exists(path)


def test_default_path_follows_xdg_state_home_when_not_root(run, tmp_path):
    if os.geteuid() == 0:
        # root uses /var/lib/brace; the rule is checked through env instead
        env = {"BRACE_JOURNAL": ""}
        r = run("journal", "path", env=env)
        assert r.stdout.strip() == "/var/lib/brace/journal.db"
    else:
        env = {"BRACE_JOURNAL": "", "XDG_STATE_HOME": str(tmp_path)}
        r = run("journal", "path", env=env)
        assert r.stdout.strip() == str(tmp_path / "brace" / "journal.db")


def test_prune_deletes_old_events_only(run, journal):
    run("journal", "note", "old")
    db = sqlite3.connect(journal)
    db.execute("UPDATE events SET ts = ts - 40*86400*1000")
    db.commit()
    db.close()
    run("journal", "note", "new")
    r = run("journal", "prune", "--older-than", "30d")
    assert r.returncode == 0 and "pruned 1 events" in r.stdout
    # What goes is said before it goes: count and cut-off time.
    first, second = r.stdout.splitlines()
    assert first.startswith("pruning 1 events and 0 samples older than 30d (before ")
    assert second == "pruned 1 events and 0 samples older than 30d"
    assert [e["message"] for e in events(run)] == ["new"]


def test_prune_needs_older_than(run, journal):
    assert run("journal", "prune").returncode == 2


def test_corrupt_journal_is_a_clear_error(run, tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    r = run("journal", "--journal", str(bad), "list")
    assert r.returncode == 1
    assert str(bad) in r.stderr and "not a database" in r.stderr


def test_unwritable_journal_directory_is_a_clear_error(run, tmp_path):
    r = run("journal", "--journal", "/proc/brace/journal.db", "note", "x")
    assert r.returncode == 1
    assert "/proc/brace" in r.stderr


def test_fifty_writers_twenty_notes_each_lose_nothing(tmp_path):
    """50 processes each writing 20 notes at once leave exactly 1,000 events."""
    path = str(tmp_path / "concurrent.db")
    bin_ = brace_opt_path()
    script = 'for k in $(seq 20); do "$0" journal --journal "$1" note "w$2 n$k" || exit 1; done'
    procs = [subprocess.Popen(["sh", "-c", script, bin_, path, str(w)])
             for w in range(50)]
    assert all(p.wait(timeout=300) == 0 for p in procs)
    r = subprocess.run([bin_, "journal", "--journal", path, "list", "--json"],
                       stdout=subprocess.PIPE, text=True, check=True)
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(lines) == 1000
    assert len({e["message"] for e in lines}) == 1000


def test_samples_are_listed_as_json_lines(run, journal):
    db_ok = run("journal", "note", "create")  # creates the schema
    assert db_ok.returncode == 0
    db = sqlite3.connect(journal)
    db.execute("INSERT INTO samples(ts, source, series, labels, value) "
               "VALUES (1000, 'conns', 'db_connections_used', '{\"db\":\"x\"}', 7)")
    db.commit()
    db.close()
    r = run("journal", "samples", "--series", "db_connections_used")
    (s,) = [json.loads(x) for x in r.stdout.splitlines()]
    assert s["value"] == 7 and s["labels"] == {"db": "x"}


# --- reading what cannot be written, a full disk, a journal turned off ------

def test_list_reads_a_journal_this_user_cannot_write(run):
    import shutil
    import tempfile
    import pytest
    if os.geteuid() != 0:
        pytest.skip("needs root to run brace as another user")
    d = tempfile.mkdtemp(prefix="brace-ro-")     # /tmp/pytest-of-root is closed to others
    try:
        os.chmod(d, 0o755)
        path = os.path.join(d, "journal.db")
        assert run("journal", "--journal", path, "note", "readable by all").returncode == 0
        assert run("run", "--journal", path, "--name", "ro", "--", "true").returncode == 0
        for f in os.listdir(d):
            os.chmod(os.path.join(d, f), 0o644)
        out = {}
        for cmd in (["journal", "--journal", path, "list"],
                    ["journal", "--journal", path, "samples"],
                    ["run", "--journal", path, "--history"]):
            r = subprocess.run(["runuser", "-u", "nobody", "--", shutil.which("env"), "-i",
                                os.environ.get("BRACE") or brace_opt_path()] + cmd,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               timeout=120)
            assert r.returncode == 0, (cmd, r.stderr)
            assert "readonly" not in r.stderr
            out[cmd[-1]] = r.stdout
        assert "readable by all" in out["list"] and "run_ok" in out["--history"]
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_list_of_a_journal_not_created_yet_is_empty(run, tmp_path):
    path = tmp_path / "none" / "journal.db"
    r = run("journal", "--journal", str(path), "list")
    assert r.returncode == 0 and r.stdout == ""
    assert not path.exists() and not path.parent.exists()


def test_full_disk_says_no_space_left_on_device(brace, tmp_path):
    import shutil
    import pytest
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare(1) for a small private file system")
    mnt = tmp_path / "small"
    mnt.mkdir()
    script = ('mount -t tmpfs -o size=200k tmpfs "$1" && '
              '"$0" journal --journal "$1/journal.db" note first && '
              'head -c 1000000 /dev/zero > "$1/filler" 2>/dev/null; '
              'exec "$0" journal --journal "$1/journal.db" note '
              '"$(head -c 20000 /dev/zero | tr "\\0" x)"')
    r = subprocess.run(["unshare", "-m", "sh", "-c", script, brace, str(mnt)],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
    assert r.returncode == 1, r.stderr
    assert "no space left on device" in r.stderr, r.stderr


def _stray():
    """Files SQLite would put next to /dev/null: (name, mtime) of those there."""
    return [(f, os.stat(f).st_mtime) for f in ("/dev/null-journal", "/dev/null-wal")
            if os.path.exists(f)]


def test_journal_off_records_nothing_and_creates_nothing(run, tmp_path, monkeypatch):
    before = _stray()       # (an older brace may have left one: it must not change)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BRACE_JOURNAL", "off")
    monkeypatch.setenv("HOME", str(tmp_path))
    r = run("run", "--lock-dir", str(tmp_path / "locks"), "--lock", "j", "--", "true")
    assert r.returncode == 0 and r.stderr == ""
    r = run("run", "--journal", "/dev/null", "--", "true")
    assert r.returncode == 0 and r.stderr == ""
    assert _stray() == before
    assert sorted(os.listdir(tmp_path)) == ["locks"]
    for args in (["journal", "list"], ["journal", "--journal", "/dev/null", "note", "x"]):
        r = run(*args)
        assert r.returncode == 1 and "the journal is off" in r.stderr, r.stderr
    assert _stray() == before


# --- pruning: a unit, and what goes before it goes ---------------------------

def test_prune_refuses_a_bare_number(run, journal):
    run("journal", "note", "kept")
    r = run("journal", "prune", "--older-than", "30")
    assert r.returncode == 2 and "no unit" in r.stderr
    assert len(events(run)) == 1


# --- a journal another process keeps locked ----------------------------------

class Locked:
    """The journal held by another writer (BEGIN EXCLUSIVE) until close()."""

    def __init__(self, run, path):
        assert run("journal", "--journal", path, "note", "created").returncode == 0
        self.db = sqlite3.connect(path, isolation_level=None, timeout=0)
        self.db.execute("BEGIN EXCLUSIVE")

    def close(self):
        self.db.execute("ROLLBACK")
        self.db.close()


def timed(argv, **kw):
    import time
    t0 = time.monotonic()
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=120, **kw)
    return r, time.monotonic() - t0


# Before, each of these waited out SQLite's 15 s busy timeout at least once.
# The bound is generous on purpose (a loaded machine): it only has to tell a
# moment from 15 s.
NOT_DELAYED = 6.0


def _binaries():
    import pytest
    return pytest.mark.parametrize("binary", ["asan", "opt"])


@_binaries()
def test_locked_journal_does_not_delay_brace_run(run, tmp_path, binary):
    path = str(tmp_path / "journal.db")
    lock = Locked(run, path)
    try:
        exe = os.environ.get("BRACE") if binary == "asan" else brace_opt_path()
        r, took = timed([exe or brace_opt_path(), "run", "--journal", path,
                         "--lock-dir", str(tmp_path / "locks"), "--lock", "j",
                         "--min-interval", "1h", "--", "echo", "ran"])
    finally:
        lock.close()
    assert r.returncode == 0 and r.stdout == "ran\n"
    assert "locked by another process" in r.stderr and "not recorded" in r.stderr
    assert took < NOT_DELAYED, took


@_binaries()
def test_locked_journal_does_not_delay_brace_conns(run, tmp_path, pg, binary):
    path = str(tmp_path / "journal.db")
    lock = Locked(run, path)
    try:
        exe = os.environ.get("BRACE") if binary == "asan" else brace_opt_path()
        r, took = timed([exe or brace_opt_path(), "conns", "--nagios", "--journal", path,
                         pg.url()])
    finally:
        lock.close()
    assert r.returncode == 0 and r.stdout.startswith("CONNS OK")
    assert took < NOT_DELAYED, took


@_binaries()
def test_locked_journal_does_not_delay_brace_lb_start_or_stop(run, tmp_path, backends,
                                                              binary):
    import time
    from lbproc import LB
    path = str(tmp_path / "journal.db")
    (b,) = backends(1)
    lock = Locked(run, path)
    try:
        exe = os.environ.get("BRACE") if binary == "asan" else brace_opt_path()
        t0 = time.monotonic()
        p = LB(exe or brace_opt_path(), ["--backend", b.addr, "--journal", path])
        started = time.monotonic() - t0
        t0 = time.monotonic()
        rc = p.stop()
        stopped = time.monotonic() - t0
    finally:
        lock.close()
    assert rc == 0, p.stderr
    assert started < NOT_DELAYED and stopped < NOT_DELAYED, (started, stopped, p.stderr)


def test_note_at_a_given_time_host_source_and_details(run, journal):
    r = run("journal", "note", "--at", "2026-11-27T07:20:00Z", "--host", "db1",
            "--source", "conns", "--kind", "threshold_crossed", "--severity", "critical",
            "--subject", "pg", "--details", '{"used": 17}', "full")
    assert r.returncode == 0, r.stderr
    (ev,) = events(run)
    assert ev["time"] == "2026-11-27T07:20:00.000Z" and ev["host"] == "db1"
    assert (ev["source"], ev["kind"], ev["severity"]) == ("conns", "threshold_crossed",
                                                          "critical")
    assert ev["details"] == {"used": 17}


def test_sample_adds_one_point_with_labels_time_and_host(run, journal):
    r = run("journal", "sample", "--at", "@1764228000", "--host", "lb1", "--source", "lb",
            "--labels", '{"pool": "web"}', "lb_requests", "42.5")
    assert r.returncode == 0, r.stderr
    r = run("journal", "samples", "--series", "lb_requests")
    (s,) = [json.loads(line) for line in r.stdout.splitlines()]
    assert s == {"time": "2025-11-27T07:20:00.000Z", "ts_ms": 1764228000000, "host": "lb1",
                 "source": "lb", "series": "lb_requests", "labels": {"pool": "web"},
                 "value": 42.5}


def test_sample_needs_series_and_a_numeric_value(run, journal):
    for args in (["lb_requests"], ["lb_requests", "many"], ["lb_requests", "nan"]):
        r = run("journal", "sample", *args)
        assert r.returncode == 2 and "sample:" in r.stderr, args
