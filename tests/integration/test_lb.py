"""brace lb against real HTTP backends on loopback."""
import hashlib
import json
import signal
import socket
import subprocess
import threading
import time

import pytest

from httpbackend import Backend, RawServer, closed_port, echo, pattern, ws_frame, ws_read_frame
from lbproc import LB, get, read_response, read_response_file


def backend_args(bs, extra=""):
    out = []
    for b in bs:
        out += ["--backend", b.addr + extra]
    return out


# ---- command line ----

def test_help_documents_defaults(run):
    r = run("lb", "--help")
    assert r.returncode == 0
    for word in ("--listen", "--backend", "--balance", "--queue-timeout", "--timeout-request",
                 "roundrobin", "[10s]"):
        assert word in r.stdout


def test_version_prints_what_brace_version_prints(run):
    r = run("lb", "--version")
    assert r.returncode == 0, r.stderr
    assert r.stdout == run("--version").stdout and r.stdout.startswith("brace ")


def test_check_interval_flag_and_file_key_give_the_same_configuration(run, tmp_path):
    flags = run("lb", "-l", "127.0.0.1:1", "-b", "127.0.0.1:2", "--check-interval", "1s",
                "--dump-config")
    assert flags.returncode == 0, flags.stderr
    # the check timeout (1s by default) gives way to half the interval
    assert "check-timeout = 500ms" in flags.stdout
    conf = tmp_path / "lb.conf"
    conf.write_text("[listen main]\nbind = 127.0.0.1:1\ndefault-pool = default\n"
                    "[pool default]\nserver = 127.0.0.1:2 127.0.0.1:2\ncheck = tcp\n"
                    "check-interval = 1s\n")
    file = run("lb", "-c", conf, "--dump-config")
    assert file.returncode == 0, file.stderr
    # the first line names where the configuration came from
    assert file.stdout.splitlines()[1:] == flags.stdout.splitlines()[1:]


def test_flag_values_have_the_file_bounds(run):
    r = run("lb", "-l", "127.0.0.1:1", "-b", "127.0.0.1:2", "--retries", "101")
    assert r.returncode == 2
    assert "--retries must be a whole number from 0 to 100, not '101'" in r.stderr


def test_missing_listen_is_usage_error(run):
    r = run("lb", "--backend", "127.0.0.1:1")
    assert r.returncode == 2 and "--listen" in r.stderr


def test_bad_backend_option_is_usage_error(run):
    r = run("lb", "-l", "127.0.0.1:1", "-b", "127.0.0.1:80,weight=lots")
    assert r.returncode == 2 and "weight" in r.stderr


def test_bad_balance_is_usage_error(run):
    r = run("lb", "-l", "127.0.0.1:1", "-b", "127.0.0.1:80", "--balance", "magic")
    assert r.returncode == 2 and "magic" in r.stderr


def test_unresolvable_backend_is_usage_error(run):
    r = run("lb", "-l", "127.0.0.1:1", "-b", "no-such-host.invalid:80")
    assert r.returncode == 2 and "no-such-host.invalid" in r.stderr


def test_taken_port_is_clear_error_exit_1(run):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    port = s.getsockname()[1]
    try:
        r = run("lb", "-l", "127.0.0.1:%d" % port, "-b", "127.0.0.1:80", timeout=20)
    finally:
        s.close()
    assert r.returncode == 1
    assert "cannot bind 127.0.0.1:%d: Address already in use" % port in r.stderr


def test_address_not_on_this_host_is_clear_error_exit_1(run):
    r = run("lb", "-l", "192.0.2.1:8080", "-b", "127.0.0.1:80", timeout=20)
    assert r.returncode == 1
    assert "cannot bind 192.0.2.1:8080" in r.stderr


# ---- balancing ----

def test_round_robin_spreads_200_requests_within_10_percent(lb, backends):
    bs = backends(2)
    p = lb(*backend_args(bs), "--threads", "1")
    for _ in range(200):
        assert get(p.port)[0] == 200
    for b in bs:
        assert 90 <= b.requests <= 110


def test_weights_are_honoured(lb, backends):
    a, b = backends(2)
    p = lb("--backend", a.addr + ",weight=3", "--backend", b.addr + ",weight=1",
           "--threads", "1")
    for _ in range(200):
        get(p.port)
    assert a.requests == 150 and b.requests == 50


def test_keep_alive_client_reuses_a_handful_of_backend_connections(lb, backends):
    bs = backends(2)
    p = lb(*backend_args(bs))
    s = p.connect()
    f = s.makefile("rb")
    for i in range(200):
        s.sendall(b"GET /n%d HTTP/1.1\r\nHost: t\r\n\r\n" % i)
        status, _, _ = read_response_file(f)
        assert status == 200
    s.close()
    assert sum(b.requests for b in bs) == 200
    assert sum(b.connections for b in bs) <= 4


def test_least_connections_steers_around_a_slow_backend(lb, backends):
    fast = Backend("fast")
    slow = Backend("slow", delay=0.5)
    try:
        p = lb(*backend_args([fast, slow]), "--balance", "leastconn")

        def client():
            for _ in range(10):
                assert get(p.port)[0] == 200
        ts = [threading.Thread(target=client) for _ in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        # round robin would split 20/20; least connections sees the slow one busy
        assert fast.requests >= 3 * slow.requests
    finally:
        fast.stop()
        slow.stop()


def test_hash_source_keeps_a_client_on_one_server(lb, backends):
    bs = backends(3)
    p = lb(*backend_args(bs), "--balance", "hash-source")
    names = {get(p.port)[2] for _ in range(30)}
    assert len(names) == 1


def test_hash_header_keeps_a_key_on_one_server_and_spreads_keys(lb, backends):
    bs = backends(3)
    p = lb(*backend_args(bs), "--balance", "hash-header:X-User")
    seen = {}
    for user in range(30):
        names = {get(p.port, headers={"X-User": "u%d" % user})[2] for _ in range(5)}
        assert len(names) == 1
        seen[user] = names.pop()
    assert len(set(seen.values())) >= 2


def test_random2_uses_every_server(lb, backends):
    bs = backends(3)
    p = lb(*backend_args(bs), "--balance", "random2")
    for _ in range(60):
        assert get(p.port)[0] == 200
    assert all(b.requests > 0 for b in bs)


# ---- failures ----

def test_pool_with_one_closed_port_answers_100_of_100(lb, backends):
    bs = backends(2)
    args = backend_args(bs) + ["--backend", "127.0.0.1:%d" % closed_port()]
    p = lb(*args, "--threads", "1")
    statuses = [get(p.port)[0] for _ in range(100)]
    assert statuses == [200] * 100


def test_all_servers_down_answers_503_at_once(lb):
    # (a pool in panic would try its only server anyway: no panic threshold here)
    p = lb("--backend", "127.0.0.1:%d" % closed_port(), "--retries", "0",
           "--panic-threshold", "0")
    t0 = time.time()
    status = get(p.port)[0]
    assert status in (502, 503)
    # after the failures the server is marked down: 503 without trying
    for _ in range(3):
        get(p.port)
    assert get(p.port)[0] == 503
    assert time.time() - t0 < 30


def test_backend_closing_idle_pooled_connection_is_not_a_502(lb, brace):
    """nginx-like servers close idle keep-alive connections; the next request
    that would use one must be retried on a fresh connection."""
    # a backend that closes each connection 200 ms after answering, without
    # saying Connection: close
    def serve(c):
        f = c.makefile("rb")
        line = f.readline()
        if line:
            while f.readline() not in (b"\r\n", b""):
                pass
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n")
            time.sleep(0.2)
        c.close()
    srv = RawServer(serve)
    port = srv.port
    p = lb("--backend", "127.0.0.1:%d" % port, "--threads", "1", "--retries", "0")
    results = []
    for _ in range(10):
        results.append(get(p.port)[0])
        time.sleep(0.4)
    srv.stop()
    assert results == [200] * 10


# ---- maxconn and the queue ----

def test_maxconn_1_queue_timeout_gives_one_200_and_two_503(lb, backends):
    (b,) = backends(1)
    p = lb("--backend", b.addr + ",maxconn=1", "--queue-timeout", "500ms")
    results = []
    lock = threading.Lock()

    def call():
        st = get(p.port, "/slow?ms=1500")[0]
        with lock:
            results.append(st)
    ts = [threading.Thread(target=call) for _ in range(3)]
    for t in ts:
        t.start()
        time.sleep(0.05)
    for t in ts:
        t.join()
    assert sorted(results) == [200, 503, 503]
    assert b.max_active == 1


def test_maxconn_queue_serves_everyone_when_waiting_is_allowed(lb, backends):
    (b,) = backends(1)
    p = lb("--backend", b.addr + ",maxconn=2", "--queue-timeout", "30s", "--threads", "2")
    results = []
    lock = threading.Lock()

    def call():
        st = get(p.port, "/slow?ms=200")[0]
        with lock:
            results.append(st)
    ts = [threading.Thread(target=call) for _ in range(10)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert results == [200] * 10
    assert b.max_active <= 2


# ---- HTTP semantics ----

def test_pipelined_requests_come_back_in_order(lb, backends):
    (b,) = backends(1)
    p = lb("--backend", b.addr)
    s = p.connect()
    s.sendall(b"".join(b"GET /p%d HTTP/1.1\r\nHost: t\r\n\r\n" % i for i in range(20)) +
              b"GET /headers HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    f = s.makefile("rb")
    for i in range(20):
        status, _, body = read_response_file(f)
        assert status == 200
    status, _, body = read_response_file(f)
    assert status == 200 and b"Host" in body
    assert b.httpd.paths[:20] == ["/p%d" % i for i in range(20)]
    s.close()


def test_one_mib_content_length_upload_arrives_intact(lb, backends):
    (b,) = backends(1)
    p = lb("--backend", b.addr)
    data = pattern(1 << 20)
    s = p.connect()
    s.sendall(b"POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n" % len(data))
    s.sendall(data)
    status, _, body = read_response(s)
    assert status == 200
    assert json.loads(body) == {"sha256": hashlib.sha256(data).hexdigest(),
                                "length": len(data)}


def test_one_mib_chunked_upload_arrives_intact(lb, backends):
    (b,) = backends(1)
    p = lb("--backend", b.addr)
    data = pattern(1 << 20)
    s = p.connect()
    s.sendall(b"POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
    for i in range(0, len(data), 10007):
        part = data[i:i + 10007]
        s.sendall(b"%x\r\n%s\r\n" % (len(part), part))
    s.sendall(b"0\r\n\r\n")
    status, _, body = read_response(s)
    assert status == 200
    assert json.loads(body)["sha256"] == hashlib.sha256(data).hexdigest()


def test_one_mib_chunked_response_arrives_intact(lb, backends):
    (b,) = backends(1)
    p = lb("--backend", b.addr)
    status, headers, body = get(p.port, "/chunked?size=%d" % (1 << 20))
    assert status == 200
    assert headers["transfer-encoding"] == "chunked"
    assert len(body) == 1 << 20
    assert hashlib.sha256(body).hexdigest() == headers["x-sha256"]


def test_large_content_length_response_arrives_intact(lb, backends):
    (b,) = backends(1)
    p = lb("--backend", b.addr)
    status, headers, body = get(p.port, "/big?size=%d" % (5 << 20))
    assert status == 200 and len(body) == 5 << 20
    assert hashlib.sha256(body).hexdigest() == headers["x-sha256"]


def test_expect_100_continue_is_relayed(lb, backends):
    (b,) = backends(1)
    p = lb("--backend", b.addr)
    s = p.connect()
    s.sendall(b"POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
              b"Expect: 100-continue\r\n\r\n")
    f = s.makefile("rb")
    status, _, _ = read_response_file(f)
    assert status == 100
    s.sendall(b"hello")
    status, _, body = read_response_file(f)
    assert status == 200 and json.loads(body)["length"] == 5


def test_head_204_and_304_have_no_body(lb, backends):
    (b,) = backends(1)
    p = lb("--backend", b.addr)
    s = p.connect()
    f = s.makefile("rb")
    s.sendall(b"HEAD /big?size=1000 HTTP/1.1\r\nHost: t\r\n\r\n")
    status, headers, _ = read_response_file(f, head_only=True)
    assert status == 200 and headers["content-length"] == "1000"
    for code in (204, 304):
        s.sendall(b"GET /status?code=%d HTTP/1.1\r\nHost: t\r\n\r\n" % code)
        status, _, _ = read_response_file(f)
        assert status == code
    # the connection is still in step: a normal request works
    s.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
    assert read_response_file(f)[0] == 200


def test_http_1_0_client_gets_answer_and_close(lb, backends):
    (b,) = backends(1)
    p = lb("--backend", b.addr)
    s = p.connect()
    s.sendall(b"GET / HTTP/1.0\r\n\r\n")
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    assert data.startswith(b"HTTP/1.1 200")
    assert data.endswith(b"b1\n")


def test_http_1_0_keep_alive_is_honoured(lb, backends):
    (b,) = backends(1)
    p = lb("--backend", b.addr)
    s = p.connect()
    f = s.makefile("rb")
    for _ in range(3):
        s.sendall(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        status, headers, body = read_response_file(f)
        assert status == 200 and headers.get("connection") == "keep-alive"


def test_connection_close_closes_after_the_answer(lb, backends):
    (b,) = backends(1)
    p = lb("--backend", b.addr)
    s = p.connect()
    s.sendall(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    f = s.makefile("rb")
    status, headers, _ = read_response_file(f)
    assert status == 200 and headers["connection"] == "close"
    assert f.read() == b""


def test_hop_by_hop_headers_are_removed_and_forwarded_headers_added(lb, backends):
    (b,) = backends(1)
    p = lb("--backend", b.addr)
    s = p.connect()
    s.sendall(b"GET /headers HTTP/1.1\r\nHost: example.org\r\n"
              b"Connection: keep-alive, X-Secret\r\nKeep-Alive: timeout=5\r\n"
              b"X-Secret: drop me\r\nTE: trailers\r\nX-Forwarded-For: 203.0.113.7\r\n"
              b"X-Forwarded-Proto: https\r\nX-Kept: yes\r\n\r\n")
    status, _, body = read_response(s)
    h = {k.lower(): v for k, v in json.loads(body)}
    assert status == 200
    for gone in ("keep-alive", "x-secret", "te"):
        assert gone not in h
    assert h.get("connection", "") != "X-Secret"
    assert h["x-kept"] == "yes"
    assert h["x-forwarded-for"] == "203.0.113.7, 127.0.0.1"
    assert h["x-forwarded-proto"] == "http"
    assert h["x-forwarded-host"] == "example.org"


def test_websocket_upgrade_relays_frames_both_ways(lb, backends):
    (b,) = backends(1)
    p = lb("--backend", b.addr)
    s = p.connect()
    s.sendall(b"GET /ws HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\n"
              b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
              b"Sec-WebSocket-Version: 13\r\n\r\n")
    f = s.makefile("rb")
    status, headers, _ = read_response_file(f)
    assert status == 101
    assert headers["upgrade"].lower() == "websocket"
    assert headers["sec-websocket-accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    for i in range(5):
        msg = b"hello %d" % i * (i * 1000 + 1)
        s.sendall(ws_frame(1, msg))
        opcode, payload = ws_read_frame(f)
        assert opcode == 1 and payload == b"echo:" + msg
    s.sendall(ws_frame(8, b""))
    assert ws_read_frame(f)[0] == 8


def test_slow_request_head_gets_408(lb, backends):
    (b,) = backends(1)
    p = lb("--backend", b.addr, "--timeout-request", "500ms")
    s = p.connect()
    s.sendall(b"GET / HTTP/1.1\r\nHost:")
    status, _, _ = read_response(s)
    assert status == 408


def test_server_timeout_gives_504(lb, backends):
    (b,) = backends(1)
    p = lb("--backend", b.addr, "--timeout-server", "300ms")
    assert get(p.port, "/slow?ms=1500")[0] == 504


def test_sigterm_lets_an_in_flight_slow_request_finish(brace, backends):
    (b,) = backends(1)
    p = LB(brace, ["--backend", b.addr])
    result = {}

    def call():
        result["r"] = get(p.port, "/slow?ms=1500")
    t = threading.Thread(target=call)
    t.start()
    time.sleep(0.4)
    p.proc.send_signal(signal.SIGTERM)
    t.join()
    assert result["r"][0] == 200 and result["r"][2] == b"b1\n"
    assert p.proc.wait(30) == 0
    p.stop()
    # new connections are refused once it is stopping
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", p.port), timeout=2).sendall(b"x")


# ---- TCP mode ----

def test_tcp_mode_relays_300_kb_both_ways(lb):
    srv = RawServer(echo)
    try:
        p = lb("--mode", "tcp", "--backend", srv.addr)
        data = pattern(300 * 1024)
        s = p.connect()
        sender = threading.Thread(target=lambda: (s.sendall(data), s.shutdown(socket.SHUT_WR)))
        sender.start()
        got = bytearray()
        while True:
            d = s.recv(65536)
            if not d:
                break
            got += d
        sender.join()
        assert bytes(got) == data
    finally:
        srv.stop()


def test_tcp_mode_maxconn_queues_connections(lb):
    srv = RawServer(echo)
    try:
        p = lb("--mode", "tcp", "--backend", srv.addr + ",maxconn=1",
               "--queue-timeout", "10s")
        a = p.connect()
        a.sendall(b"first")
        assert a.recv(10) == b"first"
        b = p.connect()
        b.sendall(b"second")
        b.settimeout(0.5)
        with pytest.raises(socket.timeout):
            b.recv(10)          # queued behind a
        a.close()
        b.settimeout(10)
        assert b.recv(10) == b"second"
        b.close()
    finally:
        srv.stop()


def test_psql_works_through_tcp_mode(lb, pg):
    p = lb("--mode", "tcp", "--backend", "%s:%d" % (pg.host, pg.port))
    r = subprocess.run(["psql", "-X", "-At", "-h", "127.0.0.1", "-p", str(p.port),
                        "-U", pg.user, "-d", "appdb", "-c", "SELECT 40 + 2"],
                       env={"PGPASSWORD": pg.password, "PATH": "/usr/bin:/bin"},
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "42"
