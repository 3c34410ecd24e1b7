"""Relations: fetching in every form, and building queries on queries."""

import pytest

import quiver


@pytest.fixture
def people(con):
    con.sql(
        "CREATE TABLE people AS SELECT * FROM (VALUES "
        "(1, 'ann', 'x', 10), (2, 'bob', 'y', 20), (3, 'cy', 'x', 30), (4, 'di', NULL, 40)"
        ") v(id, name, team, score)"
    )
    return con.table("people")


def test_fetch_forms(people):
    table = people.arrow()
    assert table.num_rows == 4 and table.column_names == ["id", "name", "team", "score"]
    frame = people.df()
    assert list(frame["name"]) == ["ann", "bob", "cy", "di"]
    polars_frame = people.pl()
    assert polars_frame["score"].sum() == 100
    assert people.fetchone() == (1, "ann", "x", 10)
    assert people.fetchmany(2) == [(2, "bob", "y", 20), (3, "cy", "x", 30)]
    assert people.fetchall() == [(4, "di", None, 40)]
    # A full fetch starts again.
    assert len(people.fetchall()) == 4


def test_filter_project_order_limit(people):
    relation = people.filter("score > 15").project("name", "score * 2 AS doubled").order("doubled DESC").limit(2)
    assert relation.fetchall() == [("di", 80), ("cy", 60)]
    assert people.limit(1, offset=3).fetchall() == [(4, "di", None, 40)]
    assert people.select("team").distinct().order("team NULLS LAST").fetchall() == [("x",), ("y",), (None,)]


def test_aggregate(people):
    assert people.aggregate("team, sum(score) AS total").order("team").fetchall() == [
        ("x", 40),
        ("y", 20),
        (None, 40),
    ]
    assert people.aggregate("max(score)", "team").order("1").fetchall() == [(20,), (30,), (40,)]
    assert people.aggregate(["count(*)", "avg(score)"]).fetchall() == [(4, 25.0)]


def test_join_kinds(con, people):
    teams = con.sql("SELECT * FROM (VALUES ('x', 'red'), ('z', 'blue')) t(team, colour)")
    inner = people.join(teams, "team").order("id").project("id", "colour")
    assert inner.fetchall() == [(1, "red"), (3, "red")]
    left = people.set_alias("p").join(teams.set_alias("t"), "p.team = t.team", how="left")
    assert left.project("id", "colour").order("id").fetchall() == [
        (1, "red"),
        (2, None),
        (3, "red"),
        (4, None),
    ]
    anti = people.join(teams, "team", how="anti").project("id").order("id")
    assert anti.fetchall() == [(2,), (4,)]
    with pytest.raises(quiver.InvalidInputException, match="join kind"):
        people.join(teams, "team", how="sideways")


def test_set_operations(con):
    a = con.sql("SELECT * FROM (VALUES (1), (2), (2)) v(x)")
    b = con.sql("SELECT * FROM (VALUES (2), (3)) v(x)")
    assert sorted(a.union(b).fetchall()) == [(1,), (2,), (2,), (2,), (3,)]
    assert a.except_(b).fetchall() == [(1,)]
    assert a.intersect(b).fetchall() == [(2,)]


def test_write_and_views(con, people, tmp_path):
    path = tmp_path / "people.parquet"
    people.write_parquet(str(path))
    assert con.read_parquet(str(path)).aggregate("sum(score)").fetchall() == [(100,)]
    csv_path = tmp_path / "people.csv"
    people.filter("id = 1").write_csv(str(csv_path), header=True)
    assert csv_path.read_text().splitlines() == ["id,name,team,score", "1,ann,x,10"]
    people.filter("team = 'x'").to_view("xs")
    assert con.sql("SELECT count(*) FROM xs").fetchall() == [(2,)]
    people.filter("team = 'y'").to_table("ys")
    people.filter("team = 'y'").insert_into("ys")
    assert con.sql("SELECT count(*) FROM ys").fetchall() == [(2,)]


def test_show_and_repr(people, capsys):
    people.show()
    shown = capsys.readouterr().out
    assert "ann" in shown and "varchar" in shown
    many = people.cross(people)
    text = repr(many)
    assert "16 rows (10 shown)" in text


def test_explain(people):
    plan = people.filter("score > 15").explain()
    assert "Filter" in plan or "filter" in plan.lower()


def test_description(people):
    # Integer literals are BIGINT in Quiver (DuckDB: INTEGER).
    assert people.description[0] == ("id", "BIGINT", None, None, None, None, None)
