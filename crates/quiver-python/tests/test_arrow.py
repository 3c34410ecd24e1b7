"""Arrow both ways: registration of pyarrow, pandas and polars data, and
results streamed through the PyCapsule interface."""

import pandas
import polars
import pyarrow as pa
import pytest

import quiver


def test_register_pyarrow_table_shares_buffers(con):
    table = pa.table({"a": pa.array(range(100_000), pa.int64())})
    con.register("t", table)
    assert con.sql("SELECT sum(a) FROM t").fetchall() == [(sum(range(100_000)),)]
    # The result of a projection hands the registered buffers back unchanged.
    out = con.sql("SELECT a FROM t").arrow()
    original = table.column("a").chunk(0).buffers()[1].address
    assert original in {chunk.buffers()[1].address for chunk in out.column("a").chunks}


def test_register_pandas_and_polars(con):
    con.register("pd", pandas.DataFrame({"k": ["a", "b", "a"], "v": [1, 2, 3]}))
    con.register("pl", polars.DataFrame({"k": ["a", "b"], "w": [10.0, 20.0]}))
    rows = con.sql("SELECT k, sum(v * w) FROM pd JOIN pl USING (k) GROUP BY k ORDER BY k").fetchall()
    assert rows == [("a", 40.0), ("b", 40.0)]


def test_register_record_batch_reader_and_replace(con):
    batches = [pa.record_batch({"x": [i, i + 1]}) for i in range(0, 6, 2)]
    reader = pa.RecordBatchReader.from_batches(batches[0].schema, batches)
    con.register("r", reader)
    assert con.sql("SELECT count(*), sum(x) FROM r").fetchall() == [(6, 15)]
    con.register("r", pa.table({"y": ["replaced"]}))
    assert con.sql("SELECT * FROM r").fetchall() == [("replaced",)]
    con.unregister("r")
    with pytest.raises(quiver.BinderException):
        con.sql("SELECT * FROM r")


def test_a_registered_reader_is_read_by_the_first_query_only(con):
    made = []

    def batches():
        for i in range(4):
            made.append(i)
            yield pa.record_batch({"x": [i] * 1000})

    schema = pa.schema([("x", pa.int64())])
    con.register("g", pa.RecordBatchReader.from_batches(schema, batches()))
    # Registering and planning do not read the generator.
    con.sql("EXPLAIN SELECT sum(x) FROM g").fetchall()
    assert made == []
    assert con.sql("SELECT count(*), sum(x) FROM g").fetchall() == [(4000, 6000)]
    assert made == [0, 1, 2, 3]
    with pytest.raises(quiver.Error, match="the stream registered as g was already read"):
        con.sql("SELECT count(*) FROM g").fetchall()


def test_a_failing_reader_fails_the_query(con):
    def batches():
        yield pa.record_batch({"x": [1]})
        raise ValueError("the source broke")

    schema = pa.schema([("x", pa.int64())])
    con.register("broken", pa.RecordBatchReader.from_batches(schema, batches()))
    with pytest.raises(quiver.Error, match="the source broke"):
        con.sql("SELECT sum(x) FROM broken").fetchall()


def test_uuids_reach_python_as_uuid_values(con):
    import uuid

    text = "550e8400-e29b-41d4-a716-446655440000"
    rel = con.sql(f"SELECT '{text}'::UUID AS u, NULL::UUID AS n, ['{text}'::UUID] AS l")
    assert rel.fetchall() == [(uuid.UUID(text), None, [uuid.UUID(text)])]
    assert rel.arrow().schema.field("u").type == pa.uuid()
    frame = rel.df()
    assert frame["u"][0] == uuid.UUID(text)
    # pyarrow cannot make pandas values of UUIDs (or any fixed-size binary)
    # in lists: their bytes.
    assert list(frame["l"][0]) == [uuid.UUID(text).bytes]
    # polars has no UUID type: the text, as DuckDB gives it.
    assert rel.pl()["u"].to_list() == [text]
    # A pyarrow UUID column registered reads back as UUIDs.
    con.register("ids", rel.arrow())
    assert con.sql("SELECT typeof(u), u::VARCHAR FROM ids").fetchall() == [("UUID", text)]


def test_register_refuses_other_objects(con):
    with pytest.raises(quiver.InvalidInputException, match="not dict"):
        con.register("d", {"a": [1]})


def test_results_stream_through_the_capsule_interface(con):
    relation = con.sql("SELECT range AS i FROM range(1000000)")
    reader = relation.fetch_record_batch()
    first = reader.read_next_batch()
    assert first.num_rows > 0 and first.num_rows < 1_000_000
    total = first.num_rows + sum(batch.num_rows for batch in reader)
    assert total == 1_000_000
    assert pa.table(relation).num_rows == 1_000_000
    assert polars.from_arrow(relation.arrow()).height == 1_000_000


def test_types_round_trip(con):
    table = pa.table(
        {
            "l": pa.array([[1, 2], None, []], pa.list_(pa.int32())),
            "s": pa.array([{"a": 1}, {"a": None}, None], pa.struct([("a", pa.int64())])),
            "ts": pa.array([0, 1, None], pa.timestamp("us", tz="UTC")),
            "d": pa.array([1, 2, 3], pa.decimal128(10, 2)),
        }
    )
    con.register("t", table)
    assert con.sql("SELECT * FROM t").arrow().equals(table)


def test_errors_while_streaming_are_raised(con):
    reader = con.sql("SELECT 1 / (range - 5) FROM range(10)").fetch_record_batch()
    with pytest.raises(Exception, match="division by zero|Division by zero"):
        reader.read_all()


def test_pandas_nan_is_null_and_dtypes_survive(con):
    frame = pandas.DataFrame(
        {
            "i": [1, 2, 3],
            "f": [0.5, float("nan"), 2.0],
            "clean": [1.0, 2.0, float("inf")],
            "b": [True, False, True],
            "s": ["x", None, "z"],
            "t": pandas.to_datetime(["2024-01-01", "2024-01-02", None]),
        }
    )
    con.register("p", frame)
    assert con.sql("SELECT count(f), count(clean), count(s), count(t), sum(i) FROM p").fetchall() == [
        (2, 3, 2, 2, 6)
    ]
    assert con.sql("SELECT typeof(i), typeof(f), typeof(b), typeof(s) FROM p LIMIT 1").fetchall() == [
        ("BIGINT", "DOUBLE", "BOOLEAN", "VARCHAR")
    ]
    both_infinities = pandas.DataFrame({"x": [float("inf"), float("-inf")]})
    con.register("inf", both_infinities)
    assert con.sql("SELECT count(x) FROM inf").fetchall() == [(2,)]


def test_python_variables_are_read_by_name(con):
    sales = pandas.DataFrame({"region": ["n", "s", "n"], "amount": [1, 2, 3]})
    rates = pa.table({"region": ["n", "s"], "rate": [10, 100]})
    rows = con.sql(
        "SELECT region, sum(amount * rate) FROM sales JOIN rates USING (region) "
        "GROUP BY region ORDER BY region"
    ).fetchall()
    assert rows == [("n", 40), ("s", 200)]
    # The names were borrowed for the query only.
    assert "sales" not in con.tables()
    # A registered table comes first; other objects are not tables.
    con.register("rates", pa.table({"region": ["n"], "rate": [1]}))
    assert con.sql("SELECT count(*) FROM rates").fetchall() == [(1,)]
    not_data = 5
    with pytest.raises(quiver.BinderException, match='table "not_data" not found'):
        con.sql("SELECT * FROM not_data")
    assert not_data == 5


def test_module_level_sql_reads_variables_too():
    frame = polars.DataFrame({"x": [1, 2, 3]})
    assert quiver.sql("SELECT sum(x) FROM frame").fetchall() == [(6,)]


def test_record_batches_of_a_chosen_size(con):
    reader = con.sql("SELECT range AS i FROM range(25000)").fetch_record_batch(10000)
    sizes = [batch.num_rows for batch in reader]
    assert sizes == [10000, 10000, 5000]
    cursor = con.execute("SELECT range AS i FROM range(7)")
    assert [b.num_rows for b in cursor.fetch_record_batch(3)] == [3, 3, 1]
    with pytest.raises(quiver.InvalidInputException, match="at least 1"):
        con.sql("SELECT 1").fetch_record_batch(0)
