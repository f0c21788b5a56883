#!/usr/bin/python3
"""Write labelled logs whose templates are known by construction.

  gen_labelled.py OUTDIR [SEED]     every set into OUTDIR/<set>/
  gen_labelled.py --list            the sets, one per line: name, header format

Each set imitates a kind of log that the Loghub-2k systems do not cover:
proxies and gateways, cloud and API services, desktop and mobile OS logs,
Java and Python applications, Kubernetes and containerd, PostgreSQL and
MariaDB servers, mail and DNS servers. A set is a list of events, each a
template whose variable parts are drawn from generators of realistic
values: addresses with ports, host names, URLs, paths, e-mail addresses,
UUIDs, hex ids, durations and sizes in several spellings, user, database
and service names (words, not numbers), lists of variable length, free-text
reasons of several words. Variable first tokens, values of varying length
and events that differ in one constant word are there on purpose.

For each set OUTDIR/<set>/ gets:
  <set>.log                 the lines, with a header (time stamp, level, ...)
  <set>.truth.csv           LineId,EventId,EventTemplate per line
and OUTDIR/formats.tsv lists each set with its header format (Loghub style,
for brace logs --header).

The event mix is skewed (a few events are most of the lines, some occur a
handful of times), as in real logs. Output is deterministic for a seed.
These sets were written before the miner was tuned and are not tuned to it.
"""
import csv
import os
import random
import string
import sys
import time

LINES = 2000

# ---- values --------------------------------------------------------------

FIRST = ("alice bob carol dave erin frank grace heidi ivan judy mallory niaj olivia peggy "
         "rupert sybil trent victor walter xavier yolanda zoe amir bianca chen dmitri elena "
         "farid gus hana igor jin kofi lena marco nadia omar priya quinn rosa sanjay tomas "
         "uma vera wen yusuf").split()
ACCOUNTS = ("root admin postgres backup deploy www-data nagios jenkins git ubuntu oracle "
            "test guest support ftp mysql").split()
WORDS = ("alpha bravo cedar delta ember falcon garnet harbor indigo juniper kestrel lumen "
         "maple nectar onyx pepper quartz raven saffron tundra umber violet willow").split()
SERVICES = ("checkout payments inventory search catalog billing auth notifications "
            "shipping recommendations reviews accounts gateway reporting").split()
DBS = "orders inventory analytics shop crm billing users metrics".split()
TABLES = ("orders order_items customers products invoices sessions events payments "
          "shipments carts audit_log").split()
NAMESPACES = "default kube-system monitoring ingress-nginx payments data".split()
DOMAINS = ("example.com example.net example.org corp.example.com shop.example.net "
           "mail.example.org cdn.example.com internal.example").split()
SUBDOMAINS = ("www api cdn static images login mail mx smtp imap auth edge assets "
              "download upload status docs app portal").split()
REGIONS = "us-east-1 us-west-2 eu-west-1 eu-central-1 ap-southeast-2 ap-northeast-1".split()
REASONS = ["connection reset by peer", "timed out", "no route to host", "broken pipe",
           "connection refused", "network is unreachable", "certificate has expired",
           "handshake failure", "host is down", "too many open files",
           "end of file", "protocol error"]
PKGS = ["com.example.orders", "com.example.billing.api", "org.acme.inventory.service",
        "io.shop.checkout", "com.example.auth.security", "net.corp.reporting.jobs"]
CLASSNAMES = ["OrderService", "PaymentClient", "InventoryRepository", "CheckoutController",
              "TokenFilter", "ReportScheduler", "CustomerMapper", "CacheWarmer"]
APPS = ["web", "api", "worker", "frontend", "cart", "redis", "postgres", "nginx", "search",
        "billing"]
IMAGES = ["registry.example.com/shop/web", "docker.io/library/nginx", "quay.io/acme/worker",
          "ghcr.io/example/api", "docker.io/library/redis"]
EXCEPTIONS = ["java.net.SocketTimeoutException", "java.lang.IllegalStateException",
              "java.io.IOException", "org.hibernate.exception.LockAcquisitionException",
              "java.util.concurrent.TimeoutException"]
PYMODULES = ["app.tasks.email", "app.tasks.reports", "billing.jobs.invoice",
             "shop.sync.inventory", "app.tasks.cleanup"]
RRTYPES = "A AAAA MX TXT CNAME NS SRV PTR".split()
PROTOS = "HTTP HTTPS SOCKS5".split()
BROWSERS = ["chrome.exe", "firefox.exe", "Teams.exe", "outlook.exe", "svchost.exe",
            "OneDrive.exe", "slack", "git-remote-https", "curl", "Dropbox"]
MOBILE_APPS = ["com.example.shop", "com.acme.chat", "org.wiki.reader", "net.bank.mobile",
               "com.example.maps", "io.fit.tracker"]
MAC_SUBSYS = ["com.apple.bluetooth", "com.apple.wifi", "com.apple.network",
              "com.apple.CoreSpotlight", "com.apple.launchservices", "com.apple.xpc"]


def zipf_pick(r, seq, s=1.2):
    w = [1.0 / (i + 1) ** s for i in range(len(seq))]
    return r.choices(seq, weights=w)[0]


def v_user(r):
    return zipf_pick(r, FIRST, 0.6) if r.random() < 0.8 else r.choice(ACCOUNTS)


def v_ip(r):
    k = r.random()
    if k < 0.5:
        return "10.%d.%d.%d" % (r.randint(0, 255), r.randint(0, 255), r.randint(1, 254))
    if k < 0.7:
        return "192.168.%d.%d" % (r.randint(0, 20), r.randint(1, 254))
    return "%d.%d.%d.%d" % (r.randint(1, 223), r.randint(0, 255), r.randint(0, 255),
                            r.randint(1, 254))


def v_ip6(r):
    return "2001:db8:%x:%x::%x" % (r.randint(0, 0xffff), r.randint(0, 0xffff),
                                   r.randint(1, 0xffff))


def v_port(r):
    return str(r.choice([80, 443, 8080, 8443, 5432, 3306, 25, 587]) if r.random() < 0.4
               else r.randint(1024, 65535))


def v_host(r):
    sub = r.choice(SUBDOMAINS)
    if r.random() < 0.3:
        sub += "%02d" % r.randint(1, 40)
    return "%s.%s" % (sub, zipf_pick(r, DOMAINS, 0.8))


def v_hostport(r):
    return "%s:%s" % (v_host(r) if r.random() < 0.7 else v_ip(r), v_port(r))


def v_path(r):
    n = r.randint(2, 5)
    segs = [r.choice(["var", "lib", "opt", "srv", "data", "cache", "log", "tmp", "app", "www",
                      "releases", "shared", "config", "spool"]) for _ in range(n)]
    if r.random() < 0.5:
        segs.append(r.choice(["app.log", "index.db", "cache.bin", "settings.yaml", "queue",
                              "%d.tmp" % r.randint(1, 99999)]))
    return "/" + "/".join(segs)


def v_relpath(r):
    return "/".join(r.choice(["src", "lib", "static", "assets", "js", "css", "img", "vendor"])
                    for _ in range(r.randint(1, 3))) + "/" + r.choice(
        ["main.js", "app.css", "logo.png", "index.html", "bundle.min.js"])


def v_url(r):
    return "%s://%s/%s" % (r.choice(["http", "https"]), v_host(r), "/".join(
        r.choice(["api", "v1", "v2", "users", "orders", "items", "search", "assets"])
        for _ in range(r.randint(1, 3))) + ("?id=%d" % r.randint(1, 9999) if r.random() < 0.3
                                           else ""))


def v_email(r):
    return "%s@%s" % (r.choice(FIRST + ["info", "noreply", "billing", "support"]),
                      r.choice(DOMAINS))


def v_uuid(r):
    h = "%032x" % r.getrandbits(128)
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])


def v_hex(r, n):
    return "%0*x" % (n, r.getrandbits(4 * n))


def v_mac(r):
    return ":".join("%02x" % r.randint(0, 255) for _ in range(6))


def v_duration(r):
    k = r.random()
    if k < 0.3:
        return "%dms" % r.randint(1, 2000)
    if k < 0.5:
        return "%.3fs" % r.uniform(0, 30)
    if k < 0.65:
        return "%dm%ds" % (r.randint(1, 59), r.randint(0, 59))
    if k < 0.8:
        return "%.1fms" % r.uniform(0, 500)
    return "%ds" % r.randint(1, 600)


def v_lifetime(r):
    """A connection lifetime as a proxy writes it: '<1 sec', '00:01' or '01:02:03'."""
    k = r.random()
    if k < 0.3:
        return "<1 sec"
    if k < 0.8:
        return "%02d:%02d" % (r.randint(0, 59), r.randint(0, 59))
    return "%02d:%02d:%02d" % (r.randint(0, 9), r.randint(0, 59), r.randint(0, 59))


def v_bytes(r):
    """A byte count, with its size in a unit when it is large: '0 bytes', '1036 bytes (1.01 KB)'."""
    n = int(r.expovariate(1 / 20000)) if r.random() < 0.8 else 0
    if n < 1000:
        return "%d bytes" % n
    if n < 1 << 20:
        return "%d bytes (%.2f KB)" % (n, n / 1024)
    return "%d bytes (%.1f MB)" % (n, n / 1048576)


def v_size(r):
    return r.choice(["%dB", "%dKB", "%.1fMB", "%.2fGiB", "%d KiB"]) % (
        r.uniform(1, 900) if r.random() < 0.5 else r.randint(1, 900))


def v_int(r, hi=100000):
    return str(r.randint(0, hi))


def v_pid(r):
    return str(r.randint(100, 65000))


def v_float(r):
    return "%.3f" % r.uniform(0, 100)


def v_iplist(r):
    return ",".join(v_ip(r) for _ in range(r.choice([1, 1, 1, 2, 3, 4])))


def v_numlist(r):
    return " ".join(str(r.randint(1, 165)) for _ in range(r.randint(1, 12)))


def v_reason(r):
    return r.choice(REASONS)


def v_class(r):
    return "%s.%s" % (r.choice(PKGS), r.choice(CLASSNAMES))


def v_thread(r):
    return r.choice(["http-nio-8080-exec-%d" % r.randint(1, 200), "pool-%d-thread-%d" % (
        r.randint(1, 9), r.randint(1, 50)), "main", "scheduling-1", "kafka-consumer-%d" % r.randint(
        0, 9)])


def v_pod(r):
    app = r.choice(APPS)
    if r.random() < 0.6:
        return "%s-%s-%s" % (app, v_hex(r, 10)[:r.choice([9, 10])],
                             "".join(r.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(5)))
    return "%s-%d" % (app, r.randint(0, 5))


def v_ns(r):
    return zipf_pick(r, NAMESPACES, 0.7)


def v_container(r):
    return v_hex(r, 64)


def v_image(r):
    return "%s:%s" % (r.choice(IMAGES), r.choice(["latest", "v1.%d.%d" % (r.randint(0, 20),
                                                                        r.randint(0, 9)),
                                                  "2024.%02d" % r.randint(1, 12)]))


def v_qid(r):
    return "".join(r.choice("0123456789ABCDEF") for _ in range(r.choice([10, 11, 12])))


def v_domain(r):
    return v_host(r) if r.random() < 0.7 else r.choice(DOMAINS)


def v_service(r):
    return zipf_pick(r, SERVICES, 0.8)


def v_db(r):
    return zipf_pick(r, DBS, 0.8)


def v_table(r):
    return zipf_pick(r, TABLES, 0.7)


def v_word(r):
    return r.choice(WORDS)


def v_region(r):
    return r.choice(REGIONS)


def v_instance(r):
    return "i-0" + v_hex(r, 16)


def v_arn(r):
    return "arn:aws:%s:%s:%d:%s/%s" % (r.choice(["s3", "sqs", "lambda", "dynamodb"]), v_region(r),
                                       r.randint(10 ** 11, 10 ** 12 - 1),
                                       r.choice(["table", "queue", "function", "bucket"]),
                                       r.choice(SERVICES) + "-" + r.choice(["prod", "staging",
                                                                             "dev"]))


def v_bucket_key(r):
    return "%s-%s/%s/%s" % (r.choice(SERVICES), r.choice(["prod", "staging", "logs"]),
                            r.choice(["2024", "exports", "uploads", "tmp"]),
                            r.choice(["report", "invoice", "img", "dump"]) + "_%d.%s" % (
                                r.randint(1, 99999), r.choice(["csv", "json", "gz", "png"])))


def v_sql(r):
    t = r.choice(TABLES)
    return r.choice(["SELECT * FROM %s WHERE id = %d" % (t, r.randint(1, 99999)),
                     "UPDATE %s SET status = 'done' WHERE id = %d" % (t, r.randint(1, 99999)),
                     "DELETE FROM %s WHERE created_at < now() - interval '30 days'" % t,
                     "INSERT INTO %s (id, data) VALUES (%d, '...')" % (t, r.randint(1, 99999)),
                     "SELECT count(*) FROM %s" % t])


def v_method(r):
    return r.choice(["GET", "GET", "GET", "POST", "PUT", "DELETE"])


def v_status(r):
    return str(r.choice([200, 200, 200, 201, 204, 301, 304, 400, 401, 403, 404, 500, 502, 503]))


def v_apipath(r):
    return "/api/v%d/%s/%d" % (r.randint(1, 2), r.choice(["orders", "users", "items", "carts"]),
                               r.randint(1, 99999))


def v_session(r):
    return "".join(r.choice(string.ascii_letters + string.digits + "+/") for _ in range(16))


def v_dur_ms_float(r):
    return "%.3f" % r.uniform(0.01, 5000)


def v_version(r):
    return "%d.%d.%d" % (r.randint(0, 5), r.randint(0, 30), r.randint(0, 20))


def v_browser(r):
    return r.choice(BROWSERS)


def v_mobile_app(r):
    return r.choice(MOBILE_APPS)


def v_subsys(r):
    return r.choice(MAC_SUBSYS)


def v_addr(r):
    return "0x%x" % r.randint(0x100000000, 0x7fffffffffff)


def v_rect(r):
    return "{{%d, %d}, {%d, %d}}" % (r.randint(0, 2000), r.randint(0, 1200), r.randint(100, 2560),
                                     r.randint(100, 1440))


def v_ssid(r):
    return r.choice(["HomeNet", "Office-5G", "Guest", "eduroam", "CoffeeShop", "Pixel_4821"])


def v_signal(r):
    return str(-r.randint(30, 95))


VALUES = {name[2:]: fn for name, fn in globals().items() if name.startswith("v_")}
VALUES.update({
    "hex8": lambda r: v_hex(r, 8), "hex12": lambda r: v_hex(r, 12), "hex16": lambda r: v_hex(r, 16),
    "hex40": lambda r: v_hex(r, 40), "small": lambda r: str(r.randint(0, 9)),
    "pct": lambda r: "%.1f%%" % r.uniform(0, 100),
})

# ---- sets ----------------------------------------------------------------
#
# An event is (weight, template); "{name}" is a value from VALUES, everything
# else is constant text. Weights are relative, and weight 1 means rare (a
# fifth of it: a few lines in 2,000). The truth template is the template
# with each value written "<*>".


def sset(name, header, prefix, events):
    return {"name": name, "header": header, "prefix": prefix, "events": events}


def iso(t, r):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % r.randint(0, 999)


def dt(t, r):
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t))


def level(r, weights=(80, 12, 6, 2)):
    return r.choices(["INFO", "WARN", "ERROR", "DEBUG"], weights=weights)[0]


SETS = [
    sset("proxy", r"\[<Time>\] <Client> <Content>",
         lambda t, r: "[%s] %s" % (time.strftime("%m.%d %H:%M:%S", time.gmtime(t)), v_browser(r)),
         [
             (30, "{hostport} open through proxy {hostport} {protos}"),
             (28, "{hostport} close, {bytes} sent, {bytes} received, lifetime {lifetime}"),
             (8, "{hostport} error : Could not connect to proxy {hostport} - connection timed out"),
             (5, "{hostport} error : A connection request was canceled before the completion."),
             (4, "{hostport} error : Could not connect through proxy {hostport} - Proxy server cannot establish a connection with the target, status code {status}"),
             (3, "{hostport} close, {bytes} sent, {bytes} received, lifetime {lifetime} (connection reset)"),
             (2, "open through proxy {hostport} failed: {reason}"),
             (2, "Proxy server {hostport} is unreachable, trying {hostport}"),
             (1, "DNS lookup of {host} failed, using direct connection"),
             (1, "Rules reloaded: {int} rules, {int} proxies"),
             (1, "Traffic statistics: {bytes} sent, {bytes} received in {lifetime}"),
         ]),
    sset("gateway", "<Time> <Level> <Content>",
         lambda t, r: "%s %s" % (iso(t, r), level(r)),
         [
             (25, "route {service} matched {method} {apipath} -> upstream {hostport} status={status} duration={duration}"),
             (10, "upstream {hostport} of cluster {service} is healthy"),
             (6, "upstream {hostport} of cluster {service} is unhealthy: {reason}"),
             (6, "retrying {method} {apipath} on {hostport} (attempt {small} of 3)"),
             (5, "circuit breaker for cluster {service} opened after {int} failures"),
             (3, "circuit breaker for cluster {service} closed"),
             (5, "rate limit exceeded for client {ip} on route {service}: {int} requests in {duration}"),
             (4, "TLS handshake with {ip}:{port} failed: {reason}"),
             (3, "new connection from {ip}:{port} to listener {hostport}"),
             (3, "connection {hex8} closed by client after {duration}, {size} in, {size} out"),
             (2, "config reloaded: {int} routes, {int} clusters, {int} listeners"),
             (2, "added endpoints {iplist} to cluster {service}"),
             (2, "removed endpoint {ip}:{port} from cluster {service}"),
             (1, "certificate for {host} expires in {int} days"),
             (1, "JWT validation failed for {url}: token expired at {iso8601}"),
         ]),
    sset("cloudapi", "<Time> <Level> <Request> <Content>",
         lambda t, r: "%s %s %s" % (iso(t, r), level(r), v_uuid(r)),
         [
             (20, "{method} {apipath} {status} {duration} user={email} region={region}"),
             (10, "AssumeRole by {arn} succeeded, session expires {iso8601}"),
             (8, "PutObject s3://{bucket_key} {size} in {duration}"),
             (7, "GetObject s3://{bucket_key} returned NoSuchKey"),
             (6, "instance {instance} in {region} changed state from pending to running"),
             (4, "instance {instance} in {region} changed state from running to stopping"),
             (3, "instance {instance} in {region} changed state from stopping to stopped"),
             (5, "Throttling: Rate exceeded for {arn} ({int} calls/s)"),
             (4, "queue {arn} has {int} visible messages, {int} in flight"),
             (3, "Lambda {arn} cold start took {duration}, memory {size}"),
             (3, "invocation of {arn} timed out after {duration}"),
             (2, "AccessDenied: {email} is not authorized to perform {service}:Describe on {arn}"),
             (2, "scaling group {service} desired capacity {small} -> {small}"),
             (1, "health check {uuid} for {url} failed: {reason}"),
             (1, "billing export to s3://{bucket_key} finished: {int} rows"),
         ]),
    sset("desktop", "<Time> <Host> <Process>\\[<Pid>\\]: <Content>",
         lambda t, r: "%s %s %s[%s]:" % (dt(t, r), r.choice(["macbook-pro", "ws-finance-07",
                                                             "laptop"]),
                                         r.choice(["kernel", "WindowServer", "bluetoothd",
                                                   "airportd", "mds", "loginwindow",
                                                   "gnome-shell", "NetworkManager"]),
                                         v_pid(r)),
         [
             (12, "{subsys}: connection to service {hex12} invalidated"),
             (10, "window {addr} moved to {rect}"),
             (8, "Wi-Fi associated with {ssid} ({mac}) channel {small} rssi {signal}"),
             (5, "Wi-Fi disassociated from {ssid} ({mac}) reason {small}"),
             (6, "Bluetooth device {mac} connected"),
             (5, "Bluetooth device {mac} disconnected"),
             (6, "indexing {path} finished: {int} items in {duration}"),
             (4, "user {user} logged in on console"),
             (3, "user {user} logged out"),
             (3, "screen lock engaged after {int} seconds idle"),
             (2, "disk {word} mounted at {path}"),
             (2, "disk {word} unmounted"),
             (2, "thermal pressure level changed to {tlevel}"),
             (2, "application {mobile_app} crashed with signal {small} at {addr}"),
             (1, "battery at {pct}, {int} minutes remaining"),
             (1, "DHCP lease for {ip} on en0 renewed, lease time {int}s"),
         ]),
    sset("mobile", "<Time> <Device> <Process>\\(<Lib>\\)\\[<Pid>\\] <Level>: <Content>",
         lambda t, r: "%s %s %s(%s)[%s] %s:" % (
             dt(t, r), r.choice(["iPhone", "iPad", "Pixel-7"]), r.choice(
                 ["SpringBoard", "locationd", "mediaserverd", "apsd", "itunesstored", "backboardd"]),
             r.choice(["CoreFoundation", "libxpc.dylib", "UIKitCore", "CFNetwork"]), v_pid(r),
             r.choice(["Notice", "Error", "Default"])),
         [
             (14, "{mobile_app}: background task {int} expired after {duration}"),
             (10, "push token for {mobile_app} registered: {hex40}"),
             (8, "location authorization for {mobile_app} changed to {authz}"),
             (8, "app {mobile_app} moved to foreground"),
             (7, "app {mobile_app} moved to background"),
             (5, "HTTP load failed for task <{uuid}>.<{small}>: error {neg} [{neg}]"),
             (5, "Task <{uuid}>.<{small}> finished with {bytes} in {duration}"),
             (4, "memory pressure {mempress}: terminating {mobile_app} ({int} KB resident)"),
             (3, "battery {pct}, charging {yesno}, temperature {float} C"),
             (3, "cell signal {signal} dBm on band {small}, carrier {carrier}"),
             (2, "silent mode toggled"),
             (2, "crash report for {mobile_app} written to {path}"),
             (1, "app {mobile_app} installed, version {version}"),
             (1, "app {mobile_app} removed"),
         ]),
    sset("java", "<Time> <Level> <Pid> --- \\[<Thread>\\] <Logger> : <Content>",
         lambda t, r: "%s %s %s --- [%s] %s :" % (
             dt(t, r) + ".%03d" % r.randint(0, 999), level(r), v_pid(r), v_thread(r), v_class(r)),
         [
             (18, "Completed {method} {apipath} in {int} ms with status {status}"),
             (10, "HikariPool-{small} - Connection {class}@{hex8} marked as broken because of SQLSTATE({int}), ErrorCode({int})"),
             (8, "Fetched {int} rows from {table} in {duration}"),
             (7, "Cache miss for key {table}:{int}, loading from database"),
             (6, "Failed to call {url}: {exception}: Read timed out after {int} ms"),
             (5, "Scheduled task {class}.run() took {int} ms"),
             (4, "Started {appname} in {float} seconds (process running for {float})"),
             (3, "Tomcat started on port(s): {port} (http) with context path ''"),
             (3, "Kafka consumer group {service} rebalanced, assigned partitions: {partlist}"),
             (3, "Retrying {method} {url} in {duration} (attempt {small})"),
             (2, "Exception in thread \"{thread}\" {exception}: {reason}"),
             (2, "HikariPool-{small} - Starting..."),
             (2, "HikariPool-{small} - Start completed."),
             (1, "Shutting down ExecutorService '{word}'"),
             (1, "Flyway: migrating schema \"public\" to version {version} - {migration}"),
         ]),
    sset("python", "\\[<Time>: <Level>/<Worker>\\] <Content>",
         lambda t, r: "[%s,%03d: %s/%s]" % (dt(t, r), r.randint(0, 999), r.choice(
             ["INFO", "INFO", "WARNING", "ERROR"]), r.choice(
             ["MainProcess", "ForkPoolWorker-%d" % r.randint(1, 16)])),
         [
             (20, "Task {pymodule}.{taskname}[{uuid}] received"),
             (18, "Task {pymodule}.{taskname}[{uuid}] succeeded in {float}s: {result}"),
             (4, "Task {pymodule}.{taskname}[{uuid}] retry: Retry in {int}s: {reason}"),
             (3, "Task {pymodule}.{taskname}[{uuid}] raised unexpected: ConnectionError('{reason}')"),
             (6, "{pymodule}: sent {int} emails to {email} and {int} others"),
             (5, "{pymodule}: processed batch {int}/{int} ({pct})"),
             (4, "Connected to redis://{hostport}/{small}"),
             (3, "mingle: searching for neighbors"),
             (3, "mingle: all alone"),
             (3, "celery@{host} ready."),
             (2, "Booting worker with pid: {pid}"),
             (2, "Worker exiting (pid: {pid})"),
             (2, "Scheduler: Sending due task {taskname} ({pymodule}.{taskname})"),
             (1, "consumer: Cannot connect to amqp://{user}@{hostport}//: {reason}."),
             (1, "Django version {version}, using settings '{pymodule}.settings'"),
         ]),
    sset("kubernetes", "<Level><Date> <Time> <Pid> <Source>\\] <Content>",
         lambda t, r: "%s%s %s.%06d %7s %s:%d]" % (
             r.choice("IIIIWE"), time.strftime("%m%d", time.gmtime(t)),
             time.strftime("%H:%M:%S", time.gmtime(t)), r.randint(0, 999999), v_pid(r),
             r.choice(["kubelet.go", "pod_workers.go", "kuberuntime_manager.go", "prober.go",
                       "scheduler.go", "event.go"]), r.randint(100, 3000)),
         [
             (16, "\"SyncLoop (PLEG): event for pod\" pod=\"{ns}/{pod}\" event={{ID:{uuid} Type:ContainerStarted Data:{hex40}}}"),
             (8, "\"SyncLoop (PLEG): event for pod\" pod=\"{ns}/{pod}\" event={{ID:{uuid} Type:ContainerDied Data:{hex40}}}"),
             (10, "\"Probe failed\" probeType=\"Readiness\" pod=\"{ns}/{pod}\" podUID={uuid} containerName=\"{app}\" probeResult=failure output=\"Get \\\"{url}\\\": {reason}\""),
             (5, "\"Probe failed\" probeType=\"Liveness\" pod=\"{ns}/{pod}\" podUID={uuid} containerName=\"{app}\" probeResult=failure output=\"HTTP probe failed with statuscode: {status}\""),
             (8, "\"Killing container with a grace period\" pod=\"{ns}/{pod}\" podUID={uuid} containerName=\"{app}\" containerID=\"containerd://{container}\" gracePeriod={int}"),
             (6, "Successfully assigned {ns}/{pod} to {node}"),
             (5, "Pulling image \"{image}\""),
             (5, "Successfully pulled image \"{image}\" in {duration} (includes waiting)"),
             (4, "Back-off restarting failed container {app} in pod {pod}_{ns}({uuid})"),
             (3, "\"Failed to pull image\" err=\"rpc error: code = NotFound desc = failed to resolve reference \\\"{image}\\\": not found\" image=\"{image}\""),
             (3, "\"Evicting pod\" pod=\"{ns}/{pod}\" reason=\"{evict}\""),
             (2, "Node {node} status is now: NodeReady"),
             (2, "Node {node} status is now: NodeNotReady"),
             (1, "\"Volume detached for volume\" volumeName=\"kubernetes.io/projected/{uuid}-kube-api-access-{session}\""),
         ]),
    sset("containerd", "time=\"<Time>\" level=<Level> <Content>",
         lambda t, r: "time=\"%s\" level=%s" % (iso(t, r), r.choice(
             ["info", "info", "info", "warning", "error"])),
         [
             (14, "msg=\"StartContainer for \\\"{container}\\\" returns successfully\""),
             (10, "msg=\"CreateContainer within sandbox \\\"{container}\\\" for &ContainerMetadata{{Name:{app},Attempt:{small},}} returns container id \\\"{container}\\\"\""),
             (8, "msg=\"shim disconnected\" id={container} namespace=k8s.io"),
             (8, "msg=\"cleaning up after shim disconnected\" id={container} namespace=k8s.io"),
             (6, "msg=\"StopPodSandbox for \\\"{container}\\\" returns successfully\""),
             (6, "msg=\"PullImage \\\"{image}\\\" returns image reference \\\"sha256:{container}\\\"\""),
             (4, "msg=\"ImageCreate event name:\\\"{image}\\\" labels:{{key:\\\"io.cri-containerd.image\\\" value:\\\"managed\\\"}}\""),
             (4, "msg=\"loading plugin \\\"io.containerd.{plugin}\\\"...\" type=io.containerd.{plugintype}"),
             (3, "msg=\"skip loading plugin \\\"io.containerd.{plugin}\\\"...\" error=\"{reason}: skip plugin\" type=io.containerd.{plugintype}"),
             (3, "msg=\"failed to delete\" cmd=\"/usr/bin/containerd-shim-runc-v2 -namespace k8s.io -address /run/containerd/containerd.sock -publish-binary /usr/bin/containerd -id {container} delete\" error=\"exit status 1\""),
             (2, "msg=\"serving...\" address=/run/containerd/containerd.sock"),
             (2, "msg=\"containerd successfully booted in {duration}\""),
             (1, "msg=\"Start snapshots syncer\""),
         ]),
    sset("postgres", "<Date> <Time> UTC \\[<Pid>\\] <Who> <Level>:  <Content>",
         lambda t, r: "%s.%03d UTC [%s] %s" % (dt(t, r), r.randint(0, 999), v_pid(r), r.choice(
             ["%s@%s" % (v_user(r), v_db(r)), "[unknown]@[unknown]", "postgres@postgres"])) + " " + r.choice(
             ["LOG", "LOG", "LOG", "ERROR", "FATAL", "WARNING"]) + ":",
         [
             (16, "connection received: host={ip} port={port}"),
             (15, "connection authorized: user={user} database={db} application_name={pgapp}"),
             (12, "disconnection: session time: {pgtime} user={user} database={db} host={ip} port={port}"),
             (10, "duration: {dur_ms_float} ms  statement: {sql}"),
             (5, "password authentication failed for user \"{user}\""),
             (4, "relation \"{table}\" does not exist at character {int}"),
             (4, "could not receive data from client: Connection reset by peer"),
             (3, "checkpoint starting: {ckpt}"),
             (3, "checkpoint complete: wrote {int} buffers ({pct}); {small} WAL file(s) added, {small} removed, {small} recycled; write={float} s, sync={float} s, total={float} s"),
             (3, "automatic vacuum of table \"{db}.public.{table}\": index scans: {small}"),
             (3, "automatic analyze of table \"{db}.public.{table}\""),
             (2, "database \"{db}\" does not exist"),
             (2, "sorry, too many clients already"),
             (2, "terminating connection due to administrator command"),
             (1, "duplicate key value violates unique constraint \"{table}_pkey\""),
             (1, "deadlock detected"),
         ]),
    sset("mariadb", "<Date> <Time> <Thread> \\[<Level>\\] <Content>",
         lambda t, r: "%s %s [%s]" % (dt(t, r), r.randint(1, 99999), r.choice(
             ["Note", "Warning", "Warning", "ERROR"])),
         [
             (18, "Aborted connection {int} to db: '{db}' user: '{user}' host: '{ip}' ({abort})"),
             (10, "Access denied for user '{user}'@'{ip}' (using password: {yesno})"),
             (5, "InnoDB: Buffer pool(s) load completed at {mysqltime}"),
             (5, "Slave I/O thread: connected to master '{user}@{hostport}',replication started in log '{binlog}' at position {int}"),
             (4, "Slave SQL thread initialized, starting replication in log '{binlog}' at position {int}, relay log './{relaylog}' position: {int}"),
             (4, "Got an error reading communication packets"),
             (3, "Got timeout reading communication packets"),
             (3, "Host '{ip}' is blocked because of many connection errors; unblock with 'mariadb-admin flush-hosts'"),
             (3, "Too many connections"),
             (2, "InnoDB: Starting shutdown..."),
             (2, "InnoDB: Shutdown completed; log sequence number {int}; transaction id {int}"),
             (2, "/usr/sbin/mariadbd: ready for connections."),
             (2, "/usr/sbin/mariadbd: Normal shutdown"),
             (1, "Event Scheduler: Loaded {small} events"),
             (1, "Incorrect definition of table mysql.{table}: expected column 'User' at position {small}"),
         ]),
    sset("mail", "<Date> <Time> <Host> <Process>\\[<Pid>\\]: <Content>",
         lambda t, r: "%s %s %s[%s]:" % (time.strftime("%b %d %H:%M:%S", time.gmtime(t)),
                                         r.choice(["mx1", "mx2", "smtp-out"]), r.choice(
             ["postfix/smtpd", "postfix/smtp", "postfix/qmgr", "postfix/cleanup",
              "dovecot"]), v_pid(r)),
         [
             (14, "connect from {mailhost}"),
             (13, "disconnect from {mailhost} ehlo={small} mail={small} rcpt={small} data={small} quit={small} commands={small}"),
             (12, "{qid}: client={mailhost}"),
             (10, "{qid}: message-id=<{hex16}@{host}>"),
             (10, "{qid}: from=<{email}>, size={int}, nrcpt={small} (queue active)"),
             (10, "{qid}: to=<{email}>, relay={mailhost}:25, delay={float}, delays={delays}, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as {qid})"),
             (4, "{qid}: to=<{email}>, relay={mailhost}:25, delay={float}, delays={delays}, dsn=4.4.1, status=deferred (connect to {host}[{ip}]:25: {reason})"),
             (8, "{qid}: removed"),
             (4, "NOQUEUE: reject: RCPT from {mailhost}: 554 5.7.1 <{email}>: Relay access denied; from=<{email}> to=<{email}> proto=ESMTP helo=<{host}>"),
             (4, "warning: {mailhost}: SASL LOGIN authentication failed: authentication failure"),
             (4, "imap-login: Login: user=<{email}>, method=PLAIN, rip={ip}, lip={ip}, mpid={pid}, TLS, session=<{session}>"),
             (3, "imap({email}): Logged out in={int} out={int}"),
             (2, "lost connection after AUTH from {mailhost}"),
             (1, "statistics: max connection rate {small}/60s for (smtp:{ip}) at {syslogtime}"),
         ]),
    sset("dns", "<Date> <Time> <Process>\\[<Pid>\\]: <Content>",
         lambda t, r: "%s %s[%s]:" % (time.strftime("%b %d %H:%M:%S", time.gmtime(t)),
                                      r.choice(["named", "dnsmasq", "unbound"]), v_pid(r)),
         [
             (16, "client @{addr} {ip}#{port} ({domain}): query: {domain} IN {rrtype} +E(0)K ({ip})"),
             (10, "query[{rrtype}] {domain} from {ip}"),
             (9, "forwarded {domain} to {ip}"),
             (9, "reply {domain} is {ip}"),
             (5, "cached {domain} is <CNAME>"),
             (4, "reply {domain} is NXDOMAIN"),
             (3, "info: resolving {domain}. {rrtype} IN"),
             (3, "error: SERVFAIL <{domain}. {rrtype} IN>: all servers for this domain failed, at zone {domain}."),
             (3, "zone {domain}/IN: transferred serial {int}"),
             (2, "zone {domain}/IN: loaded serial {int}"),
             (2, "client @{addr} {ip}#{port} ({domain}): zone transfer '{domain}/AXFR/IN' denied"),
             (2, "DHCPACK(eth0) {ip} {mac} {host}"),
             (1, "reading /etc/resolv.conf"),
             (1, "using nameserver {ip}#53"),
         ]),
]

MORE = {
    "protos": lambda r: r.choice(PROTOS),
    "iso8601": lambda r: iso(1700000000 + r.randint(0, 10 ** 7), r),
    "tlevel": lambda r: r.choice(["nominal", "moderate", "heavy", "trapping", "sleeping"]),
    "authz": lambda r: r.choice(["always", "when-in-use", "denied", "restricted"]),
    "neg": lambda r: str(-r.randint(1000, 1200)),
    "mempress": lambda r: r.choice(["warning", "critical"]),
    "yesno": lambda r: r.choice(["YES", "NO"]),
    "carrier": lambda r: r.choice(["Vodafone", "T-Mobile", "Orange", "Telia", "Verizon"]),
    "appname": lambda r: r.choice(CLASSNAMES) + "Application",
    "partlist": lambda r: "[" + ", ".join("%s-%d" % (r.choice(SERVICES), r.randint(0, 11))
                                          for _ in range(r.randint(1, 4))) + "]",
    "exception": lambda r: r.choice(EXCEPTIONS),
    "migration": lambda r: r.choice(["add index on orders", "create table invoices",
                                     "drop legacy columns", "backfill customer ids"]),
    "pymodule": lambda r: r.choice(PYMODULES),
    "taskname": lambda r: r.choice(["send_receipt", "build_report", "sync_stock",
                                    "purge_sessions", "charge_card", "resize_image"]),
    "result": lambda r: r.choice(["None", "True", "{'sent': %d}" % r.randint(0, 99),
                                  "'ok'", "[%d, %d]" % (r.randint(0, 9), r.randint(0, 9))]),
    "node": lambda r: r.choice(["ip-10-0-%d-%d.%s.compute.internal" % (
        r.randint(0, 255), r.randint(0, 255), v_region(r)), "worker-%d" % r.randint(1, 12),
        "gke-prod-pool-%s-%s" % (v_hex(r, 8), v_hex(r, 4))]),
    "evict": lambda r: r.choice(["The node was low on resource: memory.",
                                 "The node was low on resource: ephemeral-storage.",
                                 "Pod ephemeral local storage usage exceeds the total limit of containers 2Gi."]),
    "plugin": lambda r: r.choice(["snapshotter.v1.btrfs", "snapshotter.v1.zfs",
                                  "content.v1.content", "grpc.v1.cri", "runtime.v2.task",
                                  "snapshotter.v1.devmapper"]),
    "plugintype": lambda r: r.choice(["snapshotter.v1", "grpc.v1", "runtime.v2", "content.v1"]),
    "pgapp": lambda r: r.choice(["psql", "pgbouncer", "app-server", "metabase", "\"\""]),
    "pgtime": lambda r: "%d:%02d:%02d.%03d" % (r.randint(0, 9), r.randint(0, 59),
                                              r.randint(0, 59), r.randint(0, 999)),
    "ckpt": lambda r: r.choice(["time", "wal", "immediate force wait", "shutdown immediate"]),
    "abort": lambda r: r.choice(["Got timeout reading communication packets",
                                 "Got an error reading communication packets",
                                 "This connection closed normally without authentication"]),
    "mysqltime": lambda r: "%02d%02d%02d %2d:%02d:%02d" % (r.randint(20, 24), r.randint(1, 12),
                                                         r.randint(1, 28), r.randint(0, 23),
                                                         r.randint(0, 59), r.randint(0, 59)),
    "binlog": lambda r: "mysql-bin.%06d" % r.randint(1, 999),
    "relaylog": lambda r: "relay-bin.%06d" % r.randint(1, 999),
    "mailhost": lambda r: r.choice(["unknown", v_host(r), "mail-%s.outbound.example.net" % v_hex(r, 6)])
    + "[%s]" % v_ip(r),
    "delays": lambda r: "/".join("%.2g" % r.uniform(0, 3) for _ in range(4)),
    "syslogtime": lambda r: time.strftime("%b %d %H:%M:%S", time.gmtime(1700000000 + r.randint(0, 10 ** 6))),
}
MORE["app"] = lambda r: r.choice(APPS)
MORE["rrtype"] = lambda r: zipf_pick(r, RRTYPES, 1.0)
VALUES.update(MORE)


def render(r, template):
    """The line text and the truth template of one event."""
    out, truth, i = [], [], 0
    while i < len(template):
        c = template[i]
        if c == "{" and template.startswith("{{", i):
            out.append("{")
            truth.append("{")
            i += 2
        elif c == "}" and template.startswith("}}", i):
            out.append("}")
            truth.append("}")
            i += 2
        elif c == "{":
            j = template.index("}", i)
            out.append(VALUES[template[i + 1:j]](r))
            truth.append("<*>")
            i = j + 1
        else:
            out.append(c)
            truth.append(c)
            i += 1
    return "".join(out), "".join(truth)


def generate(s, outdir, seed):
    r = random.Random("%s/%d" % (s["name"], seed))
    weights = [w if w > 1 else 0.2 for w, _ in s["events"]]
    t = 1764547200 + r.randint(0, 86400 * 30)  # December 2025
    d = os.path.join(outdir, s["name"])
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, s["name"] + ".log"), "w") as log, \
            open(os.path.join(d, s["name"] + ".truth.csv"), "w", newline="") as tf:
        w = csv.writer(tf)
        w.writerow(["LineId", "EventId", "EventTemplate"])
        for n in range(1, LINES + 1):
            k = r.choices(range(len(s["events"])), weights=weights)[0]
            text, truth = render(r, s["events"][k][1])
            t += r.expovariate(1 / 3.0)
            log.write("%s %s\n" % (s["prefix"](int(t), r), text))
            w.writerow([n, "E%d" % (k + 1), truth])


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "--list":
        for s in SETS:
            print("%s\t%s" % (s["name"], s["header"]))
        return
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    outdir = sys.argv[1]
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "formats.tsv"), "w") as f:
        for s in SETS:
            generate(s, outdir, seed)
            f.write("%s\t%s\n" % (s["name"], s["header"]))


if __name__ == "__main__":
    main()
