#!/usr/bin/python3
"""The demo's web application: like the night's PHP, every request opens its
own database connection, runs a query and closes it. A refused connection is
a 500 for the client. GET /health answers without the database.

The database to use is read from --dsn-file on each request, so that the demo
can move the app behind a TCP load balancer without restarting it.

Not part of brace: a stand-in for the application of `make demo`."""
import argparse
import http.server
import os
import signal
import sys

import psycopg2


class App(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    dsn_file = None

    def reply(self, code, body):
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/health":
            self.reply(200, "ok\n")
            return
        try:
            with open(self.dsn_file) as f:
                dsn = f.read().strip()
            conn = psycopg2.connect(dsn, connect_timeout=10)
            try:
                cur = conn.cursor()
                cur.execute("SELECT count(*) FROM pg_stat_activity, pg_sleep(0.02)")
                n = cur.fetchone()[0]
            finally:
                conn.close()
            self.reply(200, "ok: %d sessions\n" % n)
        except (psycopg2.Error, OSError) as e:
            self.reply(500, "database: %s\n" % str(e).strip().splitlines()[0])

    def log_message(self, fmt, *args):
        pass


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--dsn-file", required=True)
    a = p.parse_args()
    App.dsn_file = a.dsn_file
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", a.port), App)
    srv.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        srv.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        srv.server_close()
    os._exit(0)


if __name__ == "__main__":
    main()
