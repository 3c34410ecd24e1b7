"""Connections: SQL, scripts, parameters, files, database directories."""

import datetime
import decimal
import subprocess
import sys

import pytest

import quiver


def test_sql_returns_a_lazy_relation(con):
    relation = con.sql("SELECT 40 + 2 AS answer, 'x' AS letter")
    assert relation.columns == ["answer", "letter"]
    assert relation.types == ["BIGINT", "VARCHAR"]
    assert relation.fetchall() == [(42, "x")]


def test_statements_without_rows_run_at_once_and_give_none(con):
    assert con.sql("CREATE TABLE t (a INTEGER, b VARCHAR)") is None
    assert con.sql("INSERT INTO t VALUES (1, 'one'), (2, 'two')") is None
    assert con.sql("SELECT count(*) FROM t").fetchall() == [(2,)]


def test_a_script_runs_every_statement_and_returns_the_last(con):
    relation = con.sql(
        "CREATE TABLE t AS SELECT * FROM range(5) r(x); "
        "INSERT INTO t VALUES (10); "
        "SELECT sum(x) FROM t"
    )
    assert relation.fetchall() == [(20,)]


def test_a_script_that_fails_to_parse_runs_nothing(con):
    with pytest.raises(quiver.ParserException):
        con.sql("CREATE TABLE t (a INTEGER); SELEC 1")
    assert "t" not in con.tables()


def test_positional_parameters_keep_their_types(con):
    values = [
        7,
        1.5,
        "it's",
        True,
        datetime.date(2024, 2, 29),
        datetime.datetime(2024, 1, 2, 3, 4, 5, 600000),
        decimal.Decimal("12.34"),
        None,
        b"\xaa\x01",
    ]
    row = con.sql(
        "SELECT ? AS i, ? AS f, ? AS s, ? AS b, ? AS d, ? AS ts, ? AS dec, ? AS n, ? AS blob",
        values,
    )
    assert row.types[:4] == ["BIGINT", "DOUBLE", "VARCHAR", "BOOLEAN"]
    assert row.fetchall() == [tuple(values)]


def test_numbered_and_named_parameters(con):
    assert con.sql("SELECT $2 - $1", [1, 10]).fetchall() == [(9,)]
    assert con.sql("SELECT $a * $b", {"a": 6, "b": 7}).fetchall() == [(42,)]


def test_parameters_work_where_literals_do(con, testdata):
    relation = con.sql(
        "SELECT city FROM read_csv(?) WHERE country = ? ORDER BY population DESC LIMIT ?",
        [str(testdata / "cities.csv"), "Japan", 1],
    )
    assert relation.fetchall() == [("Tokyo",)]


def test_wrong_parameter_counts_are_errors(con):
    with pytest.raises(quiver.BinderException, match=r"uses the parameter \?, but 1 value is given"):
        con.sql("SELECT ?, ?", [1])
    with pytest.raises(quiver.BinderException, match="2 parameter values are given"):
        con.sql("SELECT ?", [1, 2])
    with pytest.raises(quiver.BinderException, match=r"no value is given for the parameter \$x"):
        con.sql("SELECT $x", {"y": 1})
    with pytest.raises(quiver.InvalidInputException, match="list or tuple"):
        con.sql("SELECT ?", 5)
    with pytest.raises(quiver.InvalidInputException, match="has no SQL type"):
        con.sql("SELECT ?", [object()])


def test_parameters_need_one_statement(con):
    with pytest.raises(quiver.BinderException, match="single statement"):
        con.sql("SELECT 1; SELECT ?", [1])


def test_read_helpers(con, testdata):
    cities = con.read_csv(str(testdata / "cities.csv"))
    assert cities.aggregate("count(*)").fetchall() == [(25,)]
    trips = con.read_parquet(str(testdata / "trips.parquet"))
    assert trips.aggregate("count(*)").fetchall() == [(20000,)]
    events = con.read_json(str(testdata / "events.json"))
    assert "kind" in events.columns
    semicolons = con.read_csv(str(testdata / "cities.csv"), header=True, delim=",")
    assert semicolons.columns[0] == "city"


def test_a_database_directory_keeps_tables_between_processes(tmp_path):
    path = tmp_path / "db"
    with quiver.connect(path) as con:
        con.sql("CREATE TABLE kept AS SELECT 1 AS a")
        con.execute("INSERT INTO kept VALUES (?)", [2])
    script = (
        "import quiver\n"
        f"con = quiver.connect({str(path)!r}, read_only=True)\n"
        "print(con.sql('SELECT sum(a) FROM kept').fetchall())\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[(3,)]"


def test_read_only_refuses_changes(tmp_path):
    path = tmp_path / "db"
    quiver.connect(path).close()
    with quiver.connect(path, read_only=True) as con:
        with pytest.raises(quiver.Error, match="read"):
            con.sql("CREATE TABLE t (a INTEGER)")


def test_config_settings(con):
    with quiver.connect(config={"threads": 1}) as one:
        assert one.sql("SHOW threads").fetchall()[0][1] == "1"
    with pytest.raises(quiver.Error):
        quiver.connect(config={"no_such_setting": 1})


def test_closed_connections_raise(con):
    con.close()
    con.close()
    assert con.closed
    with pytest.raises(quiver.ConnectionException, match="closed"):
        con.sql("SELECT 1")
    with pytest.raises(quiver.ConnectionException):
        con.cursor()


def test_module_level_functions_use_a_default_connection():
    assert quiver.sql("SELECT 1 + 1").fetchall() == [(2,)]
    assert quiver.execute("SELECT ?", [3]).fetchone() == (3,)
    assert quiver.default_connection() is quiver.default_connection()


def test_transactions(con):
    con.sql("CREATE TABLE t (a INTEGER)")
    con.begin()
    con.sql("INSERT INTO t VALUES (1)")
    con.rollback()
    assert con.sql("SELECT count(*) FROM t").fetchall() == [(0,)]
    con.begin()
    con.sql("INSERT INTO t VALUES (1)")
    con.commit()
    con.commit()
    assert con.sql("SELECT count(*) FROM t").fetchall() == [(1,)]


def test_plain_parameters_keep_the_types_pyarrow_gives(con):
    row = con.sql("SELECT ?, ?, ?, ?, ?, ?", [1, 2.5, "s", True, None, b"\x01"])
    types = row.types
    assert types[:4] == ["BIGINT", "DOUBLE", "VARCHAR", "BOOLEAN"] and types[5] == "BLOB"
    assert row.fetchall() == [(1, 2.5, "s", True, None, b"\x01")]
    assert con.sql("SELECT $x || $y", {"x": "a", "$y": "b"}).fetchall() == [("ab",)]
    with pytest.raises(quiver.InvalidInputException, match="has no SQL type"):
        con.sql("SELECT ?", [2**70])
