"""Python functions called from SQL."""

import threading

import pyarrow as pa
import pyarrow.compute as pc
import pytest

import quiver


def test_native_functions_run_per_row_and_skip_nulls(con):
    con.create_function("shout", lambda s: s.upper() + "!", ["VARCHAR"], "VARCHAR")
    rows = con.sql("SELECT shout(x) FROM (VALUES ('hi'), (NULL), ('yo')) v(x)").fetchall()
    assert rows == [("HI!",), (None,), ("YO!",)]
    con.create_function("plus", lambda a, b: a + b, ["BIGINT", "BIGINT"], "INTEGER")
    assert con.sql("SELECT plus(2, 40)").fetchall() == [(42,)]
    assert con.sql("SELECT typeof(plus(2, 40))").fetchall() == [("INTEGER",)]


def test_arrow_functions_run_per_batch(con):
    con.create_function(
        "double_it", lambda a: pc.multiply(a, 2), ["BIGINT"], "BIGINT", type="arrow"
    )
    assert con.sql("SELECT sum(double_it(range)) FROM range(100000)").fetchall() == [
        (99999 * 100000,)
    ]


def test_functions_without_arguments_and_side_effects(con):
    counter = iter(range(10**9))
    con.create_function("tick", lambda: next(counter), [], "BIGINT", side_effects=True)
    assert con.sql("SELECT count(DISTINCT tick()) FROM range(1000)").fetchall() == [(1000,)]


def test_exceptions_fail_the_query_with_their_message(con):
    def broken(x):
        raise ValueError(f"cannot handle {x}")

    con.create_function("broken", broken, ["BIGINT"], "BIGINT")
    with pytest.raises(quiver.ExecutionException, match="function broken raised ValueError: cannot handle"):
        con.sql("SELECT broken(range) FROM range(3)").fetchall()
    con.create_function("wrong", lambda x: "not a number", ["BIGINT"], "BIGINT")
    with pytest.raises(quiver.ExecutionException, match="function wrong raised"):
        con.sql("SELECT wrong(1)").fetchall()
    assert con.sql("SELECT 1").fetchall() == [(1,)]


def test_bad_definitions_are_errors(con):
    with pytest.raises(quiver.BinderException, match="not a SQL type"):
        con.create_function("f", lambda x: x, ["NOT A TYPE"], "BIGINT")
    with pytest.raises(quiver.InvalidInputException, match="native' or 'arrow'"):
        con.create_function("f", lambda x: x, ["BIGINT"], "BIGINT", type="vector")
    con.create_function("one", lambda x: x, ["BIGINT"], "BIGINT")
    with pytest.raises(quiver.BinderException, match="takes 1 argument"):
        con.sql("SELECT one(1, 2)")


def test_functions_in_streamed_results_and_other_threads(con):
    con.create_function("inc", lambda x: x + 1, ["BIGINT"], "BIGINT")
    reader = con.sql("SELECT inc(range) AS x FROM range(50000)").fetch_record_batch()
    assert sum(pc.sum(batch.column(0)).as_py() for batch in reader) == sum(range(1, 50001))
    results = []
    worker = threading.Thread(
        target=lambda: results.append(con.sql("SELECT max(inc(range)) FROM range(10)").fetchall())
    )
    worker.start()
    worker.join()
    assert results == [[(10,)]]
