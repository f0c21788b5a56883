#!/usr/bin/python3
"""Write realistic logs for the brace logs benchmarks.

  gen-logs.py access SIZE OUT   a combined access log of about SIZE bytes
  gen-logs.py access-timed SIZE OUT  the same with nginx's $request_time and
                                $upstream_response_time after each line ("-"
                                for static files, served without an upstream)
  gen-logs.py syslog SIZE OUT   /var/log/syslog text of about SIZE bytes
  gen-logs.py syslog-lines N OUT  the same syslog text, N lines
  gen-logs.py random N OUT      N lines of random words (hostile input: every
                                line is a new template)

The access log covers two days with day-shaped traffic (quiet at night, a
peak in the afternoon), clients and paths drawn from skewed (Zipf-like)
distributions, ids in paths, a few hundred user agents, mostly 200s with
304s, 404s and a burst of 500s, and one cron client that requests
/api/cron/sync every 60 s (+- 1 s). With times, the cron job's sync is the
slow PHP (2 to 8 s), searches have a long tail, and the upstream is slow
while it answers 502s. The syslog mixes sshd, cron, kernel,
systemd and postfix messages with a cron job every 5 minutes. Output is
deterministic (fixed seed). SIZE takes k/M/G suffixes.
"""
import math
import random
import sys
import time

MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def size_arg(s):
    mult = {"k": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    return int(float(s[:-1]) * mult[s[-1]]) if s[-1] in mult else int(s)


def zipf_table(n, s=1.1):
    w = [1.0 / (i + 1) ** s for i in range(n)]
    tot = sum(w)
    acc, out = 0.0, []
    for x in w:
        acc += x / tot
        out.append(acc)
    return out


def pick(rng, cdf):
    import bisect
    return min(bisect.bisect_left(cdf, rng.random()), len(cdf) - 1)


def clf_time(t):
    g = time.gmtime(t)
    return "%02d/%s/%04d:%02d:%02d:%02d +0000" % (g.tm_mday, MONTHS[g.tm_mon - 1], g.tm_year,
                                                  g.tm_hour, g.tm_min, g.tm_sec)


def request_time(trng, method, path, status):
    """(request time, upstream time or None) in seconds, by what was asked."""
    if path.startswith(("/static/", "/images/", "/favicon", "/robots")):
        return trng.uniform(0.0002, 0.004), None
    if path.startswith("/api/cron/sync"):
        up = trng.uniform(2.0, 8.0)
    elif path.startswith("/api/search"):
        up = trng.lognormvariate(-2.3, 0.9)
    elif method != "GET":
        up = trng.lognormvariate(-1.6, 0.5)
    else:
        up = trng.lognormvariate(-3.5, 0.6)
    if status == 502:
        up = trng.uniform(3.0, 10.0)
    return up + trng.uniform(0.0002, 0.003), up


def access(size, out, timed=False):
    rng = random.Random(42)
    trng = random.Random(43)  # the times draw apart: the lines stay those of "access"
    clients = ["%d.%d.%d.%d" % (rng.randint(1, 223), rng.randint(0, 255), rng.randint(0, 255),
                                rng.randint(1, 254)) for _ in range(20000)]
    ccdf = zipf_table(len(clients), 1.05)
    paths = [
        ("GET", "/"), ("GET", "/api/items/{id}"), ("GET", "/api/users/{id}"),
        ("GET", "/static/app.js"), ("GET", "/static/style.css"), ("GET", "/favicon.ico"),
        ("GET", "/api/search?q={word}&page={n}"), ("POST", "/api/orders"),
        ("GET", "/api/orders/{id}/items"), ("GET", "/login"), ("POST", "/login"),
        ("GET", "/images/{uuid}.jpg"), ("PUT", "/api/users/{id}"), ("DELETE", "/api/items/{id}"),
        ("GET", "/health"), ("GET", "/robots.txt"), ("GET", "/blog/{slug}"),
        ("GET", "/api/v2/products/{id}/reviews?sort=new"), ("POST", "/api/events"),
        ("GET", "/wp-login.php"),
    ]
    pcdf = zipf_table(len(paths), 1.0)
    words = "shoes shirt laptop phone coffee book lamp chair desk pen".split()
    slugs = ["how-we-scaled", "release-notes", "postmortem-launch", "hello-world", "pricing"]
    agents = ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/%d.0.%d.%d Safari/537.36" % (100 + i % 20, 4000 + i, i % 200)
              for i in range(150)]
    agents += ["Mozilla/5.0 (iPhone; CPU iPhone OS 17_%d like Mac OS X) AppleWebKit/605.1.15 "
               "(KHTML, like Gecko) Version/17.%d Mobile/15E148 Safari/604.1" % (i % 6, i % 4)
               for i in range(60)]
    agents += ["curl/7.%d.0" % i for i in range(60, 90)] + ["Googlebot/2.1 (+http://www.google.com/bot.html)",
                                                          "python-requests/2.31.0"]
    acdf = zipf_table(len(agents), 0.9)
    start = 1764201600  # 2025-11-27 00:00:00 UTC
    span = 2 * 86400
    # rate by time of day: a smooth day with a 15:00 peak and a 04:00 trough
    avg_line = 230
    n_lines = size // avg_line
    mean_rate = n_lines / span
    cron_ip = "10.20.30.40"
    next_cron = start + 30.0
    burst_at = start + 86400 + 14 * 3600
    w = open(out, "w")
    t = float(start)
    written = 0
    while written < size:
        hour = (t % 86400) / 3600.0
        shape = 1.0 + 0.8 * math.sin((hour - 9.0) / 24.0 * 2 * math.pi)
        t += rng.expovariate(mean_rate * shape)
        if t >= next_cron:
            line = '%s - - [%s] "GET /api/cron/sync HTTP/1.1" 200 512 "-" "cron-sync/1.0"' % (
                cron_ip, clf_time(next_cron))
            line += timing(trng, "GET", "/api/cron/sync", 200) if timed else ""
            line += "\n"
            w.write(line)
            written += len(line)
            next_cron += 60.0 + rng.uniform(-1, 1)
        method, p = paths[pick(rng, pcdf)]
        p = p.replace("{id}", str(rng.randint(1, 999999))).replace("{n}", str(rng.randint(1, 20)))
        p = p.replace("{word}", rng.choice(words)).replace("{slug}", rng.choice(slugs))
        p = p.replace("{uuid}", "%08x-%04x-%04x-%04x-%012x" % (
            rng.getrandbits(32), rng.getrandbits(16), rng.getrandbits(16), rng.getrandbits(16),
            rng.getrandbits(48)))
        r = rng.random()
        status = 200 if r < 0.86 else 304 if r < 0.93 else 404 if r < 0.985 else 301 if r < 0.995 else 500
        if burst_at <= t < burst_at + 600 and rng.random() < 0.4:
            status = 502
        size_b = 0 if status in (304, 301) else rng.randint(200, 60000)
        ref = "-" if rng.random() < 0.6 else "https://example.com/%s" % rng.choice(slugs)
        line = '%s - - [%s] "%s %s HTTP/1.1" %d %d "%s" "%s"' % (
            clients[pick(rng, ccdf)], clf_time(t), method, p, status, size_b, ref,
            agents[pick(rng, acdf)])
        line += (timing(trng, method, p, status) if timed else "") + "\n"
        w.write(line)
        written += len(line)
    w.close()


def timing(trng, method, path, status):
    rt, up = request_time(trng, method, path, status)
    return " %.3f %s" % (rt, "-" if up is None else "%.3f" % up)


def syslog(size, out, lines=None):
    rng = random.Random(7)
    hosts = ["web1", "web2", "db1"]
    users = ["root", "deploy", "admin", "postgres", "backup"] + ["u%d" % i for i in range(200)]
    t = 1764201600.0
    w = open(out, "w")
    written = 0
    next_cron = t + 300
    n = 0
    while (written < size) if lines is None else (n < lines):
        n += 1
        t += rng.expovariate(20.0)
        g = time.gmtime(t)
        stamp = "%s %2d %02d:%02d:%02d" % (MONTHS[g.tm_mon - 1], g.tm_mday, g.tm_hour, g.tm_min,
                                          g.tm_sec)
        host = rng.choice(hosts)
        ip = "%d.%d.%d.%d" % (rng.randint(1, 223), rng.randint(0, 255), rng.randint(0, 255),
                              rng.randint(1, 254))
        pid = rng.randint(1000, 65000)
        r = rng.random()
        if t >= next_cron:
            msg = "CRON[%d]: (root) CMD (/usr/local/bin/backup.sh --incremental)" % pid
            next_cron += 300
        elif r < 0.25:
            msg = "sshd[%d]: Failed password for invalid user %s from %s port %d ssh2" % (
                pid, rng.choice(users), ip, rng.randint(1024, 65535))
        elif r < 0.4:
            msg = "sshd[%d]: Accepted publickey for %s from %s port %d ssh2: RSA SHA256:%s" % (
                pid, rng.choice(users), ip, rng.randint(1024, 65535),
                "".join(rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789") for _ in range(43)))
        elif r < 0.5:
            msg = "sshd[%d]: pam_unix(sshd:session): session closed for user %s" % (pid, rng.choice(users))
        elif r < 0.6:
            msg = "kernel: [%d.%06d] TCP: request_sock_TCP: Possible SYN flooding on port %d. Sending cookies." % (
                rng.randint(1000, 99999), rng.randint(0, 999999), rng.choice([80, 443, 5432]))
        elif r < 0.7:
            msg = "systemd[1]: Started Session %d of user %s." % (rng.randint(1, 9999), rng.choice(users))
        elif r < 0.8:
            msg = "postfix/smtpd[%d]: connect from unknown[%s]" % (pid, ip)
        elif r < 0.9:
            msg = "postfix/qmgr[%d]: %X: from=<%s@example.com>, size=%d, nrcpt=1 (queue active)" % (
                pid, rng.getrandbits(40), rng.choice(users), rng.randint(300, 90000))
        else:
            msg = "kernel: [%d.%06d] [UFW BLOCK] IN=eth0 OUT= MAC=%s SRC=%s DST=10.0.0.5 LEN=%d PROTO=TCP SPT=%d DPT=%d" % (
                rng.randint(1000, 99999), rng.randint(0, 999999),
                ":".join("%02x" % rng.getrandbits(8) for _ in range(14)), ip,
                rng.randint(40, 1500), rng.randint(1024, 65535), rng.choice([22, 23, 3389, 8080]))
        line = "%s %s %s\n" % (stamp, host, msg)
        w.write(line)
        written += len(line)
    w.close()


def random_words(lines, out):
    rng = random.Random(11)
    letters = "abcdefghijklmnopqrstuvwxyz"
    with open(out, "w") as w:
        for _ in range(lines):
            w.write(" ".join("".join(rng.choice(letters) for _ in range(rng.randint(3, 9)))
                             for _ in range(rng.randint(4, 10))) + "\n")


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("access", "access-timed", "syslog",
                                                  "syslog-lines", "random"):
        raise SystemExit(__doc__)
    kind, arg, out = sys.argv[1:]
    if kind in ("access", "access-timed"):
        access(size_arg(arg), out, timed=kind == "access-timed")
    elif kind == "syslog":
        syslog(size_arg(arg), out)
    elif kind == "syslog-lines":
        syslog(0, out, lines=int(arg))
    else:
        random_words(int(arg), out)


if __name__ == "__main__":
    main()
