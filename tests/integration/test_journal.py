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
