"""brace conns, one-shot forms, against the private PostgreSQL and MariaDB
servers (max_connections=20; PostgreSQL keeps 3 for superusers, so 17 are
usable; MariaDB's 20 are all usable)."""
import json
import os
import re
import shutil
import stat
import subprocess

import pytest

import servers
from conns_helpers import Sessions, clean_mariadb, clean_pg

PASSWORD = servers.PASSWORD


class Target:
    def __init__(self, server, kind, sessions):
        self.server = server
        self.kind = kind
        self.sessions = sessions
        self.usable = 17 if kind == "pg" else 20
        self.url = server.url()


def _prepare(request, kind):
    if kind == "pg":
        server = request.getfixturevalue("pg")
        server.sql("CREATE TABLE IF NOT EXISTS conns_t (id int PRIMARY KEY, v int);"
                   " INSERT INTO conns_t VALUES (1, 0) ON CONFLICT DO NOTHING;"
                   " ALTER TABLE conns_t OWNER TO app", db="appdb")
        clean_pg(server)
    else:
        server = request.getfixturevalue("mariadb")
        server.sql("CREATE TABLE IF NOT EXISTS appdb.conns_t (id int PRIMARY KEY, v int)"
                   " ENGINE=InnoDB; INSERT IGNORE INTO appdb.conns_t VALUES (1, 0)")
        clean_mariadb(server)
    return server


@pytest.fixture(params=["pg", "mariadb"])
def db(request):
    kind = request.param
    server = _prepare(request, kind)
    s = Sessions(server, kind)
    yield Target(server, kind, s)
    s.close()
    clean_pg(server) if kind == "pg" else clean_mariadb(server)


@pytest.fixture
def pgdb(request):
    server = _prepare(request, "pg")
    s = Sessions(server, "pg")
    yield Target(server, "pg", s)
    s.close()
    clean_pg(server)


def conns_json(run, *args):
    r = run("conns", "--json", *args)
    assert r.returncode in (0, 1, 2, 3), r.stderr
    return r, json.loads(r.stdout)


NAGIOS_LINE = re.compile(
    r"^CONNS (OK|WARNING|CRITICAL|UNKNOWN): [^|\n]+ \| "
    r"'used'=(\d+|U);([^;]*);([^;]*);0;(\d*)( \S+)*\n$")


def nagios(run, *args):
    r = run("conns", "--nagios", *args)
    m = NAGIOS_LINE.match(r.stdout)
    assert m, "not a Monitoring Plugins line: %r (stderr %r)" % (r.stdout, r.stderr)
    return r, m


# --- counts --------------------------------------------------------------

def test_exact_counts_of_idle_active_and_idle_in_transaction(db, run):
    db.sessions.idle(3)
    tx = db.sessions.idle_in_transaction(2)
    db.sessions.active(1)
    r, j = conns_json(run, db.url)
    assert r.returncode == 0
    # brace's own session is active too.
    assert j["by_state"] == {"idle": 3, "idle in transaction": 2, "active": 2}
    assert j["used"] == 7
    assert j["usable"] == db.usable
    assert j["max"] == 20
    assert j["percent"] == pytest.approx(700.0 / db.usable, abs=0.01)
    assert j["by_user"] == {"app": 7}
    assert j["by_database"] == {"appdb": 7}
    assert j["by_client"] == {"127.0.0.1": 7}
    assert j["hidden_sessions"] == 0
    # The oldest transaction is one of ours, with its session's details.
    assert j["oldest_transaction_s"] >= 0
    oldest = j["oldest_transaction"]
    assert oldest["user"] == "app" and oldest["database"] == "appdb"
    assert oldest["pid"] in [db.sessions.pid(c) for c in db.sessions.conns]
    idle_tx = j["longest_idle_in_transaction"]
    assert idle_tx["state"] == "idle in transaction"
    assert idle_tx["pid"] in [db.sessions.pid(c) for c in tx]


def test_json_has_every_documented_field(db, run):
    r, j = conns_json(run, db.url)
    for key in ("time", "url", "server", "status", "used", "max", "usable", "percent",
                "free", "by_state", "by_user", "by_database", "by_client",
                "by_application", "oldest_transaction_s", "waiting_on_lock",
                "longest_idle_in_transaction_s", "oldest_sessions", "warn", "crit"):
        assert key in j, key
    assert j["status"] == "OK" and j["used"] == 1
    assert j["warn"] == {"threshold": "80%", "range": "%g" % (0.8 * db.usable)}
    if db.kind == "mariadb":
        assert j["kind"] == "mariadb"
        for key in ("max_used_connections", "threads_running",
                    "connection_errors_max_connections", "aborted_connects"):
            assert isinstance(j[key], int), key
        assert j["threads_running"] >= 1
    else:
        assert j["kind"] == "postgresql" and j["reserved"] == 3
        assert j["by_application"] == {"brace conns": 1}


def test_sessions_waiting_on_a_lock_are_counted(db, run):
    db.sessions.lock_wait()
    r, j = conns_json(run, db.url)
    assert j["waiting_on_lock"] == 1
    assert j["by_state"]["idle in transaction"] == 1


def test_other_roles_sessions_count_even_when_hidden(pgdb, run):
    """A role without pg_read_all_stats cannot see a superuser's session
    state, but it still takes a slot."""
    su = pgdb.server.connect(host=pgdb.server.sockdir, user="postgres", password=None,
                             dbname="postgres")
    try:
        r, j = conns_json(run, pgdb.url)
        assert j["used"] == 2
        assert j["by_state"] == {"active": 1, "unknown": 1}
        assert j["hidden_sessions"] == 1
    finally:
        su.close()


def test_mysql_user_without_process_privilege_sees_only_counts(request, run):
    """Without PROCESS, MySQL lists only the user's own sessions and refuses
    INNODB_TRX: the others still count, as unknown."""
    my = _prepare(request, "mariadb")
    my.sql("CREATE USER IF NOT EXISTS 'noproc'@'%%' IDENTIFIED BY '%s';"
           " GRANT SELECT ON appdb.* TO 'noproc'@'%%'" % PASSWORD)
    s = Sessions(my, "mariadb")
    try:
        s.idle(2)
        r, j = conns_json(run, my.url(user="noproc"))
        assert r.returncode == 0, r.stdout
        assert j["used"] == 3
        assert j["by_state"] == {"active": 1, "unknown": 2}
        assert j["hidden_sessions"] == 2
        assert j["by_user"] == {"noproc": 1}
    finally:
        s.close()
        clean_mariadb(my)


# --- output forms ---------------------------------------------------------

PROM_LINE = re.compile(
    r'^(# (HELP|TYPE) brace_db_connections\w* .+|'
    r'brace_db_connections\w*\{(\w+="(\\.|[^"\\])*",?)+\} -?[0-9.e+-]+)$')


def test_prometheus_exposition_has_labelled_counts(db, run):
    db.sessions.idle(2)
    r = run("conns", "--prometheus", db.url)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    for line in lines:
        assert PROM_LINE.match(line), line
    server = "127.0.0.1:%d/appdb" % db.server.port
    assert ('brace_db_connections{server="%s",state="idle",user="app",database="appdb"} 2'
            % server) in lines
    assert ('brace_db_connections{server="%s",state="active",user="app",database="appdb"} 1'
            % server) in lines
    assert 'brace_db_connections_used{server="%s"} 3' % server in lines
    assert 'brace_db_connections_usable{server="%s"} %d' % (server, db.usable) in lines
    assert 'brace_db_connections_up{server="%s"} 1' % server in lines
    assert 'brace_db_connections_by_state{server="%s",state="idle"} 2' % server in lines
    assert "# TYPE brace_db_connections gauge" in lines


def test_prometheus_page_passes_promtool(db, run):
    """The page is checked by Prometheus's own tool (a lint too: HELP on
    every family, counters named _total), for a sample and for a failure."""
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool not found (scripts/install-deps installs prometheus)")
    db.sessions.idle(1)
    pages = [run("conns", "--prometheus", db.url).stdout,
             run("conns", "--prometheus", "postgresql://nobody@127.0.0.1:1/x").stdout]
    for page in pages:
        assert page.startswith("# HELP brace_db_connections_up ")
        chk = subprocess.run([promtool, "check", "metrics"], input=page, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        assert chk.returncode == 0, chk.stdout + page


def test_table_is_readable_without_colour_when_piped(db, run):
    db.sessions.idle(1)
    r = run("conns", db.url)
    assert r.returncode == 0
    assert "\033[" not in r.stdout
    assert re.search(r"^used\s+2 of %d usable" % db.usable, r.stdout, re.M)
    assert re.search(r"^by state\s+.*idle 1", r.stdout, re.M)
    assert re.search(r"^status\s+OK", r.stdout, re.M)


# --- Nagios thresholds ----------------------------------------------------

def test_nagios_ok_warning_critical_with_counts(db, run):
    r, m = nagios(run, "--warn", "3", "--crit", "5", db.url)
    assert (r.returncode, m.group(1)) == (0, "OK")
    assert r.stdout.startswith("CONNS OK: 1 of %d usable" % db.usable)
    assert m.group(2, 3, 4, 5) == ("1", "3", "5", str(db.usable))
    db.sessions.idle(3)
    r, m = nagios(run, "--warn", "3", "--crit", "5", db.url)
    assert (r.returncode, m.group(1), m.group(2)) == (1, "WARNING", "4")
    db.sessions.idle(2)
    r, m = nagios(run, "--warn", "3", "--crit", "5", db.url)
    assert (r.returncode, m.group(1), m.group(2)) == (2, "CRITICAL", "6")
    assert "crit 5" in r.stdout


def test_nagios_default_percent_thresholds(pgdb, run):
    """Defaults 80% and 90% of 17 usable: above 13.6 warns, above 15.3 is critical."""
    pgdb.sessions.idle(12)
    r, m = nagios(run, pgdb.url)
    assert (r.returncode, m.group(1)) == (0, "OK")
    assert "'used'=13;13.6;15.3;0;17" in r.stdout
    pgdb.sessions.idle(1)
    r, m = nagios(run, pgdb.url)
    assert (r.returncode, m.group(1)) == (1, "WARNING")
    assert "'used'=14;13.6;15.3;0;17" in r.stdout
    pgdb.sessions.idle(2)
    r, m = nagios(run, pgdb.url)
    assert (r.returncode, m.group(1)) == (2, "CRITICAL")
    assert "(94.1%)" in r.stdout


@pytest.mark.parametrize("warn,crit,status,code,perf", [
    ("~:0", "~:10", "WARNING", 1, "'used'=1;~:0;~:10;0;17"),
    ("5:", "2:", "CRITICAL", 2, "'used'=1;5:;2:;0;17"),
    ("5:", "1:", "WARNING", 1, "'used'=1;5:;1:;0;17"),
    ("@1:3", "@5:9", "WARNING", 1, "'used'=1;@1:3;@5:9;0;17"),
    ("@2:3", "@5:9", "OK", 0, "'used'=1;@2:3;@5:9;0;17"),
    ("0:5", "50%:100%", "CRITICAL", 2, "'used'=1;5;8.5:17;0;17"),
])
def test_nagios_plugin_range_syntax(pgdb, run, warn, crit, status, code, perf):
    r, m = nagios(run, "--warn", warn, "--crit", crit, pgdb.url)
    assert (r.returncode, m.group(1)) == (code, status)
    assert perf in r.stdout


def test_bad_threshold_is_usage_error_or_unknown_with_nagios(pgdb, run):
    r = run("conns", "--warn", "lots", pgdb.url)
    assert r.returncode == 2 and "--warn" in r.stderr and "lots" in r.stderr
    r, m = nagios(run, "--warn", "lots", pgdb.url)
    assert (r.returncode, m.group(1)) == (3, "UNKNOWN")
    r, m = nagios(run, "--no-such-option", pgdb.url)
    assert (r.returncode, m.group(1)) == (3, "UNKNOWN")


# --- the server is full -----------------------------------------------------

def test_pg_full_of_ordinary_sessions_is_critical_with_reason(pgdb, run):
    pgdb.sessions.idle(17)
    r, m = nagios(run, pgdb.url)
    assert (r.returncode, m.group(1)) == (2, "CRITICAL")
    assert "server full" in r.stdout
    assert "reserved" in r.stdout          # remaining connection slots are reserved ...
    assert m.group(2) == "U"
    r, j = conns_json(run, pgdb.url)
    assert r.returncode == 2
    assert j["status"] == "CRITICAL" and j["failure"] == "server full"


def test_pg_every_slot_taken_is_too_many_clients(pgdb, run):
    pgdb.sessions.idle(17)
    for _ in range(3):
        pgdb.sessions.conns.append(pgdb.server.connect(
            host=pgdb.server.sockdir, user="postgres", password=None, dbname="postgres"))
    r, m = nagios(run, pgdb.url)
    assert (r.returncode, m.group(1)) == (2, "CRITICAL")
    assert "too many clients" in r.stdout
    r = run("conns", pgdb.url)
    assert r.returncode == 2
    assert "too many clients" in r.stdout and "server full" in r.stdout


def test_mariadb_full_is_critical_error_1040(request, run):
    my = _prepare(request, "mariadb")
    s = Sessions(my, "mariadb")
    try:
        before = json.loads(run("conns", "--json", my.url()).stdout)
        s.idle(20)
        r, m = nagios(run, my.url())
        assert (r.returncode, m.group(1)) == (2, "CRITICAL")
        assert "Too many connections" in r.stdout and "1040" in r.stdout
        s.close()
        clean_mariadb(my)
        after = json.loads(run("conns", "--json", my.url()).stdout)
        # The server counted the refusal (MariaDB as an aborted connect: it
        # refuses an ordinary user at login, after the slot for an
        # administrator), and remembers the peak.
        refused = lambda j: j["connection_errors_max_connections"] + j["aborted_connects"]
        assert refused(after) > refused(before)
        assert after["max_used_connections"] >= 20
    finally:
        s.close()
        clean_mariadb(my)


# --- failures that are UNKNOWN ---------------------------------------------

def test_wrong_password_is_unknown_and_never_printed(db, run):
    url = db.server.url(password="Wrong-Pw-913")
    for form in ("--nagios", "--json", "--prometheus", None):
        args = ["conns"] + ([form] if form else []) + [url]
        r = run(*args)
        assert "Wrong-Pw-913" not in r.stdout + r.stderr
        if form == "--prometheus":
            assert r.returncode == 0 and "brace_db_connections_up" in r.stdout
            assert "_up{server=\"127.0.0.1:%d/appdb\"} 0" % db.server.port in r.stdout
        else:
            assert r.returncode == 3, (form, r.stdout, r.stderr)
            assert "login refused" in r.stdout
    r, m = nagios(run, url)
    assert m.group(1) == "UNKNOWN"


def test_closed_port_is_unknown_unreachable(db, run):
    port = servers.free_port()
    scheme = "postgresql" if db.kind == "pg" else "mysql"
    r, m = nagios(run, "%s://app:%s@127.0.0.1:%d/appdb" % (scheme, PASSWORD, port))
    assert (r.returncode, m.group(1)) == (3, "UNKNOWN")
    assert "unreachable" in r.stdout and str(port) in r.stdout
    assert PASSWORD not in r.stdout


def test_bad_url_is_unknown_with_password_redacted(run):
    r, m = nagios(run, "postgresql://app:Sekr1t-x@db:99999/appdb")
    assert (r.returncode, m.group(1)) == (3, "UNKNOWN")
    assert "invalid port" in r.stdout and "Sekr1t" not in r.stdout
    r = run("conns", "mysql://app:Sekr1t-x@db/appdb?sslmode=x")
    assert r.returncode == 3
    assert "unknown parameter 'sslmode'" in r.stdout + r.stderr
    assert "Sekr1t" not in r.stdout + r.stderr
    r = run("conns", "--json", "http://app:Sekr1t-x@db/appdb")
    assert r.returncode == 3 and json.loads(r.stdout)["failure"] == "bad URL"
    assert "Sekr1t" not in r.stdout + r.stderr


def test_password_is_redacted_in_every_form(db, run):
    for form in ("--nagios", "--json", "--prometheus", None):
        r = run(*(["conns"] + ([form] if form else []) + [db.url]))
        assert r.returncode == 0
        assert PASSWORD not in r.stdout + r.stderr
    r = run("conns", db.url)
    assert "app:***@127.0.0.1" in r.stdout


# --- where the password and the server come from -------------------------

def test_password_file(db, run, tmp_path):
    pw = tmp_path / "pw"
    pw.write_text(PASSWORD + "\n")
    pw.chmod(0o600)
    url = db.server.url(password="")
    r = run("conns", "--nagios", "--password-file", str(pw), url)
    assert r.returncode == 0, r.stdout
    r = run("conns", "--nagios", "--password-file", str(tmp_path / "missing"), url)
    assert r.returncode == 3 and "password file" in r.stdout


def test_libpq_environment_variables(pgdb, run):
    env = {"PGHOST": "127.0.0.1", "PGPORT": str(pgdb.server.port), "PGUSER": "app",
           "PGPASSWORD": PASSWORD, "PGDATABASE": "appdb"}
    r = run("conns", "--json", "postgresql://", env=env)
    assert r.returncode == 0, r.stdout
    assert json.loads(r.stdout)["by_database"] == {"appdb": 1}


def test_libpq_service_file_and_pgpass(pgdb, run, tmp_path, monkeypatch):
    service = tmp_path / "pg_service.conf"
    service.write_text("[night]\nhost=127.0.0.1\nport=%d\nuser=app\ndbname=appdb\n"
                       % pgdb.server.port)
    pgpass = tmp_path / "pgpass"
    pgpass.write_text("127.0.0.1:%d:appdb:app:%s\n" % (pgdb.server.port, PASSWORD))
    pgpass.chmod(stat.S_IRUSR | stat.S_IWUSR)
    env = {"PGSERVICEFILE": str(service), "PGPASSFILE": str(pgpass)}
    for k in ("PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE", "PGSERVICE"):
        monkeypatch.delenv(k, raising=False)
    r = run("conns", "--nagios", "postgresql:///?service=night", env=env)
    assert r.returncode == 0, r.stdout
    r = run("conns", "--nagios", "postgresql:///?service=nosuch", env=env)
    assert r.returncode == 3 and "bad URL" in r.stdout


def test_unix_socket_path_as_host(db, run):
    if db.kind == "pg":
        enc = db.server.sockdir.replace("/", "%2F")
        urls = ["postgresql://postgres@%s:%d/postgres" % (enc, db.server.port),
                "postgresql://postgres@:%d/postgres?host=%s" % (db.server.port,
                                                                  db.server.sockdir)]
    else:
        if os.geteuid() != 0:
            pytest.skip("MariaDB's root logs in over the socket only as the OS root user")
        enc = db.server.socket.replace("/", "%2F")
        urls = ["mysql://root@%s/appdb" % enc,
                "mariadb://root@/appdb?socket=%s" % db.server.socket]
    for url in urls:
        r = run("conns", "--json", url)
        assert r.returncode == 0, r.stdout + r.stderr
        j = json.loads(r.stdout)
        assert j["used"] == 1 and j["by_client"] == {"local": 1}


def test_journal_records_one_shot_sample_when_asked(db, run, journal):
    run("conns", "--nagios", db.url)
    r = run("journal", "samples", "--series", "db_connections_used")
    assert r.stdout == ""
    assert run("conns", "--nagios", "--journal", journal, db.url).returncode == 0
    r = run("journal", "samples", "--series", "db_connections_used")
    (s,) = [json.loads(x) for x in r.stdout.splitlines()]
    assert s["value"] == 1 and s["source"] == "conns"
    assert s["labels"] == {"server": "127.0.0.1:%d/appdb" % db.server.port}


def test_usage_errors(run):
    assert run("conns").returncode == 2
    r = run("conns", "--json", "--nagios", "postgresql://")
    assert r.returncode == 3 and r.stdout.startswith("CONNS UNKNOWN:")
    r = run("conns", "--json", "--prometheus", "postgresql://")
    assert r.returncode == 2 and "exclude" in r.stderr
    r = run("conns", "--on-alert", "true", "postgresql://")
    assert r.returncode == 2 and "--watch" in r.stderr
    r = run("conns", "--help")
    assert r.returncode == 0 and r.stdout.startswith("usage: brace conns")
