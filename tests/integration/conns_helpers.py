"""Helpers for the brace conns tests: a clean server before each test, and
sessions in known states (idle, idle in transaction, active, waiting on a
lock) that are closed again afterwards."""
import threading
import time

import pytest

DEADLINE = 60  # seconds to wait for the server to reach a state (not a timing assertion)


def wait_for(what, predicate, deadline=DEADLINE):
    end = time.time() + deadline
    while time.time() < end:
        if predicate():
            return
        time.sleep(0.05)
    pytest.fail("timed out waiting for " + what)


def clean_pg(pg):
    """Terminate every client session but psql's own, and wait until they are gone."""
    pg.sql("SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity"
           " WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()")
    wait_for("PostgreSQL sessions to end", lambda: pg.sql(
        "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
    ).strip() == "1")


def clean_mariadb(my):
    ids = my.sql("SELECT ID FROM information_schema.PROCESSLIST"
                 " WHERE ID <> CONNECTION_ID() AND COMMAND <> 'Daemon'").split()
    for i in ids:
        try:
            my.sql("KILL %s" % i)
        except RuntimeError:
            pass  # already gone
    wait_for("MariaDB sessions to end", lambda: my.sql(
        "SELECT count(*) FROM information_schema.PROCESSLIST"
        " WHERE ID <> CONNECTION_ID() AND COMMAND <> 'Daemon'").strip() == "0")


class Sessions:
    """Client sessions opened by a test, closed by close()."""

    def __init__(self, server, kind):
        self.server = server
        self.kind = kind
        self.conns = []
        self.threads = []
        self.sleepers = []

    def open(self, **kw):
        c = self.server.connect(**kw)
        if self.kind == "pg":
            c.autocommit = True
        else:
            c.autocommit(True)
        self.conns.append(c)
        return c

    def pid(self, c):
        if self.kind == "pg":
            return c.get_backend_pid()
        return c.thread_id()

    def idle(self, n):
        return [self.open() for _ in range(n)]

    def idle_in_transaction(self, n):
        out = []
        for _ in range(n):
            c = self.open()
            cur = c.cursor()
            if self.kind == "pg":
                cur.execute("BEGIN")
                cur.execute("SELECT 1")
            else:
                # InnoDB shows a transaction once it has touched a table.
                cur.execute("BEGIN")
                cur.execute("SELECT * FROM conns_t")
                cur.fetchall()
            out.append(c)
        return out

    def active(self, n):
        """n sessions running a long sleep, visible as active on the server."""
        for _ in range(n):
            c = self.open()
            sql = "SELECT pg_sleep(300)" if self.kind == "pg" else "SELECT SLEEP(300)"

            def sleep(conn=c, q=sql):
                try:
                    conn.cursor().execute(q)
                except Exception:
                    pass  # cancelled at the end of the test
            t = threading.Thread(target=sleep, daemon=True)
            t.start()
            self.threads.append(t)
            self.sleepers.append(c)
        self.wait_active(len(self.sleepers))

    def wait_active(self, n):
        if self.kind == "pg":
            q = ("SELECT count(*) FROM pg_stat_activity WHERE state = 'active'"
                 " AND query = 'SELECT pg_sleep(300)'")
        else:
            q = ("SELECT count(*) FROM information_schema.PROCESSLIST"
                 " WHERE INFO = 'SELECT SLEEP(300)'")
        wait_for("%d sleeping sessions" % n, lambda: self.server.sql(q).strip() == str(n))

    def lock_wait(self):
        """One session holding a row lock and one waiting for it; returns the holder."""
        holder = self.open()
        cur = holder.cursor()
        cur.execute("BEGIN")
        cur.execute("UPDATE conns_t SET v = v + 1 WHERE id = 1")
        waiter = self.open()

        def blocked(conn=waiter):
            try:
                c2 = conn.cursor()
                c2.execute("BEGIN")
                c2.execute("UPDATE conns_t SET v = v + 1 WHERE id = 1")
                c2.execute("ROLLBACK")
            except Exception:
                pass
        t = threading.Thread(target=blocked, daemon=True)
        t.start()
        self.threads.append(t)
        if self.kind == "pg":
            q = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        else:
            q = "SELECT count(*) FROM information_schema.INNODB_TRX WHERE trx_state = 'LOCK WAIT'"
        wait_for("a session waiting on a lock", lambda: self.server.sql(q).strip() == "1")
        return holder

    def close(self):
        for c in self.sleepers:
            try:
                if self.kind == "pg":
                    c.cancel()
                else:
                    self.server.sql("KILL QUERY %d" % c.thread_id())
            except Exception:
                pass
        for c in self.conns:
            try:
                if self.kind == "pg":
                    c.rollback()
                c.close()
            except Exception:
                pass
        for t in self.threads:
            t.join(30)
        self.conns = []
        self.threads = []
        self.sleepers = []
