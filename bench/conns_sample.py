#!/usr/bin/python3
"""bench/conns_sample.py - what one `brace conns` sample costs on loopback.

Starts the same private PostgreSQL and MariaDB servers as the integration
tests (tests/integration/servers.py, max_connections=20), and for each with
1 and with 17 client sessions (brace's own, plus idle, idle in transaction
and active ones) measures:

  * the sample itself: `brace conns --watch 100ms` keeps one connection
    and prints sample_ms (the time the sample's queries took, measured
    inside brace with a monotonic clock) on every line; SAMPLES samples,
    the first 10 dropped as warm-up;
  * a one-shot check end to end (start, connect, log in, sample, print,
    exit): hyperfine over `brace conns --nagios URL`.

Usage: bench/conns_sample.py [BRACE]   (default build/brace, the optimised binary)
Prints a Markdown table for docs/PERFORMANCE.md.
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

import servers  # noqa: E402
from conns_helpers import Sessions  # noqa: E402

SAMPLES = 310


def watch_samples(brace, url):
    p = subprocess.Popen([brace, "conns", "--watch", "100ms", url], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True,
                         env=dict(os.environ, BRACE_JOURNAL=os.path.join(TMP, "j.db")))
    values = []
    for line in p.stdout:
        for field in line.split():
            if field.startswith("sample_ms="):
                values.append(float(field.split("=", 1)[1]))
        if len(values) >= SAMPLES:
            break
    p.terminate()
    p.wait()
    return values[10:]


def one_shot(brace, url):
    if shutil.which("hyperfine") is None:
        return None
    out = os.path.join(TMP, "hf.json")
    subprocess.run(["hyperfine", "-N", "--warmup", "5", "--runs", "100", "-i",
                    "--export-json", out, "%s conns --nagios %s" % (brace, url)],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    with open(out) as f:
        r = json.load(f)["results"][0]
    return r["median"] * 1000, r["mean"] * 1000


def fill(kind, server, s):
    """16 more sessions: 8 idle, 4 idle in transaction, 4 active."""
    if kind == "mariadb":
        server.sql("CREATE TABLE IF NOT EXISTS appdb.conns_t (id int PRIMARY KEY, v int)"
                   " ENGINE=InnoDB; INSERT IGNORE INTO appdb.conns_t VALUES (1, 0)")
    s.idle(8)
    s.idle_in_transaction(4)
    s.active(4)


def main():
    brace = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "brace")
    rows = []
    for kind, cls in (("pg", servers.Postgres), ("mariadb", servers.MariaDB)):
        server = cls()
        try:
            server.start()
            s = Sessions(server, kind)
            for n in (1, 17):
                if n == 17:
                    fill(kind, server, s)
                v = watch_samples(brace, server.url())
                q = statistics.quantiles(v, n=100)
                shot = one_shot(brace, server.url())
                rows.append((kind, n, len(v), statistics.median(v), q[94], max(v), shot))
            s.close()
        finally:
            server.stop()
    print("| server | sessions | samples | sample median | p95 | max | one-shot check median |")
    print("|---|---|---|---|---|---|---|")
    for kind, n, count, med, p95, mx, shot in rows:
        name = "PostgreSQL" if kind == "pg" else "MariaDB"
        print("| %s | %d | %d | %.2f ms | %.2f ms | %.2f ms | %s |" % (
            name, n, count, med, p95, mx, "%.1f ms" % shot[0] if shot else "-"))


if __name__ == "__main__":
    TMP = tempfile.mkdtemp(prefix="brace-bench-")
    try:
        main()
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
