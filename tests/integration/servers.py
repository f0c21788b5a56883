"""Private database servers for the integration tests.

Each server runs from a temporary directory on a free loopback port with
max_connections=20, as a non-root user where the server insists (PostgreSQL
refuses to run as root), and is stopped and removed afterwards. Nothing here
touches a system-wide instance.
"""
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time

PASSWORD = "s3cret-pw"
MAX_CONNECTIONS = 20


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_user(user, argv):
    """Run argv as user when we are root, else as ourselves."""
    if os.geteuid() == 0:
        return ["runuser", "-u", user, "--"] + argv
    return argv


def _chown_tree(path, user):
    if os.geteuid() != 0:
        return
    pw = pwd.getpwnam(user)
    for root, dirs, files in os.walk(path):
        os.chown(root, pw.pw_uid, pw.pw_gid)
        for f in files:
            os.chown(os.path.join(root, f), pw.pw_uid, pw.pw_gid)


def _run(argv, **kw):
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, **kw)
    if r.returncode != 0:
        raise RuntimeError("%s failed (%d):\n%s" % (" ".join(argv), r.returncode, r.stdout))
    return r.stdout


def pg_bindir():
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                  key=lambda d: int(d.split("/")[-2]))
    if not dirs:
        return None
    return dirs[-1]


class Postgres:
    """A throwaway PostgreSQL cluster. Superuser 'postgres' (trust on the unix
    socket), login role 'app' with a password over TCP."""

    user = "app"
    password = PASSWORD

    def __init__(self):
        self.bindir = pg_bindir()
        if self.bindir is None:
            raise RuntimeError("PostgreSQL server binaries not found")
        self.owner = "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
        self.dir = tempfile.mkdtemp(prefix="brace-pg-")
        self.data = os.path.join(self.dir, "data")
        self.port = free_port()
        self.host = "127.0.0.1"
        self.sockdir = self.dir

    def start(self):
        os.chmod(self.dir, 0o755)
        _chown_tree(self.dir, self.owner)
        _run(_as_user(self.owner, [os.path.join(self.bindir, "initdb"), "-D", self.data,
                                   "-U", "postgres", "--auth-local=trust",
                                   "--auth-host=scram-sha-256", "-E", "UTF8",
                                   "--no-sync"]))
        self.start_server()
        self.sql("CREATE ROLE %s LOGIN PASSWORD '%s'" % (self.user, self.password))
        self.sql("CREATE DATABASE appdb OWNER %s" % self.user)
        return self

    def start_server(self):
        """Start the postmaster on the existing data directory (start() and
        restarts)."""
        opts = ("-c port=%d -c listen_addresses=127.0.0.1 -c unix_socket_directories=%s "
                "-c max_connections=%d -c fsync=off -c shared_buffers=16MB "
                "-c superuser_reserved_connections=3"
                % (self.port, self.sockdir, MAX_CONNECTIONS))
        _run(_as_user(self.owner, [os.path.join(self.bindir, "pg_ctl"), "-D", self.data,
                                   "-o", opts, "-l", os.path.join(self.dir, "log"),
                                   "-w", "-t", "60", "start"]))

    def stop_server(self):
        """Stop the postmaster (fast shutdown: sessions are disconnected) and
        keep the data directory, so that start_server() brings it back."""
        _run(_as_user(self.owner, [os.path.join(self.bindir, "pg_ctl"), "-D", self.data,
                                   "-m", "fast", "-w", "-t", "60", "stop"]))

    def restart(self):
        self.stop_server()
        self.start_server()

    def sql(self, query, db="postgres"):
        return _run(_as_user(self.owner, ["psql", "-X", "-q", "-At", "-h", self.sockdir,
                                          "-p", str(self.port), "-U", "postgres", "-d", db,
                                          "-v", "ON_ERROR_STOP=1", "-c", query]))

    def url(self, user=None, password=None, db="appdb"):
        user = user or self.user
        password = self.password if password is None else password
        cred = user + (":" + password if password else "")
        return "postgresql://%s@%s:%d/%s" % (cred, self.host, self.port, db)

    def connect(self, **kw):
        import psycopg2
        args = dict(host=self.host, port=self.port, user=self.user,
                    password=self.password, dbname="appdb")
        args.update(kw)
        return psycopg2.connect(**args)

    def stop(self):
        subprocess.run(_as_user(self.owner, [os.path.join(self.bindir, "pg_ctl"), "-D",
                                             self.data, "-m", "immediate", "-w", "stop"]),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(self.dir, ignore_errors=True)


class MariaDB:
    """A throwaway MariaDB server. root over the unix socket, 'app' with a
    password over TCP."""

    user = "app"
    password = PASSWORD

    def __init__(self, extra_args=()):
        self.server = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
        self.extra_args = list(extra_args)
        if not os.path.exists(self.server):
            raise RuntimeError("MariaDB server binary not found")
        self.dir = tempfile.mkdtemp(prefix="brace-my-")
        self.data = os.path.join(self.dir, "data")
        self.socket = os.path.join(self.dir, "mysqld.sock")
        self.port = free_port()
        self.host = "127.0.0.1"
        self.proc = None
        self.run_user = "mysql" if os.geteuid() == 0 else None

    def start(self):
        os.chmod(self.dir, 0o755)
        user_opt = ["--user=" + self.run_user] if self.run_user else []
        _run(["mariadb-install-db", "--no-defaults", "--datadir=" + self.data,
              "--auth-root-authentication-method=socket", "--skip-test-db"] + user_opt)
        if self.run_user:
            _chown_tree(self.dir, self.run_user)
        self.start_server()
        self.sql("CREATE USER '%s'@'%%' IDENTIFIED BY '%s'; "
                 "CREATE DATABASE appdb; GRANT ALL ON appdb.* TO '%s'@'%%'; "
                 "GRANT PROCESS ON *.* TO '%s'@'%%'"
                 % (self.user, self.password, self.user, self.user))
        return self

    def start_server(self):
        """Start mariadbd on the existing data directory and wait until it
        answers (start() and restarts)."""
        user_opt = ["--user=" + self.run_user] if self.run_user else []
        self.proc = subprocess.Popen(
            [self.server, "--no-defaults", "--datadir=" + self.data,
             "--socket=" + self.socket, "--port=%d" % self.port,
             "--bind-address=127.0.0.1", "--max-connections=%d" % MAX_CONNECTIONS,
             "--pid-file=" + os.path.join(self.dir, "mysqld.pid"),
             "--log-error=" + os.path.join(self.dir, "error.log"),
             "--skip-name-resolve", "--innodb-buffer-pool-size=16M",
             "--innodb-log-file-size=8M", "--skip-log-bin"] + user_opt + self.extra_args,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("mariadbd exited:\n" + self._log())
            if os.path.exists(self.socket):
                try:
                    self.sql("SELECT 1")
                    break
                except RuntimeError:
                    pass
            time.sleep(0.2)
        else:
            raise RuntimeError("mariadbd did not start:\n" + self._log())

    def stop_server(self):
        """Stop mariadbd (SIGTERM: a normal shutdown) and keep the data
        directory, so that start_server() brings it back."""
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None

    def restart(self):
        self.stop_server()
        self.start_server()

    def _log(self):
        try:
            with open(os.path.join(self.dir, "error.log")) as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def sql(self, query):
        return _run(["mariadb", "--no-defaults", "-S", self.socket, "-u", "root",
                     "-N", "-B", "-e", query])

    def url(self, user=None, password=None, db="appdb", scheme="mysql"):
        user = user or self.user
        password = self.password if password is None else password
        cred = user + (":" + password if password else "")
        return "%s://%s@%s:%d/%s" % (scheme, cred, self.host, self.port, db)

    def connect(self, **kw):
        import pymysql
        args = dict(host=self.host, port=self.port, user=self.user,
                    password=self.password, database="appdb")
        args.update(kw)
        return pymysql.connect(**args)

    def stop(self):
        self.stop_server()
        shutil.rmtree(self.dir, ignore_errors=True)
