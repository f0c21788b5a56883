"""Start and stop `brace lb` for a test, talk HTTP to it over raw sockets, and
read what it reports (its admin port, its journal)."""
import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.request

from servers import free_port


class LBProc:
    """brace lb run as argv (the whole command line), its stderr collected; waits
    until stderr says wait_for (None: does not wait) and raises if it exits first."""

    def __init__(self, argv, env=None, wait_for="listening on"):
        e = dict(os.environ)
        e.update(env or {})
        self.proc = subprocess.Popen([str(a) for a in argv], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, env=e)
        self.err = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        deadline = time.time() + 30
        while wait_for is not None and wait_for not in self.stderr:
            if self.proc.poll() is not None or time.time() > deadline:
                self.stop()
                raise RuntimeError("brace lb did not start: " + self.stderr)
            time.sleep(0.02)

    def _read(self):
        for line in iter(self.proc.stderr.readline, b""):
            self.err.append(line.decode(errors="replace"))

    @property
    def stderr(self):
        return "".join(self.err)

    def stop(self, sig=signal.SIGTERM, timeout=60):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(5)
        return self.proc.returncode


class LB(LBProc):
    """brace lb --listen on a free port (or port) with args, started and waited for."""

    def __init__(self, brace, args, port=None, env=None):
        self.port = port or free_port()
        self.addr = "127.0.0.1:%d" % self.port
        self.argv = [brace, "lb", "--listen", self.addr] + [str(a) for a in args]
        super().__init__(self.argv, env=env)

    def connect(self, timeout=10):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        return s


def read_response(sock, head_only=False):
    """Read one HTTP/1.1 response from sock: (status, headers dict lower-case, body)."""
    f = sock.makefile("rb")
    return read_response_file(f, head_only)


def read_response_file(f, head_only=False):
    line = f.readline()
    if not line:
        raise EOFError("connection closed")
    parts = line.decode().rstrip("\r\n").split(" ", 2)
    status = int(parts[1])
    headers = {}
    while True:
        h = f.readline().decode()
        if h in ("\r\n", "\n", ""):
            break
        k, v = h.split(":", 1)
        headers[k.strip().lower()] = v.strip()
    body = b""
    if head_only or status in (204, 304) or 100 <= status < 200:
        return status, headers, body
    if headers.get("transfer-encoding", "").lower() == "chunked":
        data = bytearray()
        while True:
            size = int(f.readline().split(b";")[0].strip(), 16)
            if size == 0:
                while f.readline() not in (b"\r\n", b"\n", b""):
                    pass
                break
            data += f.read(size)
            f.readline()
        body = bytes(data)
    elif "content-length" in headers:
        body = f.read(int(headers["content-length"]))
    else:
        body = f.read()
    return status, headers, body


def get(port, path="/", headers=None, timeout=30):
    """One request on a new connection: (status, headers, body)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        headers = dict(headers or {})
        host = headers.pop("Host", "test")
        h = "".join("%s: %s\r\n" % kv for kv in headers.items())
        s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\n%sConnection: close\r\n\r\n"
                   % (path, host, h)).encode())
        return read_response(s)
    finally:
        s.close()


def admin_get(port, path, token=None, timeout=30):
    """GET path on the admin port: (status, text); an error status raises HTTPError."""
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path))
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.status, r.read().decode()


def metric(text, name, **labels):
    """The value of the first sample of name in a /metrics page with (at least) these
    labels, or None."""
    for line in text.splitlines():
        if not (line.startswith(name + "{") or line.startswith(name + " ")):
            continue
        if all('%s="%s"' % kv in line for kv in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


def wait_for(cond, timeout=15, step=0.05):
    """cond() once it is true, or its last value after timeout seconds."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(step)
    return cond()


def journal_events(brace, path):
    """The events of the journal at path, as brace journal list --json gives them."""
    r = subprocess.run([brace, "journal", "--journal", str(path), "list", "--json"],
                       stdout=subprocess.PIPE, text=True, timeout=60)
    return [json.loads(x) for x in r.stdout.splitlines()]


def pipes_of(pid):
    """How many pipe ends process pid holds open."""
    n = 0
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            if os.readlink("/proc/%d/fd/%s" % (pid, fd)).startswith("pipe:"):
                n += 1
        except OSError:
            pass
    return n
