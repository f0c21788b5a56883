"""Servers that hang in the ways a database on a bad night does, for the
deadline tests: one that accepts the TCP connection and never says a word,
and a proxy to a real server that lets the login through and then stalls
the first query (the server accepted the login, then went silent).
Real sockets and real servers; only the silence is made up."""
import os
import shutil
import socket
import subprocess
import tempfile
import threading

from httpbackend import RawServer


class SilentServer(RawServer):
    """Listens on a loopback port, accepts every connection, never answers."""

    def __init__(self):
        self.held = []
        super().__init__(self.held.append)

    @property
    def accepted(self):
        return self.conns

    def close(self):
        self.stop()
        for c in self.held:
            c.close()


def _is_query(kind, data):
    """Does this client packet start a query (not a step of the login)?"""
    if kind == "pg":
        # The simple query message; startup and password messages differ.
        return data[:1] == b"Q"
    # MySQL: a packet with sequence id 0 and COM_QUERY (0x03).
    return len(data) >= 5 and data[3] == 0 and data[4] == 3


class StallAfterLogin(RawServer):
    """A TCP proxy to a real server (kind 'pg' or 'mysql'): the login goes
    through, the first query is swallowed and nothing more is forwarded."""

    def __init__(self, kind, port):
        self.kind = kind
        self.target = ("127.0.0.1", port)
        self.stalled = 0
        self.socks = []
        super().__init__(self._relay)

    def _relay(self, c):
        s = socket.create_connection(self.target)
        self.socks += [c, s]
        threading.Thread(target=self._pipe, args=(s, c, False), daemon=True).start()
        self._pipe(c, s, True)

    def _pipe(self, src, dst, from_client):
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                return
            if not data:
                return
            if from_client and _is_query(self.kind, data):
                self.stalled += 1
                return          # swallowed: the client waits for an answer for ever
            try:
                dst.sendall(data)
            except OSError:
                return

    def close(self):
        self.stop()
        for c in self.socks:
            try:
                c.close()
            except OSError:
                pass


class HangingDNS:
    """Name resolution that never answers, for commands run through wrap():
    a private mount namespace (unshare -m, root only) in which
    /etc/resolv.conf names a loopback UDP socket that reads queries and
    never replies."""

    def __init__(self):
        if os.geteuid() != 0 or shutil.which("unshare") is None:
            raise RuntimeError("needs root and unshare(1)")
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for last in range(2, 250):
            try:
                self.udp.bind(("127.0.83.%d" % last, 53))
                break
            except OSError:
                continue
        else:
            raise RuntimeError("no loopback address with a free port 53")
        self.addr = self.udp.getsockname()[0]
        self.dir = tempfile.mkdtemp(prefix="brace-dns-")
        self.conf = os.path.join(self.dir, "resolv.conf")
        with open(self.conf, "w") as f:
            f.write("nameserver %s\noptions timeout:5 attempts:3\n" % self.addr)
        self.done = False
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):
        while not self.done:
            try:
                self.udp.recvfrom(4096)
            except OSError:
                return

    def wrap(self, argv):
        """argv run in a mount namespace that sees our resolv.conf."""
        script = 'mount --bind "$0" /etc/resolv.conf && exec "$@"'
        return ["unshare", "-m", "sh", "-c", script, self.conf] + list(argv)

    def close(self):
        self.done = True
        self.udp.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def run_hanging_dns_check():
    """Can this machine make DNS hang for a child (for skips)?"""
    try:
        d = HangingDNS()
    except (RuntimeError, OSError):
        return False
    try:
        r = subprocess.run(d.wrap(["true"]), stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=30)
        return r.returncode == 0
    finally:
        d.close()
