#!/usr/bin/python3
"""The demo's visitors: a steady RATE of GET requests to URL from a few
threads until SIGTERM (or --duration). Each answer's status is counted; the
counts are printed at the end.

Not part of brace: a stand-in for the launch's traffic in `make demo`."""
import argparse
import collections
import signal
import sys
import threading
import time
import urllib.error
import urllib.request


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--rate", type=float, default=40)
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--duration", type=float, default=600)
    a = p.parse_args()
    stop = threading.Event()
    counts = collections.Counter()
    lock = threading.Lock()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    gap = a.threads / a.rate
    end = time.monotonic() + a.duration

    def visitor():
        nxt = time.monotonic()
        while not stop.is_set() and time.monotonic() < end:
            try:
                with urllib.request.urlopen(a.url, timeout=10) as r:
                    r.read()
                    code = r.status
            except urllib.error.HTTPError as e:
                code = e.code
            except OSError:
                code = 0
            with lock:
                counts[code] += 1
            nxt += gap
            stop.wait(max(0.0, nxt - time.monotonic()))

    ts = [threading.Thread(target=visitor, daemon=True) for _ in range(a.threads)]
    for t in ts:
        t.start()
    while not stop.is_set() and time.monotonic() < end:
        stop.wait(0.2)
    for t in ts:
        t.join(15)
    print(" ".join("%s=%d" % (k, v) for k, v in sorted(counts.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
