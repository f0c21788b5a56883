"""brace lb's time series in the journal: samples at the interval, per pool and
per server, that add up to the traffic that was sent (docs/lb.md, "Time
series")."""
import json
import re
import shutil
import socket
import subprocess
import threading
import time

import pytest

from httpbackend import RawServer, closed_port, echo
from lbproc import get, read_response, wait_for
from servers import free_port


def samples(brace, path, series=None):
    argv = [brace, "journal", "--journal", str(path), "samples"]
    if series:
        argv += ["--series", series]
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    return [json.loads(l) for l in r.stdout.splitlines()]


def rows(all_rows, series, **labels):
    """The rows of series whose labels are exactly labels."""
    return [r for r in all_rows if r["series"] == series and r["labels"] == labels]


def total(all_rows, series, **labels):
    return sum(r["value"] for r in rows(all_rows, series, **labels))


def keepalive_requests(port, paths):
    """Send every path on one keep-alive connection; the statuses."""
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    got = []
    try:
        for p in paths:
            s.sendall(("GET %s HTTP/1.1\r\nHost: t\r\n\r\n" % p).encode())
            got.append(read_response(s)[0])
    finally:
        s.close()
    return got


def test_samples_come_at_the_interval_and_add_up_to_what_was_sent(lb, backends, brace,
                                                                  tmp_path):
    a, b = backends(2)
    jpath = tmp_path / "journal.db"
    p = lb("-b", a.addr + ",name=a", "-b", b.addr + ",name=b", "--sample-interval", "1s",
           "--journal", str(jpath))
    sent = {"2xx": 0, "4xx": 0, "5xx": 0}
    for burst in range(3):
        paths = ["/"] * 90 + ["/status?code=404"] * 7 + ["/status?code=503"] * 3
        statuses = keepalive_requests(p.port, paths)
        assert statuses == [200] * 90 + [404] * 7 + [503] * 3
        sent["2xx"] += 90
        sent["4xx"] += 7
        sent["5xx"] += 3
        time.sleep(1.2)
    # a few more samples after the traffic, then the stop writes the last interval
    assert wait_for(lambda: len(rows(samples(brace, jpath, "lb_requests"), "lb_requests",
                                     pool="default")) >= 5)
    p.stop()
    got = samples(brace, jpath)
    n = sum(sent.values())
    assert total(got, "lb_requests", pool="default") == n
    for cls, count in sent.items():
        assert total(got, "lb_responses", pool="default", **{"class": cls}) == count
    assert total(got, "lb_responses", pool="default", **{"class": "3xx"}) == 0
    # the servers' rows add up to the pool's
    assert total(got, "lb_requests", pool="default", server="a") + \
        total(got, "lb_requests", pool="default", server="b") == n
    assert total(got, "lb_errors", pool="default") == 0
    # at the interval: one second apart (the last one, at the stop, may be sooner)
    stamps = [r["ts_ms"] for r in rows(got, "lb_requests", pool="default")]
    gaps = [b - a for a, b in zip(stamps, stamps[1:-1])]
    assert gaps and all(g >= 950 for g in gaps), gaps
    assert sorted(gaps)[len(gaps) // 2] <= 1500, gaps
    # latency where requests were answered, none where there were none
    for r in rows(got, "lb_requests", pool="default"):
        p50 = [x for x in rows(got, "lb_latency_p50_ms", pool="default")
               if x["ts_ms"] == r["ts_ms"]]
        p99 = [x for x in rows(got, "lb_latency_p99_ms", pool="default")
               if x["ts_ms"] == r["ts_ms"]]
        if r["value"] == 0:
            assert p50 == [] and p99 == []
        else:
            assert len(p50) == 1 and len(p99) == 1
            assert 0 < p50[0]["value"] <= p99[0]["value"] < 10000
    # every row is the lb's, labelled as the contract says
    assert {r["source"] for r in got} == {"lb"}
    series = {r["series"] for r in got}
    assert series == {"lb_requests", "lb_responses", "lb_errors", "lb_retries",
                      "lb_queue_length", "lb_queue_peak", "lb_queue_timeouts",
                      "lb_server_connections", "lb_latency_p50_ms", "lb_latency_p99_ms"}


def test_samples_add_up_to_what_wrk_got(lb, backends, brace, tmp_path):
    wrk = shutil.which("wrk")
    if wrk is None:
        pytest.skip("wrk is not installed")
    (a,) = backends(1)
    jpath = tmp_path / "journal.db"
    p = lb("-b", a.addr, "--sample-interval", "1s", "--journal", str(jpath))
    r = subprocess.run([wrk, "-t1", "-c4", "-d2s", "http://127.0.0.1:%d/" % p.port],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
    assert r.returncode == 0, r.stdout
    done = int(re.search(r"(\d+) requests in", r.stdout).group(1))
    assert done > 0
    p.stop()
    got = samples(brace, jpath)
    answered = total(got, "lb_requests", pool="default")
    # wrk counts the answers it read; at its end it may leave one per connection unread
    assert done <= answered <= done + 4, (done, answered)
    assert total(got, "lb_responses", pool="default", **{"class": "2xx"}) == answered


def test_errors_and_retries_are_sampled_per_server(lb, backends, brace, tmp_path):
    (a,) = backends(1)
    dead = closed_port()
    jpath = tmp_path / "journal.db"
    p = lb("-b", a.addr + ",name=a", "-b", "127.0.0.1:%d,name=dead" % dead, "--threads", "1",
           "--sample-interval", "1s", "--journal", str(jpath))
    assert [get(p.port)[0] for _ in range(10)] == [200] * 10
    p.stop()
    got = samples(brace, jpath)
    # requests sent to the dead server first are refused and retried on a, until it is
    # taken out (3 in a row) or for each try after its rest
    errors = total(got, "lb_errors", pool="default", server="dead")
    assert errors >= 3
    assert total(got, "lb_retries", pool="default", server="dead") == errors
    assert total(got, "lb_errors", pool="default") == errors
    assert total(got, "lb_retries", pool="default") == errors
    assert total(got, "lb_requests", pool="default") == 10
    assert total(got, "lb_requests", pool="default", server="a") == 10
    assert total(got, "lb_requests", pool="default", server="dead") == 0


def test_the_queue_is_sampled(lb, backends, brace, tmp_path):
    (a,) = backends(1)
    jpath = tmp_path / "journal.db"
    p = lb("-b", a.addr + ",maxconn=1", "--sample-interval", "1s", "--journal", str(jpath),
           "--queue-timeout", "300ms")
    results = []

    def slow():
        results.append(get(p.port, "/slow?ms=1000")[0])
    ts = [threading.Thread(target=slow) for _ in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    p.stop()
    assert sorted(results) == [200, 503, 503, 503]
    got = samples(brace, jpath)
    assert max(r["value"] for r in rows(got, "lb_queue_peak", pool="default")) == 3
    assert total(got, "lb_queue_timeouts", pool="default") == 3
    # brace's own 503s are answers too, counted under the pool
    assert total(got, "lb_requests", pool="default") == 4
    assert total(got, "lb_responses", pool="default", **{"class": "5xx"}) == 3
    assert total(got, "lb_requests", pool="default", server=a.addr) == 1
    assert rows(got, "lb_queue_length", pool="default")[-1]["value"] == 0


def test_server_connections_is_a_gauge(lb, backends, brace, tmp_path):
    (a,) = backends(1)
    jpath = tmp_path / "journal.db"
    p = lb("-b", a.addr + ",name=a", "--sample-interval", "1s", "--journal", str(jpath))
    ts = [threading.Thread(target=get, args=(p.port, "/slow?ms=2500")) for _ in range(2)]
    for t in ts:
        t.start()
    assert wait_for(lambda: any(r["value"] == 2 for r in rows(
        samples(brace, jpath, "lb_server_connections"), "lb_server_connections",
        pool="default", server="a")))
    for t in ts:
        t.join()
    p.stop()


def test_tcp_mode_counts_relayed_connections_without_classes(lb, brace, tmp_path):
    srv = RawServer(echo)
    jpath = tmp_path / "journal.db"
    p = lb("-m", "tcp", "-b", srv.addr + ",name=echo", "--sample-interval", "1s",
           "--journal", str(jpath))
    try:
        for _ in range(5):
            c = socket.create_connection(("127.0.0.1", p.port), timeout=30)
            c.sendall(b"hello")
            assert c.recv(5) == b"hello"
            c.close()
        p.stop()
    finally:
        srv.stop()
    got = samples(brace, jpath)
    assert total(got, "lb_requests", pool="default") == 5
    assert total(got, "lb_requests", pool="default", server="echo") == 5
    assert not any(r["series"] == "lb_responses" for r in got)
    assert rows(got, "lb_latency_p99_ms", pool="default")


def test_sample_interval_0_writes_no_samples(lb, backends, brace, tmp_path):
    (a,) = backends(1)
    jpath = tmp_path / "journal.db"
    p = lb("-b", a.addr, "--sample-interval", "0", "--journal", str(jpath))
    get(p.port)
    time.sleep(1.5)
    p.stop()
    assert samples(brace, jpath) == []
    # the events are still there
    r = subprocess.run([brace, "journal", "--journal", str(jpath), "list", "--json"],
                       stdout=subprocess.PIPE, text=True)
    assert "load balancer started" in r.stdout


def test_sample_interval_below_a_second_is_refused(run):
    r = run("lb", "-l", "127.0.0.1:%d" % free_port(), "-b", "127.0.0.1:2",
            "--sample-interval", "500ms")
    assert r.returncode == 2
    assert "sample-interval must be 0 (no samples) or at least 1s" in r.stderr
