"""A night of known events at known times, recorded with brace's own commands:
a journal (brace journal note / sample) and a PostgreSQL log with one
periodic template among Poisson ones, for the brace postmortem tests.

The story, in seconds from T0 (a fixed UTC time):
  0-120   conns samples every 2 s (17 usable), web traffic at 50 requests/s
  30-70   a job connects as user "invsync" every 5 s at +0.2 s (16 connections
          held 3 s): used reaches 17 at the next sample, the app gets 5xx
  32      conns records the critical crossing (the first alert)
  75      a person notes the mitigation; nothing fails after it
"""
import random
import subprocess
import time

T0 = 1764228000  # 2025-11-27T07:20:00Z
USABLE = 17
JOB_STARTS = [30 + 5 * k + 0.2 for k in range(9)]      # 30.2 .. 70.2
HOLD = 3.0
MITIGATED_AT = 75


def saturated(t):
    return any(s <= t < s + HOLD for s in JOB_STARTS)


def iso(t):
    ms = int(round((T0 + t) * 1000))
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + \
        ".%03dZ" % (ms % 1000)


class Recorder:
    """Runs brace journal commands against one journal as one host."""

    def __init__(self, brace, journal, host):
        self.brace = brace
        self.journal = journal
        self.host = host

    def _run(self, *args):
        r = subprocess.run([self.brace, "journal", "--journal", self.journal] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=60)
        assert r.returncode == 0, r.stderr

    def note(self, t, source, kind, severity, subject, text, details=None):
        args = ["note", "--at", iso(t), "--host", self.host, "--source", source, "--kind", kind,
                "--severity", severity, "--subject", subject]
        if details:
            args += ["--details", details]
        self._run(*(args + [text]))

    def sample(self, t, source, series, labels, value):
        self._run("sample", "--at", iso(t), "--host", self.host, "--source", source,
                  "--labels", labels, series, repr(value))


def record_db(rec, server="127.0.0.1:5432/app", lb_series=True):
    """The database host's journal: conns samples and crossings, the lb's samples."""
    srv = '{"server": "%s"}' % server
    prev_sat = False
    for t in range(0, 121, 2):
        sat = saturated(t)
        used = USABLE if sat else 3
        rec.sample(t, "conns", "db_connections_used", srv, used)
        rec.sample(t, "conns", "db_connections_usable", srv, USABLE)
        rec.sample(t, "conns", "db_connections_percent", srv, 100.0 * used / USABLE)
        holders = [("invsync", 16), ("webapp", 1)] if sat else [("webapp", 3)]
        for name, count in holders:
            rec.sample(t, "conns", "db_connections_holder",
                       '{"server": "%s", "by": "user", "holder": "%s"}' % (server, name), count)
        if sat and not prev_sat:
            rec.note(t, "conns", "threshold_crossed", "critical", server,
                     "17 of 17 usable connections in use (100.0%), above the critical "
                     "threshold 90%; held by user invsync 16, webapp 1")
        if not sat and prev_sat:
            rec.note(t, "conns", "threshold_cleared", "notice", server,
                     "3 of 17 usable connections in use (17.6%), back below the critical "
                     "threshold 90%")
        prev_sat = sat
        if lb_series and t > 0:
            # The interval (t-2, t]: 100 requests, 5xx while the database was full.
            failed = sum(25 for h in (t - 1.5, t - 1.0, t - 0.5, t) if saturated(h))
            pool = '{"pool": "web"}'
            rec.sample(t, "lb", "lb_requests", pool, 100)
            rec.sample(t, "lb", "lb_responses", '{"pool": "web", "class": "2xx"}', 100 - failed)
            rec.sample(t, "lb", "lb_responses", '{"pool": "web", "class": "5xx"}', failed)
            rec.sample(t, "lb", "lb_queue_peak", pool, 0)
            rec.sample(t, "lb", "lb_latency_p99_ms", pool, 2500 if failed else 40)
    rec.note(MITIGATED_AT, "journal", "mitigated", "notice", "oncall",
             "invsync put under brace run --db-max-used 70%; app behind brace lb -m tcp")


def pg_log(path, seed=7):
    """PostgreSQL's log of the night: webapp connections (Poisson), the job's
    bursts every 5 s, and the refusals while the server was full."""
    rnd = random.Random(seed)
    lines = []

    def at(t):
        ms = int(round((T0 + t) * 1000))
        return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ms // 1000)) + \
            ".%03d UTC" % (ms % 1000)

    pid = 1000
    t = 0.0
    while t < 120:
        t += rnd.expovariate(4.0)
        pid += 1
        if saturated(t):
            lines.append((t, "%s [%d] FATAL:  sorry, too many clients already" % (at(t), pid)))
            continue
        lines.append((t, "%s [%d] LOG:  connection received: host=127.0.0.1 port=%d"
                      % (at(t), pid, 30000 + pid % 30000)))
        lines.append((t + 0.001, "%s [%d] LOG:  connection authorized: user=webapp "
                      "database=app" % (at(t + 0.001), pid)))
    for s in JOB_STARTS:
        for j in range(16):
            u = s + 0.005 * j
            pid += 1
            lines.append((u, "%s [%d] LOG:  connection received: host=127.0.0.1 port=%d"
                          % (at(u), pid, 30000 + pid % 30000)))
            lines.append((u + 0.001, "%s [%d] LOG:  connection authorized: user=invsync "
                          "database=app" % (at(u + 0.001), pid)))
    lines.sort(key=lambda x: x[0])
    with open(path, "w") as f:
        for _, line in lines:
            f.write(line + "\n")
    return len(lines)


def shared_template_log(path, seed=3):
    """A log where the job shares its template with everyone: six web users
    connect at random (Poisson), so the miner makes one template with
    user=<*>, and invsync's bursts hide among them."""
    rnd = random.Random(seed)
    lines = []

    def at(t):
        ms = int(round((T0 + t) * 1000))
        return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ms // 1000)) + \
            ".%03d UTC" % (ms % 1000)

    t, pid = 0.0, 100
    while t < 120:
        t += rnd.expovariate(4.0)
        pid += 1
        user = rnd.choice(["web1", "web2", "web3", "web4", "web5", "web6"])
        lines.append((t, "%s [%d] LOG:  connection authorized: user=%s database=app"
                      % (at(t), pid, user)))
    for s in JOB_STARTS:
        for j in range(16):
            pid += 1
            u = s + 0.005 * j
            lines.append((u, "%s [%d] LOG:  connection authorized: user=invsync database=app"
                          % (at(u), pid)))
    lines.sort(key=lambda x: x[0])
    with open(path, "w") as f:
        for _, line in lines:
            f.write(line + "\n")
