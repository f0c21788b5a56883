"""A real HTTP/1.1 backend for the load balancer tests, in this process.

Each Backend listens on a loopback port with keep-alive, counts the
connections and requests it gets, and answers a few paths that the tests use:

  /                 its own name
  /slow?ms=N        its name, after N milliseconds
  /headers          the request headers it received, as JSON
  /upload           (POST/PUT) sha256 and length of the body (Content-Length or chunked)
  /chunked?size=N[&step=M]  N bytes in a chunked response, in chunks of M
                    bytes (7919); X-Sha256 has their digest
  /big?size=N       N bytes with Content-Length
  /closed?size=N    N bytes delimited by closing the connection (no length)
  /status?code=N    an empty answer with that status
  /health           an empty answer with the status in backend.health (200 at first)
  /close            an answer with Connection: close
  /ws               a WebSocket echo (RFC 6455 frames, unmasked back)

A backend made with delay=S answers every request S seconds late.
"""
import base64
import hashlib
import json
import random
import socket
import ssl
import struct
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def pattern(n):
    """n bytes that never repeat at a short period (a block relayed out of
    order changes the checksum), the same for the same n."""
    return random.Random(n).randbytes(n)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # head and body go out in separate writes: without this, Nagle and
    # delayed ACKs make every answer 40 ms late
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def setup(self):
        super().setup()
        with self.server.lock:
            self.server.connections += 1

    def _finished(self):
        """The request stops counting as active before its answer leaves:
        once the proxy has the answer it may hand the slot to the next
        request at once, and that one must not find this one still counted."""
        if getattr(self, "_counted", False):
            self._counted = False
            with self.server.lock:
                self.server.active -= 1

    def _send(self, code, body=b"", headers=None):
        self._finished()
        self.send_response(code)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if code not in (204, 304) and not (100 <= code < 200):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and self.command != "HEAD" and code not in (204, 304):
            self.wfile.write(body)

    def _read_body(self):
        te = self.headers.get("Transfer-Encoding", "")
        if "chunked" in te.lower():
            data = bytearray()
            while True:
                line = self.rfile.readline()
                size = int(line.split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(data)
                data += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length", "0") or 0)
        return self.rfile.read(n) if n else b""

    def _handle(self):
        srv = self.server
        url = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        with srv.lock:
            srv.requests += 1
            srv.paths.append(self.path)
            srv.active += 1
            srv.max_active = max(srv.max_active, srv.active)
        self._counted = True
        try:
            self._route(url.path, q)
        finally:
            self._finished()

    def _route(self, path, q):
        srv = self.server
        name = srv.name.encode()
        if srv.delay:
            time.sleep(srv.delay)
        if path == "/slow":
            time.sleep(int(q.get("ms", "1000")) / 1000.0)
            self._send(200, name + b"\n")
        elif path == "/headers":
            body = json.dumps([[k, v] for k, v in self.headers.items()]).encode()
            self._send(200, body, {"Content-Type": "application/json"})
        elif path == "/upload":
            body = self._read_body()
            out = json.dumps({"sha256": hashlib.sha256(body).hexdigest(),
                              "length": len(body)}).encode()
            self._send(200, out)
        elif path == "/chunked":
            data = pattern(int(q.get("size", "1024")))
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("X-Sha256", hashlib.sha256(data).hexdigest())
            self.end_headers()
            step = int(q.get("step", "7919"))
            for i in range(0, len(data), step):
                part = data[i:i + step]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
        elif path == "/big":
            data = pattern(int(q.get("size", "1024")))
            self._send(200, data, {"X-Sha256": hashlib.sha256(data).hexdigest()})
        elif path == "/closed":
            data = pattern(int(q.get("size", "1024")))
            self.close_connection = True
            self.send_response(200)
            self.send_header("X-Sha256", hashlib.sha256(data).hexdigest())
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data)
        elif path == "/health":
            self._send(srv.health)
        elif path == "/status":
            self._send(int(q.get("code", "200")), b"")
        elif path == "/close":
            self.close_connection = True
            self._send(200, name + b"\n", {"Connection": "close"})
        elif path == "/ws":
            self._websocket()
        else:
            self._send(200, name + b"\n")

    def _websocket(self):
        key = self.headers.get("Sec-WebSocket-Key", "")
        accept = base64.b64encode(hashlib.sha1(
            (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
        self.send_response(101)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept)
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        while True:
            frame = ws_read_frame(self.rfile)
            if frame is None:
                return
            opcode, payload = frame
            if opcode == 8:
                self.wfile.write(ws_frame(8, payload, mask=False))
                return
            self.wfile.write(ws_frame(opcode, b"echo:" + payload, mask=False))
            self.wfile.flush()

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_OPTIONS = _handle


def ws_frame(opcode, payload, mask=True):
    head = bytes([0x80 | opcode])
    n = len(payload)
    mbit = 0x80 if mask else 0
    if n < 126:
        head += bytes([mbit | n])
    elif n < 65536:
        head += bytes([mbit | 126]) + struct.pack("!H", n)
    else:
        head += bytes([mbit | 127]) + struct.pack("!Q", n)
    if not mask:
        return head + payload
    key = b"\x01\x02\x03\x04"
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def ws_read_frame(f):
    h = f.read(2)
    if len(h) < 2:
        return None
    opcode = h[0] & 0x0F
    n = h[1] & 0x7F
    masked = h[1] & 0x80
    if n == 126:
        n = struct.unpack("!H", f.read(2))[0]
    elif n == 127:
        n = struct.unpack("!Q", f.read(8))[0]
    key = f.read(4) if masked else None
    data = f.read(n)
    if key:
        data = bytes(b ^ key[i % 4] for i, b in enumerate(data))
    return opcode, data


class _Server(ThreadingHTTPServer):
    request_queue_size = 128    # the default 5 drops SYNs under a burst of connects
    tls = None                  # an ssl.SSLContext: speak HTTPS

    def get_request(self):
        sock, addr = super().get_request()
        if self.tls is not None:
            # the handshake happens in the connection's thread, at its first read
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr


class Backend:
    def __init__(self, name, port=0, delay=0.0, tls=None):
        """tls: (certificate file, key file) to answer over HTTPS; the server
        names clients asked for are kept in sni_names."""
        self.httpd = _Server(("127.0.0.1", port), _Handler)
        self.sni_names = []
        if tls is not None:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(tls[0], tls[1])
            ctx.sni_callback = lambda sock, name, c: self.sni_names.append(name) and None
            self.httpd.tls = ctx
        self.httpd.delay = delay
        self.httpd.daemon_threads = True
        self.httpd.name = name
        self.httpd.lock = threading.Lock()
        self.httpd.connections = 0
        self.httpd.requests = 0
        self.httpd.active = 0
        self.httpd.max_active = 0
        self.httpd.paths = []
        self.httpd.health = 200
        self.name = name
        self.port = self.httpd.server_address[1]
        self.addr = "127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def requests(self):
        return self.httpd.requests

    @property
    def health(self):
        return self.httpd.health

    @health.setter
    def health(self, code):
        self.httpd.health = code

    @property
    def connections(self):
        return self.httpd.connections

    @property
    def max_active(self):
        return self.httpd.max_active

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class RawServer:
    """A loopback TCP server that hands each connection to serve(sock) in a
    thread of its own, and counts the connections it accepted."""

    def __init__(self, serve):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.addr = "127.0.0.1:%d" % self.port
        self.conns = 0
        self.serve = serve
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns += 1
            threading.Thread(target=self.serve, args=(c,), daemon=True).start()

    def stop(self):
        self.sock.close()


def echo(c):
    """serve() for RawServer: send back what comes, pass the FIN on."""
    while True:
        d = c.recv(65536)
        if not d:
            break
        c.sendall(d)
    c.shutdown(socket.SHUT_WR)
    c.close()


def closed_port():
    """A loopback port nobody listens on."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
