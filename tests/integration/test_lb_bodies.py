"""brace lb relays bodies byte for byte, whatever their size and framing and
whichever way they go, with splice(2) and with it forced off (--no-splice);
and a body that stops halfway (a client that stops reading, a server that
closes, an upload given up) leaves no stream behind, logs the right status
and byte count, and leaks nothing (the suite runs the sanitized build, whose
leak check fails the exit status).

Bodies are random bytes that never repeat at a short period, so a block
relayed out of order changes the checksum."""
import hashlib
import json
import os
import socket
import threading
import time
import uuid

import pytest

from conftest import brace_opt_path
from httpbackend import Backend, RawServer, pattern
from lbproc import LB, LBProc, admin_get, get, metric, pipes_of, read_response_file, wait_for
from servers import free_port

MODES = ["splice", "no-splice"]
# around the buffer (16 KiB), the big buffer (64 KiB), a pipe (64 KiB), and large
SIZES = [0, 1, 1000, 16383, 16384, 16385, 65536, 70001, 1 << 20, (5 << 20) + 3]
CHUNK_STEPS = [7919, 262144]     # small chunks (framed in buffers), large (data spliced)


def mode_args(mode):
    return ["--no-splice"] if mode == "no-splice" else ["--splice"]


def sha(b):
    return hashlib.sha256(b).hexdigest()


def tag():
    return uuid.uuid4().hex[:12]


def chunked_length(n, step):
    """Bytes of a chunked body of n bytes in chunks of step, as the backend frames it."""
    total = 5                   # "0\r\n\r\n"
    for i in range(0, n, step):
        k = min(step, n - i)
        total += len("%x" % k) + 2 + k + 2
    return total


def start_lb(brace, backend_addr, tmp_path, mode, *extra):
    log = tmp_path / ("access-%s-%s.log" % (mode, tag()))
    admin = free_port()
    p = LB(brace, ["--backend", backend_addr, "--threads", "1", "--no-journal",
                   "--access-log", str(log), "--access-log-format", "json",
                   "--admin", "127.0.0.1:%d" % admin] + mode_args(mode) + list(extra))
    p.log, p.admin, p.mode = log, admin, mode
    return p


def stop_lb(p):
    rc = p.stop()
    assert "Sanitizer" not in p.stderr and "runtime error" not in p.stderr, p.stderr[-4000:]
    assert rc == 0, p.stderr[-4000:]


def logged(p, needle, timeout=60):
    """The access log record of the request whose target contains needle."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(p.log):
            with open(p.log, encoding="utf-8") as f:
                for line in f:
                    rec = json.loads(line)
                    if needle in rec["request"]:
                        return rec
        time.sleep(0.1)
    raise AssertionError("no access log line for %s" % needle)


def settles(p, name, value, timeout=60):
    """Wait until metric name reads value: nothing left behind."""
    def now():
        return metric(admin_get(p.admin, "/metrics")[1], name)
    v = wait_for(lambda: now() == value, timeout=timeout)
    assert v, "%s is %s, not %s" % (name, now(), value)


def read_all(s):
    data = bytearray()
    while True:
        d = s.recv(1 << 20)
        if not d:
            return bytes(data)
        data += d


def split_head(raw):
    head, _, body = raw.partition(b"\r\n\r\n")
    return head, body


@pytest.fixture(scope="module")
def backend():
    b = Backend("bodies")
    yield b
    b.stop()


@pytest.fixture(scope="module", params=MODES)
def lb(request, brace, backend, tmp_path_factory):
    p = start_lb(brace, backend.addr, tmp_path_factory.mktemp("bodies"), request.param)
    yield p
    stop_lb(p)


# ---- byte-exact relays ----

@pytest.mark.parametrize("size", SIZES)
def test_content_length_response_arrives_byte_exact_and_logs_its_size(lb, size):
    path = "/big?size=%d&t=%s" % (size, tag())
    status, headers, body = get(lb.port, path)
    assert status == 200 and len(body) == size
    assert sha(body) == headers["x-sha256"]
    rec = logged(lb, path)
    assert rec["status"] == 200 and rec["bytes"] == size


@pytest.mark.parametrize("step", CHUNK_STEPS)
@pytest.mark.parametrize("size", SIZES)
def test_chunked_response_arrives_byte_exact_and_logs_what_was_sent(lb, size, step):
    path = "/chunked?size=%d&step=%d&t=%s" % (size, step, tag())
    status, headers, body = get(lb.port, path)
    assert status == 200 and headers["transfer-encoding"] == "chunked"
    assert len(body) == size and sha(body) == headers["x-sha256"]
    rec = logged(lb, path)
    assert rec["status"] == 200 and rec["bytes"] == chunked_length(size, step)


@pytest.mark.parametrize("size", SIZES)
def test_close_delimited_response_arrives_byte_exact(lb, size):
    path = "/closed?size=%d&t=%s" % (size, tag())
    s = lb.connect(timeout=60)
    s.sendall(b"GET %s HTTP/1.1\r\nHost: t\r\n\r\n" % path.encode())
    head, body = split_head(read_all(s))
    s.close()
    assert head.startswith(b"HTTP/1.1 200 ") and b"Connection: close" in head
    assert len(body) == size and sha(body) == pattern_sha(size)
    rec = logged(lb, path)
    assert rec["status"] == 200 and rec["bytes"] == size


def pattern_sha(n, _cache={}):
    if n not in _cache:
        _cache[n] = sha(pattern(n))
    return _cache[n]


def test_every_size_and_framing_follows_on_one_keep_alive_connection(lb):
    s = lb.connect(timeout=60)
    f = s.makefile("rb")
    for size in SIZES:
        for path in ("/big?size=%d" % size, "/chunked?size=%d" % size,
                     "/chunked?size=%d&step=262144" % size):
            s.sendall(b"GET %s HTTP/1.1\r\nHost: t\r\n\r\n" % path.encode())
            status, headers, body = read_response_file(f)
            assert status == 200, path
            assert len(body) == size and sha(body) == headers["x-sha256"], path
    s.close()


def upload(s, f, data, chunk=None):
    """POST data on s (Content-Length, or chunked in pieces of chunk): the backend's digest."""
    if chunk is None:
        s.sendall(b"POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n" % len(data))
        s.sendall(data)
    else:
        s.sendall(b"POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
        for i in range(0, len(data), chunk):
            part = data[i:i + chunk]
            s.sendall(b"%x\r\n%s\r\n" % (len(part), part))
        s.sendall(b"0\r\n\r\n")
    status, _, body = read_response_file(f)
    assert status == 200
    return json.loads(body)


@pytest.mark.parametrize("chunk", [None, 10007, 300000], ids=["content-length", "small-chunks",
                                                            "large-chunks"])
def test_uploads_of_every_size_arrive_byte_exact_on_one_keep_alive_connection(lb, chunk):
    s = lb.connect(timeout=60)
    f = s.makefile("rb")
    for size in SIZES:
        data = pattern(size)
        assert upload(s, f, data, chunk) == {"sha256": sha(data), "length": size}
        # the next request on the same connection starts exactly after the body
        s.sendall(b"GET /big?size=100 HTTP/1.1\r\nHost: t\r\n\r\n")
        status, _, body = read_response_file(f)
        assert status == 200 and body == pattern(100)
    s.close()


def test_an_upload_then_a_download_on_a_connection_that_closes(lb):
    data = pattern(3 << 20)
    s = lb.connect(timeout=60)
    s.sendall(b"POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n"
              b"Connection: close\r\n\r\n" % len(data) + data)
    head, body = split_head(read_all(s))
    s.close()
    assert b"Connection: close" in head
    assert json.loads(body) == {"sha256": sha(data), "length": len(data)}


def echo_server():
    """A server that answers a request with Content-Length N with a body of N
    bytes: the request's, sent back as they arrive (both bodies in flight at once)."""
    def serve(c):
        f = c.makefile("rb")
        while True:
            head = b""
            while not head.endswith(b"\r\n\r\n"):
                line = f.readline()
                if not line:
                    c.close()
                    return
                head += line
            n = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % n)
            while n > 0:
                d = f.read1(min(n, 65536))
                if not d:
                    c.close()
                    return
                c.sendall(d)
                n -= len(d)
    return RawServer(serve)


def send_paced(s, head, data, step=131072):
    """Send head, then data a step at a time, pausing between steps so that
    the answer starts flowing back while the request still comes."""
    s.sendall(head)
    for i in range(0, len(data), step):
        s.sendall(data[i:i + step])
        time.sleep(0.002)


@pytest.mark.parametrize("mode", MODES)
def test_a_body_echoed_while_it_is_uploaded_arrives_byte_exact_both_ways(brace, tmp_path, mode):
    srv = echo_server()
    p = start_lb(brace, srv.addr, tmp_path, mode)
    try:
        for size in (70001, 3 << 20, (1 << 20) + 1):
            data = pattern(size)
            s = p.connect(timeout=60)
            head = b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n" % size
            sender = threading.Thread(target=send_paced, args=(s, head, data))
            sender.start()
            status, _, body = read_response_file(s.makefile("rb"))
            sender.join(60)
            s.close()
            # answered before the request ended: the answer closes the connection
            assert status == 200 and len(body) == size and body == data
    finally:
        stop_lb(p)
        srv.stop()


@pytest.mark.parametrize("mode", MODES)
def test_a_chunked_upload_past_max_body_in_one_large_chunk_is_413(brace, tmp_path, mode):
    """The data of a large chunk is spliced unseen, but still counted."""
    srv = sink_server()
    p = start_lb(brace, srv.addr, tmp_path, mode, "--max-body", "200k")
    try:
        path = "/upload?t=" + tag()
        s = p.connect(timeout=60)
        s.sendall(b"POST %s HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                  % path.encode())
        try:
            s.sendall(b"%x\r\n" % (4 << 20) + pattern(4 << 20))
        except OSError:
            pass                        # the proxy may close before it all went
        status, headers, _ = read_response_file(s.makefile("rb"))
        s.close()
        assert status == 413 and headers["connection"] == "close"
        assert logged(p, path)["status"] == 413
        deadline = time.time() + 60
        while not srv.got and time.time() < deadline:
            time.sleep(0.05)
        _, got = split_head(srv.got[0])
        assert len(got) <= (200 << 10) + (64 << 10)   # past the limit by a pipe at most
        settles(p, "brace_client_connections", 0)
    finally:
        stop_lb(p)
        srv.stop()


# ---- bodies that stop halfway ----

@pytest.mark.parametrize("mode", MODES)
def test_client_that_stops_reading_mid_body_is_closed_and_logged_with_the_bytes_it_was_sent(
        brace, backend, tmp_path, mode):
    p = start_lb(brace, backend.addr, tmp_path, mode, "--timeout-client", "2s")
    try:
        size = 24 << 20
        path = "/big?size=%d&t=%s" % (size, tag())
        s = p.connect(timeout=120)
        s.sendall(b"GET %s HTTP/1.1\r\nHost: t\r\n\r\n" % path.encode())
        raw = bytearray()
        while len(raw) < 300000:
            raw += s.recv(65536)
        # stop reading: the proxy must give up after timeout-client, not wait forever
        rec = logged(p, path, timeout=120)
        assert rec["status"] == 200
        assert 0 < rec["bytes"] < size
        raw += read_all(s)
        s.close()
        head, body = split_head(bytes(raw))
        assert len(body) == rec["bytes"]           # what the log says is what came
        assert body == pattern(size)[:len(body)]
        settles(p, "brace_client_connections", 0)
        settles(p, 'brace_server_active_connections', 0)
        assert get(p.port, "/big?size=70001")[0] == 200
    finally:
        stop_lb(p)


def read_head(c):
    """Read a request head from socket c: True, or False (and c closed) if it closed first."""
    req = b""
    while b"\r\n\r\n" not in req:
        d = c.recv(65536)
        if not d:
            c.close()
            return False
        req += d
    return True


def cut_server(framing, body_bytes):
    """A server that answers a request with the head of a 4 MiB body (framing
    content-length or chunked, one chunk), sends body_bytes of it and closes."""
    data = pattern(body_bytes)

    def serve(c):
        if not read_head(c):
            return
        if framing == "content-length":
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % (4 << 20))
            sent = data
        else:
            c.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            sent = b"%x\r\n" % (4 << 20) + data
        c.sendall(sent)
        srv.sent.append(sent)
        c.close()
    srv = RawServer(serve)
    srv.sent = []
    return srv


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
@pytest.mark.parametrize("mode", MODES)
def test_server_closing_mid_body_passes_on_what_came_then_closes(brace, tmp_path, mode,
                                                                 framing):
    srv = cut_server(framing, (1 << 20) + 12345)
    p = start_lb(brace, srv.addr, tmp_path, mode)
    try:
        path = "/cut?t=" + tag()
        s = p.connect(timeout=60)
        s.sendall(b"GET %s HTTP/1.1\r\nHost: t\r\n\r\n" % path.encode())
        head, body = split_head(read_all(s))   # the proxy closes: never a made-up end
        s.close()
        assert head.startswith(b"HTTP/1.1 200 ")
        assert body == srv.sent[0]
        rec = logged(p, path)
        assert rec["status"] == 200 and rec["bytes"] == len(body)
        settles(p, "brace_client_connections", 0)
        settles(p, 'brace_server_active_connections', 0)
    finally:
        stop_lb(p)
        srv.stop()


def sink_server():
    """A server that reads a request until the connection closes and keeps
    what came (got), counting as it goes (progress)."""
    def serve(c):
        data = bytearray()
        while True:
            try:
                d = c.recv(1 << 20)
            except OSError:
                break
            if not d:
                break
            data += d
            srv.progress = len(data)
        srv.got.append(bytes(data))
        c.close()
    srv = RawServer(serve)
    srv.got = []
    srv.progress = 0
    return srv


@pytest.mark.parametrize("abort", ["close", "reset"])
@pytest.mark.parametrize("framing", ["content-length", "chunked"])
@pytest.mark.parametrize("mode", MODES)
def test_upload_aborted_halfway_frees_the_stream_and_logs_499(brace, tmp_path, mode, framing,
                                                             abort):
    srv = sink_server()
    p = start_lb(brace, srv.addr, tmp_path, mode)
    try:
        data = pattern(2 << 20)
        path = "/upload?t=" + tag()
        s = p.connect(timeout=60)
        if framing == "content-length":
            s.sendall(b"POST %s HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n"
                      % (path.encode(), 8 << 20))
            body = data
        else:
            s.sendall(b"POST %s HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                      % path.encode())
            body = b"%x\r\n" % (8 << 20) + data
        s.sendall(body)
        # let the proxy pass some of it on before the client gives up
        deadline = time.time() + 60
        while srv.progress < 1 << 20 and time.time() < deadline:
            time.sleep(0.05)
        assert srv.progress >= 1 << 20
        if abort == "reset":
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        s.close()
        rec = logged(p, path)
        assert rec["status"] == 499 and rec["bytes"] == 0
        settles(p, "brace_client_connections", 0)
        settles(p, 'brace_server_active_connections', 0)
        deadline = time.time() + 60
        while not srv.got and time.time() < deadline:
            time.sleep(0.05)
        assert srv.got, "the server's connection was never closed"
        _, got = split_head(srv.got[0])
        assert 0 < len(got) <= len(body) and got == body[:len(got)]
    finally:
        stop_lb(p)
        srv.stop()


# ---- what a stalled stream holds ----

def test_a_stalled_client_holds_one_pipe_while_splicing_and_none_afterwards(brace, backend,
                                                                            tmp_path):
    p = start_lb(brace, backend.addr, tmp_path, "splice", "--timeout-client", "2s")
    try:
        base = pipes_of(p.proc.pid)
        path = "/big?size=%d&t=%s" % (24 << 20, tag())
        s = p.connect(timeout=120)
        s.sendall(b"GET %s HTTP/1.1\r\nHost: t\r\n\r\n" % path.encode())
        assert len(s.recv(65536)) > 0
        deadline = time.time() + 30
        while pipes_of(p.proc.pid) == base and time.time() < deadline:
            time.sleep(0.05)
        assert pipes_of(p.proc.pid) == base + 2     # one pipe: two ends
        logged(p, path, timeout=120)                # timed out and closed
        # the pipe still held bytes: closed, not handed to anyone else
        assert pipes_of(p.proc.pid) == base
        s.close()
    finally:
        stop_lb(p)


def test_with_splice_off_no_pipe_is_ever_opened(brace, backend, tmp_path):
    p = start_lb(brace, backend.addr, tmp_path, "no-splice")
    try:
        base = pipes_of(p.proc.pid)
        status, headers, body = get(p.port, "/big?size=%d" % (5 << 20))
        assert status == 200 and sha(body) == headers["x-sha256"]
        assert pipes_of(p.proc.pid) == base
    finally:
        stop_lb(p)


@pytest.mark.parametrize("in_file,flag,pipes", [("no", "--splice", True),
                                                  ("yes", "--no-splice", False)])
def test_splice_flag_wins_over_the_file(brace, backend, tmp_path, in_file, flag, pipes):
    conf, port = tmp_path / "lb.conf", free_port()
    conf.write_text("[global]\nsplice = %s\nthreads = 1\n\n[listen web]\n"
                    "bind = 127.0.0.1:%d\ndefault-pool = app\n\n[pool app]\nserver = a %s\n"
                    % (in_file, port, backend.addr))
    p = LBProc([brace, "lb", "-c", str(conf), "--no-journal", flag])
    try:
        base = pipes_of(p.proc.pid)
        status, headers, body = get(port, "/big?size=%d" % (5 << 20))
        assert status == 200 and sha(body) == headers["x-sha256"]
        # a pipe that was used is kept in the worker's pool
        assert (pipes_of(p.proc.pid) > base) == pipes
    finally:
        stop_lb(p)


def stalling_server(total, block=1 << 20):
    """A server that answers every request with a body of total bytes, as fast as it may."""
    data = pattern(block)

    def serve(c):
        if not read_head(c):
            return
        try:
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % total)
            for _ in range(total // block):
                c.sendall(data)
        except OSError:
            pass
        c.close()
    return RawServer(serve)


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.mark.parametrize("mode", MODES)
def test_a_gigabyte_to_25_clients_that_do_not_read_costs_a_few_megabytes(tmp_path, mode):
    """Backpressure: each stalled stream holds one buffer (and, splicing, one
    pipe) at most, never what the server would send. The optimised binary:
    the sanitized one's memory says little."""
    srv = stalling_server(40 << 20)
    p = start_lb(brace_opt_path(), srv.addr, tmp_path, mode, "--timeout-client", "10m")
    clients = []
    try:
        before = rss_kib(p.proc.pid)
        for _ in range(25):
            s = p.connect(timeout=60)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
            s.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
            clients.append(s)
        for s in clients:
            assert len(s.recv(4096)) > 0
        # the streams fill what the sockets hold, then stall: the most seen while they do
        peak = 0
        for _ in range(20):
            peak = max(peak, rss_kib(p.proc.pid))
            time.sleep(0.2)
        grown = peak - before
        assert grown < 8 * 1024, "%d KiB more for 25 stalled clients" % grown
        print("\n%s: RSS %d KiB before, %d KiB more with 25 stalled 40 MiB responses"
              % (mode, before, grown))
    finally:
        for s in clients:
            s.close()
        stop_lb(p)
        srv.stop()
