"""The private database servers themselves work: every later database test
relies on these fixtures."""


def test_postgres_fixture_accepts_password_login(pg):
    conn = pg.connect()
    cur = conn.cursor()
    cur.execute("SHOW max_connections")
    assert cur.fetchone()[0] == "20"
    conn.close()


def test_mariadb_fixture_accepts_password_login(mariadb):
    conn = mariadb.connect()
    cur = conn.cursor()
    cur.execute("SELECT @@max_connections")
    assert cur.fetchone()[0] == 20
    conn.close()
