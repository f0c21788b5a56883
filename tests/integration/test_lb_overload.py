"""No self-inflicted outage: 5xx answers do not take servers out unless asked,
a pool with too few healthy servers balances over all of them (panic), and
clients past maxconn make room or get an answer at once instead of waiting in
the kernel's backlog."""
import shutil
import socket
import subprocess
import threading
import urllib.request

from httpbackend import RawServer, closed_port, echo
from lbproc import admin_get, get, journal_events, metric, read_response, wait_for
from servers import free_port




# ---- passive health: 5xx only when asked ----

def test_an_endpoint_answering_500_takes_no_server_out_by_default(lb, backends):
    a, b = backends(2)
    admin = free_port()
    p = lb("-b", a.addr, "-b", b.addr, "--threads", "1", "--admin", "127.0.0.1:%d" % admin)
    # ten 500s in a row: five on each server, past passive-fall (3)
    assert [get(p.port, "/status?code=500")[0] for _ in range(10)] == [500] * 10
    statuses = [get(p.port)[0] for _ in range(20)]
    assert statuses == [200] * 20
    text = admin_get(admin, "/metrics")[1]
    assert metric(text, "brace_server_up", server=a.addr) == 1
    assert metric(text, "brace_server_up", server=b.addr) == 1
    # a 5xx is an answer, not a failure of the server
    assert metric(text, "brace_server_failures_total", server=a.addr) == 0
    assert "is down" not in p.stderr


def test_passive_5xx_is_opt_in(lb, backends):
    a, b = backends(2)
    p = lb("-b", a.addr + ",name=a", "-b", b.addr + ",name=b", "--threads", "1",
           "--passive-5xx")
    for _ in range(6):
        get(p.port, "/status?code=500")
    assert wait_for(lambda: p.stderr.count("is down: answered 5xx 3 times in a row") == 2)


def test_connection_failures_still_take_a_server_out_by_default(lb, backends):
    (a,) = backends(1)
    dead = closed_port()
    p = lb("-b", a.addr, "-b", "127.0.0.1:%d,name=dead" % dead, "--threads", "1")
    assert [get(p.port)[0] for _ in range(12)] == [200] * 12
    assert "server default/dead (127.0.0.1:%d) is down: requests failed 3 times" % dead \
        in p.stderr


# ---- the panic threshold ----

def test_a_pool_below_its_healthy_share_balances_over_all_its_servers(lb, backends, brace,
                                                                      tmp_path):
    a, b = backends(2)
    admin = free_port()
    jpath = tmp_path / "journal.db"
    p = lb("-b", a.addr + ",name=a", "-b", b.addr + ",name=b", "--threads", "1",
           "--check-interval", "100ms", "--check-path", "/health",
           "--admin", "127.0.0.1:%d" % admin, "--journal", str(jpath))
    # one of two down: half are healthy, not below 50 %: only b gets requests
    a.health = 500
    assert wait_for(lambda: "server default/a" in p.stderr and "is down" in p.stderr)
    assert {get(p.port)[2] for _ in range(6)} == {b"b2\n"}
    assert metric(admin_get(admin, "/metrics")[1], "brace_pool_panic", pool="default") == 0
    # both down (their checks fail, yet they answer): the pool balances over both
    b.health = 500
    assert wait_for(lambda: "below its panic threshold of 50%" in p.stderr)
    assert {get(p.port)[2] for _ in range(6)} == {b"b1\n", b"b2\n"}
    text = admin_get(admin, "/metrics")[1]
    assert metric(text, "brace_pool_panic", pool="default") == 1
    assert metric(text, "brace_pool_panics_total", pool="default") == 1
    assert metric(text, "brace_server_up", server="a") == 0
    # healthy again: out of panic
    a.health = b.health = 200
    assert wait_for(lambda: "healthy again: out of panic" in p.stderr)
    assert metric(admin_get(admin, "/metrics")[1], "brace_pool_panic", pool="default") == 0
    kinds = [e for e in journal_events(brace, jpath) if e["kind"].startswith("pool_panic")]
    assert [e["kind"] for e in kinds] == ["pool_panic", "pool_panic_over"]
    assert kinds[0]["severity"] == "warning" and kinds[0]["subject"] == "default"
    assert kinds[0]["details"] == {"pool": "default", "healthy": 0, "total": 2,
                                   "threshold_percent": 50}


def test_a_drained_server_stays_out_even_in_panic(lb, backends):
    a, b = backends(2)
    admin = free_port()
    p = lb("-b", a.addr + ",name=a", "-b", b.addr + ",name=b", "--threads", "1",
           "--check-interval", "100ms", "--check-path", "/health",
           "--admin", "127.0.0.1:%d" % admin)
    req = urllib.request.Request("http://127.0.0.1:%d/servers/a/drain" % admin, data=b"",
                                 method="POST")
    urllib.request.urlopen(req, timeout=30).read()
    b.health = 500
    # b is the only server an operator left ready, and it is down: panic, to b only
    assert wait_for(lambda: "below its panic threshold" in p.stderr)
    assert {get(p.port)[2] for _ in range(6)} == {b"b2\n"}


def test_panic_threshold_0_keeps_health_strict(lb, backends):
    (a,) = backends(1)
    p = lb("-b", a.addr, "--check-interval", "100ms", "--check-path", "/health",
           "--panic-threshold", "0")
    a.health = 503
    assert wait_for(lambda: "is down" in p.stderr)
    assert wait_for(lambda: get(p.port)[0] == 503)
    assert "panic" not in p.stderr


# ---- past maxconn ----

def keepalive_client(port):
    """A client that made one request and keeps its connection, idle."""
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
    status, _, _ = read_response(s)
    assert status == 200
    return s


def closed_by_peer(sock, timeout=10):
    sock.settimeout(timeout)
    try:
        return sock.recv(1) == b""
    except (ConnectionResetError, socket.timeout):
        return False


def test_an_idle_keepalive_client_makes_room_for_a_new_one(lb, backends):
    (a,) = backends(1)
    admin = free_port()
    p = lb("-b", a.addr, "--threads", "1", "--maxconn", "5", "--admin", "127.0.0.1:%d" % admin)
    idle = [keepalive_client(p.port) for _ in range(5)]
    try:
        # the old way, this one waited in the backlog until an idle one timed out (60 s)
        status, _, body = get(p.port, timeout=30)
        assert status == 200 and body == b"b1\n"
        # the one idle longest made way
        assert closed_by_peer(idle[0])
        text = admin_get(admin, "/metrics")[1]
        assert metric(text, "brace_client_idle_closed_total") >= 1
        assert metric(text, "brace_client_refused_total") == 0
    finally:
        for s in idle:
            s.close()


def test_past_maxconn_with_nobody_idle_the_answer_is_503_at_once(lb, backends, brace, tmp_path):
    (a,) = backends(1)
    admin = free_port()
    jpath = tmp_path / "journal.db"
    p = lb("-b", a.addr, "--threads", "1", "--maxconn", "2", "--admin", "127.0.0.1:%d" % admin,
           "--journal", str(jpath))
    results = []

    def slow():
        results.append(get(p.port, "/slow?ms=3000")[0])
    busy = [threading.Thread(target=slow) for _ in range(2)]
    for t in busy:
        t.start()
    assert wait_for(lambda: a.httpd.active == 2)
    status, headers, body = get(p.port, timeout=30)
    assert status == 503
    assert headers["retry-after"] == "1" and headers["connection"] == "close"
    assert body == b"Service Unavailable\n"
    for t in busy:
        t.join()
    assert results == [200, 200]
    assert metric(admin_get(admin, "/metrics")[1], "brace_client_refused_total") == 1
    assert "maxconn_reached" not in p.stderr            # the kind; the log says it in words
    assert "2 client connections (maxconn)" in p.stderr
    assert wait_for(lambda: any(e["kind"] == "maxconn_reached"
                                for e in journal_events(brace, jpath)))
    # room again: served
    assert get(p.port)[0] == 200


def test_past_maxconn_a_tcp_client_is_closed_at_once(lb):
    srv = RawServer(echo)
    admin = free_port()
    p = lb("-m", "tcp", "-b", srv.addr, "--threads", "1", "--maxconn", "1",
           "--admin", "127.0.0.1:%d" % admin)
    first = socket.create_connection(("127.0.0.1", p.port), timeout=30)
    try:
        first.sendall(b"ping")
        assert first.recv(4) == b"ping"
        second = socket.create_connection(("127.0.0.1", p.port), timeout=30)
        assert closed_by_peer(second, timeout=30)
        second.close()
        assert metric(admin_get(admin, "/metrics")[1], "brace_client_refused_total") == 1
        first.sendall(b"pong")
        assert first.recv(4) == b"pong"
    finally:
        first.close()
        srv.stop()


# ---- the metrics page ----

def test_the_metrics_page_passes_promtool_with_every_new_family(lb, backends):
    promtool = shutil.which("promtool")
    if promtool is None:
        raise AssertionError("promtool not found (scripts/install-deps installs prometheus)")
    a, b = backends(2)
    admin = free_port()
    p = lb("-b", a.addr, "-b", b.addr, "--admin", "127.0.0.1:%d" % admin)
    for _ in range(5):
        get(p.port)
    page = admin_get(admin, "/metrics")[1]
    for family in ("brace_pool_panic", "brace_pool_panics_total", "brace_client_refused_total",
                   "brace_client_idle_closed_total", "brace_admin_connections_evicted_total"):
        assert "# TYPE %s " % family in page, family
    chk = subprocess.run([promtool, "check", "metrics"], input=page, text=True,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    # promtool's lint wants counters to end in _total (they do) and says nothing else
    assert chk.returncode == 0, chk.stdout
