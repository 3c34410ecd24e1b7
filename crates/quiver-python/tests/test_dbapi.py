"""The DB-API 2.0 interface."""

import pytest

import quiver


def test_module_globals():
    assert quiver.apilevel == "2.0"
    assert quiver.paramstyle == "qmark"
    assert issubclass(quiver.ProgrammingError, quiver.DatabaseError)
    assert issubclass(quiver.DatabaseError, quiver.Error)


def test_cursor_execute_and_fetch(con):
    cursor = con.cursor()
    cursor.execute("CREATE TABLE t (a INTEGER, b VARCHAR)")
    assert cursor.description is None
    cursor.executemany("INSERT INTO t VALUES (?, ?)", [(1, "one"), (2, "two"), (3, None)])
    assert cursor.rowcount == 3
    cursor.execute("SELECT a, b FROM t ORDER BY a")
    assert [d[:2] for d in cursor.description] == [("a", "INTEGER"), ("b", "VARCHAR")]
    assert cursor.rowcount == -1
    assert cursor.fetchone() == (1, "one")
    cursor.arraysize = 2
    assert cursor.fetchmany() == [(2, "two"), (3, None)]
    assert cursor.fetchone() is None
    assert cursor.fetchall() == []


def test_cursor_iterates_and_updates_count(con):
    con.execute("CREATE TABLE t AS SELECT range AS a FROM range(10)")
    assert [row[0] for row in con.execute("SELECT a FROM t ORDER BY a")] == list(range(10))
    cursor = con.execute("UPDATE t SET a = a + 1 WHERE a < ?", [4])
    assert cursor.rowcount == 4
    assert con.execute("DELETE FROM t WHERE a > 5").rowcount == 4


def test_fetching_a_large_result_in_pieces(con):
    cursor = con.execute("SELECT range FROM range(100000)")
    seen = 0
    while rows := cursor.fetchmany(7000):
        seen += len(rows)
    assert seen == 100000


def test_fetch_without_rows_is_an_error(con):
    cursor = con.cursor()
    with pytest.raises(quiver.ProgrammingError, match="no statement"):
        cursor.fetchone()
    cursor.execute("CREATE TABLE t (a INTEGER)")
    with pytest.raises(quiver.ProgrammingError):
        cursor.fetchall()


def test_closed_cursor(con):
    cursor = con.execute("SELECT 1")
    cursor.close()
    with pytest.raises(quiver.ConnectionException):
        cursor.fetchall()


def test_arrow_pandas_polars_from_a_cursor(con):
    cursor = con.execute("SELECT range AS x FROM range(5)")
    assert cursor.fetch_arrow_table().num_rows == 5
    assert list(con.execute("SELECT 1 AS y").df()["y"]) == [1]
    assert con.execute("SELECT 2 AS z").pl()["z"].to_list() == [2]
