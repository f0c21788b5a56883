"""A page in a real browser: headless Chromium driven through the DevTools
protocol over its WebSocket, with the Python standard library only.

    with Browser(tmp_dir) as b:
        b.open("file:///.../report.html")
        b.eval("document.title")
        b.click("#t-slow th:nth-child(8)")
        b.screenshot("build/report.png")
        b.errors    # console errors, uncaught exceptions, failed loads

Every wait has a deadline; a browser that does not answer fails the test
instead of hanging it.
"""
import base64
import json
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time

DEADLINE = 60


class BrowserError(Exception):
    pass


class WebSocket:
    """The client side of RFC 6455, text frames only, enough for DevTools."""

    def __init__(self, url, timeout=DEADLINE):
        assert url.startswith("ws://")
        hostport, path = url[5:].split("/", 1)
        host, port = hostport.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(("GET /%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
                           "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n" % (path, hostport, key)).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise BrowserError("the browser closed the WebSocket during the handshake")
            head += chunk
        head, self.pending = head.split(b"\r\n\r\n", 1)
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise BrowserError("WebSocket handshake refused: %r" % head[:200])

    def _read(self, n):
        while len(self.pending) < n:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise BrowserError("the browser closed the WebSocket")
            self.pending += chunk
        out, self.pending = self.pending[:n], self.pending[n:]
        return out

    def send(self, text):
        data = text.encode()
        mask = os.urandom(4)
        n = len(data)
        if n < 126:
            head = struct.pack("!BB", 0x81, 0x80 | n)
        elif n < 1 << 16:
            head = struct.pack("!BBH", 0x81, 0x80 | 126, n)
        else:
            head = struct.pack("!BBQ", 0x81, 0x80 | 127, n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        self.sock.sendall(head + mask + masked)

    def recv(self):
        message = b""
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._read(8))[0]
            payload = self._read(n)
            opcode = b0 & 0x0F
            if opcode == 8:
                raise BrowserError("the browser closed the WebSocket")
            if opcode in (0, 1, 2):
                message += payload
                if b0 & 0x80:
                    return message.decode()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def http_get(port, path):
    """The body of a GET on the DevTools HTTP endpoint (it keeps the connection
    open: the body is read by its Content-Length)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % (path, port)).encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                raise OSError("connection closed")
            data += chunk
        head, body = data.split(b"\r\n\r\n", 1)
        length = 0
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                length = int(v.strip())
        while len(body) < length:
            chunk = s.recv(65536)
            if not chunk:
                raise OSError("connection closed")
            body += chunk
        return body[:length]
    finally:
        s.close()


class Browser:
    def __init__(self, tmp_dir, width=1400, height=900):
        exe = shutil.which("chromium")
        if exe is None:
            raise BrowserError("chromium is not installed (scripts/install-deps installs it)")
        self.profile = tempfile.mkdtemp(prefix="chromium-", dir=str(tmp_dir))
        self.proc = subprocess.Popen(
            [exe, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--no-first-run", "--user-data-dir=" + self.profile, "--remote-debugging-port=0",
             "--remote-allow-origins=*", "--window-size=%d,%d" % (width, height),
             "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.ws = None
        self.next_id = 0
        self.errors = []
        self.events = []
        try:
            port = self._port()
            self.ws = WebSocket(self._page_url(port))
            for domain in ("Runtime", "Log", "Page"):
                self.call(domain + ".enable")
        except BaseException:
            self.close()
            raise

    def _port(self):
        path = os.path.join(self.profile, "DevToolsActivePort")
        end = time.monotonic() + DEADLINE
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise BrowserError("chromium exited: %s" % self.proc.stderr.read()[-2000:])
            try:
                with open(path) as f:
                    first = f.readline().strip()
                if first:
                    return int(first)
            except (OSError, ValueError):
                pass
            time.sleep(0.1)
        raise BrowserError("chromium did not open its DevTools port within %d s" % DEADLINE)

    def _page_url(self, port):
        end = time.monotonic() + DEADLINE
        while time.monotonic() < end:
            try:
                targets = json.loads(http_get(port, "/json/list"))
                for t in targets:
                    if t.get("type") == "page":
                        return t["webSocketDebuggerUrl"]
            except (OSError, ValueError, IndexError):
                pass
            time.sleep(0.2)
        raise BrowserError("no page target within %d s" % DEADLINE)

    def _note(self, msg):
        """Keep an event; remember the ones that are errors on the page."""
        method, p = msg.get("method"), msg.get("params", {})
        self.events.append(msg)
        if method == "Runtime.exceptionThrown":
            d = p["exceptionDetails"]
            self.errors.append("exception: %s %s" % (
                d.get("text"), d.get("exception", {}).get("description", "")))
        elif method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            self.errors.append("console.%s: %s" % (p["type"], " ".join(
                str(a.get("value", a.get("description"))) for a in p.get("args", []))))
        elif method == "Log.entryAdded" and p["entry"].get("level") == "error":
            self.errors.append("log: %s %s" % (p["entry"].get("text"), p["entry"].get("url", "")))

    def call(self, method, **params):
        self.next_id += 1
        mine = self.next_id
        self.ws.send(json.dumps({"id": mine, "method": method, "params": params}))
        end = time.monotonic() + DEADLINE
        while time.monotonic() < end:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == mine:
                if "error" in msg:
                    raise BrowserError("%s: %s" % (method, msg["error"]))
                return msg.get("result", {})
            self._note(msg)
        raise BrowserError("%s: no answer within %d s" % (method, DEADLINE))

    def wait_event(self, method):
        for msg in self.events:
            if msg.get("method") == method:
                self.events.remove(msg)
                return msg
        end = time.monotonic() + DEADLINE
        while time.monotonic() < end:
            msg = json.loads(self.ws.recv())
            self._note(msg)
            if msg.get("method") == method:
                self.events.remove(msg)
                return msg
        raise BrowserError("no %s within %d s" % (method, DEADLINE))

    def open(self, url):
        self.events = []
        self.call("Page.navigate", url=url)
        self.wait_event("Page.loadEventFired")
        # let the page's own scripts run their load work
        self.eval("new Promise(function (r) { setTimeout(r, 100); })", promise=True)

    def eval(self, expr, promise=False):
        r = self.call("Runtime.evaluate", expression=expr, returnByValue=True,
                      awaitPromise=promise)
        if "exceptionDetails" in r:
            raise BrowserError("%s: %s" % (expr, r["exceptionDetails"]))
        return r["result"].get("value")

    def click(self, selector):
        """A real mouse click (pressed and released) at the middle of the element."""
        box = self.eval("(function () { var e = document.querySelector(%s);"
                        "e.scrollIntoView({block: 'center'});"
                        "var r = e.getBoundingClientRect();"
                        "return [r.left + r.width / 2, r.top + r.height / 2]; })()"
                        % json.dumps(selector))
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1],
                      button="left" if kind != "mouseMoved" else "none", clickCount=1)

    def hover(self, selector, fx=0.5, fy=0.5):
        box = self.eval("(function () { var e = document.querySelector(%s);"
                        "e.scrollIntoView({block: 'center'});"
                        "var r = e.getBoundingClientRect();"
                        "return [r.left + r.width * %f, r.top + r.height * %f]; })()"
                        % (json.dumps(selector), fx, fy))
        self.call("Input.dispatchMouseEvent", type="mouseMoved", x=box[0], y=box[1])

    def type_text(self, selector, text):
        self.eval("document.querySelector(%s).focus()" % json.dumps(selector))
        self.call("Input.insertText", text=text)

    def screenshot(self, path, width=1400, clip=None):
        """The whole page as a PNG at path (or the part clip = (x, y, w, h))."""
        height = int(self.eval("Math.ceil(document.documentElement.scrollHeight)"))
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=min(height, 16000),
                  deviceScaleFactor=1, mobile=False)
        args = {"format": "png", "captureBeyondViewport": True}
        if clip is not None:
            args["clip"] = dict(zip(("x", "y", "width", "height"), clip), scale=1)
        png = self.call("Page.captureScreenshot", **args)
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "wb") as f:
            f.write(base64.b64decode(png["data"]))

    def close(self):
        if self.ws is not None:
            self.ws.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
        self.proc.stderr.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
