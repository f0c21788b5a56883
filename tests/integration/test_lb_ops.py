"""brace lb as an operator runs it: configuration file, health checks, admin
API, drain, reload under load, access log, journal events."""
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import urllib.request

import pytest

from httpbackend import Backend, closed_port
from lbproc import admin_get, get, journal_events, metric, wait_for
from servers import free_port


def start_file(brace, path, tmp_path):
    """Run brace lb -c path; the file's first listener is on the port it names."""
    proc = subprocess.Popen([brace, "lb", "-c", str(path)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    err = []

    def reader():
        for line in iter(proc.stderr.readline, b""):
            err.append(line.decode(errors="replace"))
    t = threading.Thread(target=reader, daemon=True)
    t.start()
    deadline = time.time() + 30
    while time.time() < deadline and not any("listening on" in e for e in err):
        if proc.poll() is not None:
            raise RuntimeError("brace lb exited: " + "".join(err))
        time.sleep(0.02)
    proc.err = err
    proc.reader = t
    return proc


def stop_file(proc):
    proc.send_signal(signal.SIGTERM)
    rc = proc.wait(60)
    proc.reader.join(5)
    text = "".join(proc.err)
    assert "ERROR: AddressSanitizer" not in text, text
    assert "runtime error" not in text, text
    assert rc == 0, text
    return text


def admin_post(port, path, token=None):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), data=b"",
                                 method="POST")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


# ---- configuration file ----

def test_dump_config_check_and_run_round_trip(run, brace, backends, tmp_path):
    a, b = backends(2)
    port = free_port()
    r = run("lb", "-l", "127.0.0.1:%d" % port, "-b", a.addr + ",weight=2,name=one",
            "-b", b.addr + ",maxconn=5", "--balance", "leastconn", "--timeout-server", "7s",
            "--check-interval", "1s", "--check-path", "/health", "--max-body", "1M",
            "--dump-config")
    assert r.returncode == 0, r.stderr
    conf = tmp_path / "lb.conf"
    conf.write_text(r.stdout)
    for line in ("bind = 127.0.0.1:%d" % port, "server = one %s weight=2" % a.addr,
                 "maxconn=5", "balance = leastconn", "timeout-server = 7s",
                 "check = http", "check-path = /health", "max-body = 1M"):
        assert line in r.stdout
    c = run("lb", "-c", conf, "--check")
    assert c.returncode == 0 and "is valid" in c.stdout, c.stderr
    again = run("lb", "-c", conf, "--dump-config")
    assert again.stdout.splitlines()[2:] == r.stdout.splitlines()[2:]
    proc = start_file(brace, conf, tmp_path)
    try:
        assert {get(port)[2] for _ in range(6)} == {b"b1\n", b"b2\n"}
    finally:
        stop_file(proc)


def test_broken_config_is_rejected_with_its_line_number(run, tmp_path):
    conf = tmp_path / "bad.conf"
    conf.write_text("[global]\nthreads = 1\n\n[listen web]\nbind = 127.0.0.1:8080\n"
                    "mode = htttp\n[pool app]\nserver = s1 127.0.0.1:80 weight=1000\n"
                    "timeout-server = soon\n")
    r = run("lb", "-c", conf, "--check")
    assert r.returncode == 1
    assert "%s:6: mode" % conf in r.stderr
    assert "%s:8: server" % conf in r.stderr
    assert "%s:9: timeout-server" % conf in r.stderr
    assert re.search(r"has \d+ errors", r.stderr)


def test_config_refers_to_missing_pool(run, tmp_path):
    conf = tmp_path / "bad.conf"
    conf.write_text("[listen web]\nbind = 127.0.0.1:8080\nroute = path=/api pool=api\n"
                    "default-pool = app\n[pool app]\nserver = s1 127.0.0.1:80\n")
    r = run("lb", "-c", conf, "--check")
    assert r.returncode == 1
    assert "%s:3: route to pool 'api'" % conf in r.stderr


def test_missing_config_file_is_clear_error(run, tmp_path):
    r = run("lb", "-c", tmp_path / "nope.conf", "--check")
    assert r.returncode == 1 and "nope.conf" in r.stderr and "No such file" in r.stderr


def test_file_and_quick_flags_do_not_mix(run, tmp_path):
    r = run("lb", "-c", tmp_path / "x.conf", "--listen", ":80")
    assert r.returncode == 2


def test_routes_send_host_and_path_to_their_pools(brace, backends, tmp_path):
    app, api, static = backends(3)
    port = free_port()
    conf = tmp_path / "lb.conf"
    conf.write_text("""[global]
threads = 1
[listen web]
bind = 127.0.0.1:%d
route = host=api.example.org pool=api
route = path=/static pool=static
route = host=*.cdn.example.org path=/img pool=static
default-pool = app
[pool app]
server = app1 %s
[pool api]
server = api1 %s
[pool static]
server = st1 %s
""" % (port, app.addr, api.addr, static.addr))
    proc = start_file(brace, conf, tmp_path)
    try:
        assert get(port, "/", {"Host": "www.example.org"})[2] == b"b1\n"
        assert get(port, "/x")[2] == b"b1\n"
        assert get(port, "/v1/users", {"Host": "API.example.org:443"})[2] == b"b2\n"
        assert get(port, "/static/a.css")[2] == b"b3\n"
        assert get(port, "/img/1.png", {"Host": "eu.cdn.example.org"})[2] == b"b3\n"
        assert get(port, "/img/1.png", {"Host": "cdn.example.org"})[2] == b"b1\n"
    finally:
        stop_file(proc)


# ---- health checks ----

def test_killed_backend_is_down_in_metrics_within_3s_and_clients_get_200(lb, backends):
    a, b = backends(2)
    admin = free_port()
    p = lb(*["-b", a.addr, "-b", b.addr, "--check-interval", "500ms",
             "--admin", "127.0.0.1:%d" % admin])
    statuses = []
    stop = threading.Event()

    def client():
        while not stop.is_set():
            statuses.append(get(p.port)[0])
    t = threading.Thread(target=client)
    t.start()
    time.sleep(0.5)
    a.stop()
    killed = time.time()
    seen_down = wait_for(lambda: metric(admin_get(admin, "/metrics")[1], "brace_server_up",
                                        server=a.addr) == 0, timeout=3, step=0.1)
    took = time.time() - killed
    time.sleep(0.5)
    stop.set()
    t.join()
    assert seen_down, "server not shown down within 3 s"
    assert took <= 3.5
    assert statuses and set(statuses) == {200}
    text = admin_get(admin, "/metrics")[1]
    assert metric(text, "brace_server_up", server=b.addr, address=b.addr) == 1


def test_http_check_takes_out_a_server_answering_500(lb, backends):
    a, b = backends(2)
    admin = free_port()
    # without the panic threshold, which would send requests to them anyway
    p = lb(*["-b", a.addr, "-b", b.addr, "--check-interval", "200ms", "--panic-threshold", "0",
             "--check-path", "/status?code=500", "--admin", "127.0.0.1:%d" % admin])
    assert wait_for(lambda: admin_get(admin, "/stats")[1].count("\"up\":false") == 2,
                    timeout=5)
    assert get(p.port)[0] == 503       # both answer 500 to the check


def test_all_servers_down_answers_503_at_once(lb, backends):
    (a,) = backends(1)
    p = lb(*["-b", a.addr, "--check-interval", "200ms", "--panic-threshold", "0"])
    a.stop()
    time.sleep(1.5)
    t0 = time.time()
    assert get(p.port)[0] == 503
    assert time.time() - t0 < 1.0


# ---- admin API ----

def test_metrics_are_prometheus_text_with_brace_names(lb, backends):
    a, b = backends(2)
    admin = free_port()
    p = lb(*["-b", a.addr, "-b", b.addr, "--admin", "127.0.0.1:%d" % admin])
    for _ in range(10):
        get(p.port)
    get(p.port, "/status?code=404")
    status, text = admin_get(admin, "/metrics")
    assert status == 200
    for line in text.splitlines():
        if line.startswith("#"):
            assert re.match(r"# (HELP|TYPE) brace_\w+ ", line), line
        else:
            assert re.match(r'brace_\w+(\{[^}]*\})? [-+0-9.eInf]+$', line), line
    total = sum(metric(text, "brace_requests_total", server=s.addr, code="2xx") for s in (a, b))
    assert total == 10
    assert sum(metric(text, "brace_requests_total", server=s.addr, code="4xx")
               for s in (a, b)) == 1
    assert metric(text, "brace_response_time_seconds_count", pool="default") == 11
    assert metric(text, "brace_queue_length", pool="default") == 0
    assert "brace_reloads_total 0" in text


def test_stats_is_json(lb, backends):
    (a,) = backends(1)
    admin = free_port()
    p = lb(*["-b", a.addr, "--admin", "127.0.0.1:%d" % admin])
    get(p.port)
    st = json.loads(admin_get(admin, "/stats")[1])
    (pool,) = st["pools"]
    (srv,) = pool["servers"]
    assert srv["address"] == a.addr and srv["up"] is True and srv["state"] == "ready"
    assert srv["responses"]["2xx"] == 1


def test_admin_token_is_required_when_set(lb, backends):
    (a,) = backends(1)
    admin = free_port()
    lb(*["-b", a.addr, "--admin", "127.0.0.1:%d" % admin, "--admin-token", "s3cret"])
    with pytest.raises(urllib.error.HTTPError) as e:
        admin_get(admin, "/metrics")
    assert e.value.code == 401
    with pytest.raises(urllib.error.HTTPError):
        admin_get(admin, "/metrics", token="wrong")
    assert admin_get(admin, "/metrics", token="s3cret")[0] == 200
    assert admin_post(admin, "/servers/%s/drain" % a.addr)[0] == 401


def test_admin_refuses_non_loopback_without_permission(run):
    r = run("lb", "-l", "127.0.0.1:1", "-b", "127.0.0.1:2", "--admin", "0.0.0.0:9999")
    assert r.returncode == 2 and "admin-allow-remote" in r.stderr


def test_unknown_server_in_admin_is_404(lb, backends):
    (a,) = backends(1)
    admin = free_port()
    lb(*["-b", a.addr, "--admin", "127.0.0.1:%d" % admin])
    assert admin_post(admin, "/servers/nope/drain")[0] == 404
    assert admin_post(admin, "/servers/%s/explode" % a.addr)[0] == 404


def test_drain_lets_in_flight_finish_and_sends_no_new_requests(lb, backends):
    a, b = backends(2)
    admin = free_port()
    p = lb(*["-b", a.addr + ",name=a", "-b", b.addr + ",name=b", "--threads", "1",
             "--admin", "127.0.0.1:%d" % admin])
    result = {}
    # round robin: the first request goes to a
    t = threading.Thread(target=lambda: result.update(r=get(p.port, "/slow?ms=1500")))
    t.start()
    wait_for(lambda: a.requests == 1)
    status, body = admin_post(admin, "/servers/a/drain")
    assert status == 200 and json.loads(body)["state"] == "drain"
    for _ in range(20):
        assert get(p.port)[2] == b"b2\n"
    t.join()
    assert result["r"][0] == 200 and result["r"][2] == b"b1\n"
    assert a.requests == 1
    assert admin_post(admin, "/servers/a/enable")[0] == 200
    assert {get(p.port)[2] for _ in range(4)} == {b"b1\n", b"b2\n"}


def test_disable_survives_a_reload(brace, backends, tmp_path):
    a, b = backends(2)
    port, admin = free_port(), free_port()
    conf = tmp_path / "lb.conf"
    conf.write_text("[global]\nadmin = 127.0.0.1:%d\n[listen web]\nbind = 127.0.0.1:%d\n"
                    "[pool app]\nserver = a %s\nserver = b %s\n" % (admin, port, a.addr, b.addr))
    proc = start_file(brace, conf, tmp_path)
    try:
        assert admin_post(admin, "/servers/a/disable")[0] == 200
        proc.send_signal(signal.SIGHUP)
        assert wait_for(lambda: any("configuration reloaded" in e for e in proc.err))
        assert {get(port)[2] for _ in range(10)} == {b"b2\n"}
        st = json.loads(admin_get(admin, "/stats")[1])
        assert st["reloads"] == 1
        assert [s["state"] for s in st["pools"][0]["servers"]] == ["maint", "ready"]
    finally:
        stop_file(proc)


# ---- reload ----

def test_bad_reload_keeps_the_running_configuration(brace, backends, tmp_path):
    (a,) = backends(1)
    port = free_port()
    conf = tmp_path / "lb.conf"
    conf.write_text("[listen web]\nbind = 127.0.0.1:%d\n[pool app]\nserver = a %s\n"
                    % (port, a.addr))
    proc = start_file(brace, conf, tmp_path)
    try:
        conf.write_text("[listen web]\nbind = 127.0.0.1:%d\n[pool app]\nserver = a\n" % port)
        proc.send_signal(signal.SIGHUP)
        assert wait_for(lambda: any("running configuration is kept" in e for e in proc.err))
        assert any("lb.conf:4: server" in e for e in proc.err)
        assert get(port)[0] == 200
    finally:
        stop_file(proc)


def test_ten_reloads_under_load_lose_nothing(brace, backends, tmp_path):
    if shutil.which("wrk") is None:
        pytest.skip("wrk is not installed (scripts/install-deps installs it)")
    a, b = backends(2)
    port = free_port()
    conf = tmp_path / "lb.conf"
    conf.write_text("[global]\nthreads = 2\n[listen web]\nbind = 127.0.0.1:%d\n"
                    "[pool app]\nserver = a %s\nserver = b %s\n" % (port, a.addr, b.addr))
    proc = start_file(brace, conf, tmp_path)
    try:
        wrk = subprocess.Popen(["wrk", "-t2", "-c16", "-d8s", "http://127.0.0.1:%d/" % port],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        time.sleep(1)
        for i in range(10):
            proc.send_signal(signal.SIGHUP)
            time.sleep(0.5)
        out, _ = wrk.communicate(timeout=60)
        assert sum("configuration reloaded" in e for e in proc.err) == 10, "".join(proc.err)
    finally:
        stop_file(proc)
    assert re.search(r"\d+ requests in", out), out
    assert "Socket errors" not in out, out
    assert "Non-2xx" not in out, out


# ---- access log ----

def test_access_log_combined_line_and_sigusr1_reopen(lb, backends, tmp_path):
    (a,) = backends(1)
    log = tmp_path / "access.log"
    p = lb(*["-b", a.addr, "--access-log", str(log), "--threads", "1"])
    get(p.port, "/one?x=1", {"Referer": "http://ref/", "User-Agent": "tester/1.0"})
    assert wait_for(lambda: log.exists() and log.read_text().count("\n") == 1, timeout=5)
    line = log.read_text()
    assert re.match(r'127\.0\.0\.1 - - \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] '
                    r'"GET /one\?x=1 HTTP/1\.1" 200 3 "http://ref/" "tester/1\.0" '
                    r'%s \d+\.\d{3} \d+\.\d{3}\n$' % re.escape(a.addr), line), line
    os.rename(log, tmp_path / "access.log.1")
    p.proc.send_signal(signal.SIGUSR1)
    assert wait_for(lambda: "reopened" in p.stderr)
    get(p.port, "/two")
    assert wait_for(lambda: log.exists() and "/two" in log.read_text(), timeout=5)
    assert "/two" not in (tmp_path / "access.log.1").read_text()


def test_access_log_json_lines(lb, backends, tmp_path):
    (a,) = backends(1)
    log = tmp_path / "access.jsonl"
    p = lb(*["-b", a.addr, "--access-log", str(log), "--access-log-format", "json"])
    get(p.port, "/j")
    get(p.port, "/status?code=503")
    assert wait_for(lambda: log.exists() and log.read_text().count("\n") == 2, timeout=5)
    recs = [json.loads(x) for x in log.read_text().splitlines()]
    assert {r["status"] for r in recs} == {200, 503}
    r = [r for r in recs if r["request"] == "GET /j HTTP/1.1"][0]
    assert r["upstream_addr"] == a.addr and r["pool"] == "default" and r["bytes"] == 3


def test_own_replies_are_logged(lb, backends, tmp_path):
    dead = closed_port()
    log = tmp_path / "access.log"
    p = lb(*["-b", "127.0.0.1:%d" % dead, "--retries", "0", "--access-log", str(log),
             "--timeout-request", "300ms"])
    assert get(p.port, "/x")[0] == 502
    s = p.connect()
    s.sendall(b"GET /slow HTTP/1.1\r\nHost:")
    assert s.recv(100).startswith(b"HTTP/1.1 408")
    assert wait_for(lambda: log.exists() and log.read_text().count("\n") == 2, timeout=5)
    lines = log.read_text().splitlines()
    # a 502 names the server that failed, as nginx's $upstream_addr does
    assert '"GET /x HTTP/1.1" 502 0 "-" "-" 127.0.0.1:%d ' % dead in lines[0]
    # a request that never reached a server has no upstream fields
    assert re.search(r'" 408 0 "-" "-" - - \d+\.\d{3}$', lines[1]), lines[1]


# ---- journal ----

def test_journal_receives_a_down_up_pair(lb, brace, tmp_path):
    a = Backend("a")
    port = a.port
    jpath = tmp_path / "journal.db"
    p = lb(*["-b", a.addr, "--check-interval", "300ms", "--journal", str(jpath)])
    try:
        a.stop()
        assert wait_for(lambda: any(e["kind"] == "server_down"
                                    for e in journal_events(brace, jpath)), timeout=10)
        a = Backend("a", port=port)
        assert wait_for(lambda: any(e["kind"] == "server_up"
                                    for e in journal_events(brace, jpath)), timeout=10)
        assert get(p.port)[0] == 200
    finally:
        a.stop()
    evs = [e for e in journal_events(brace, jpath) if e["kind"] in ("server_down", "server_up")]
    assert [e["kind"] for e in evs] == ["server_down", "server_up"]
    assert evs[0]["source"] == "lb" and evs[0]["subject"] == "default/" + a.addr
    assert evs[0]["details"]["address"] == a.addr


# ---- passive health and slow start ----

def test_consecutive_5xx_take_a_server_out_then_it_rests(lb, backends):
    (a,) = backends(1)
    p = lb(*["-b", a.addr, "--threads", "1", "--passive-5xx", "--panic-threshold", "0"])
    for _ in range(3):
        assert get(p.port, "/status?code=500")[0] == 500
    # three 5xx in a row: resting, so the next request is answered at once
    before = a.requests
    assert get(p.port)[0] == 503
    assert a.requests == before
    # after the rest (2 s by default) it is tried again
    assert wait_for(lambda: get(p.port)[0] == 200, timeout=10, step=0.3)


def test_a_recovering_server_gets_a_small_share_during_slow_start(lb, backends):
    a, b = backends(2)
    port_b = b.port
    p = lb(*["-b", a.addr, "-b", b.addr, "--check-interval", "200ms", "--slow-start", "60s",
             "--threads", "1"])
    b.stop()
    assert wait_for(lambda: "is down" in p.stderr, timeout=10)
    b2 = Backend("b2", port=port_b)
    try:
        assert wait_for(lambda: "is up" in p.stderr, timeout=10)
        names = [get(p.port)[2] for _ in range(100)]
        # full weight would be half; a few seconds into a 60 s ramp it is about a tenth
        share = names.count(b"b2\n") / len(names)
        assert 0 < share < 0.3, share
    finally:
        b2.stop()
