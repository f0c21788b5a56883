#!/usr/bin/python3
"""The demo's culprit: a "cron job" that opens a batch of database
connections at once (its pool warming up) and holds them while it works.

Not part of brace: a stand-in for the nightly job of `make demo`."""
import argparse
import sys
import threading
import time

import psycopg2


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dsn", required=True)
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--hold", type=float, default=3.0)
    a = p.parse_args()
    conns, errors = [], []

    def connect():
        # Its connection pool warms up: every connection at once.
        try:
            c = psycopg2.connect(a.dsn, connect_timeout=10)
            c.cursor().execute("SELECT 1")
            conns.append(c)
        except psycopg2.Error as e:
            errors.append(e)

    ts = [threading.Thread(target=connect) for _ in range(a.connections)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    failed = len(errors)
    time.sleep(a.hold)
    for c in conns:
        c.close()
    if failed:
        print("invsync: %d of %d connections refused" % (failed, a.connections),
              file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
