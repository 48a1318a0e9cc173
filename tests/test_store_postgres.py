"""The store on PostgreSQL (issue 16): the same schema, migrations and read path as on
DuckDB. Each test gets an empty database of its own (tests/pg.py); without a server
the tests are skipped, saying why."""

import psycopg


def test_each_test_gets_an_empty_database_of_its_own(pg_url):
    with psycopg.connect(pg_url) as con:
        tables = con.execute("SELECT count(*) FROM information_schema.tables "
                             "WHERE table_schema = 'public'").fetchone()[0]
    assert tables == 0
