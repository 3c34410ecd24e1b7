"""Differential fuzzing of window functions: random window queries over a
random table, run on Quiver (the `quiver` binary) and on DuckDB, whose
answers must agree as multisets of rows.

    pip install duckdb
    cargo build -p quiver-cli            # or --release, with --binary
    python3 sqllogictest/window_differential.py --queries 300 --seed 1

Every ORDER BY spells out its NULL order (so both default orders are
exercised the same way), and calls whose answer depends
on how ties are broken (row_number, lag, ROWS frames, first_value...) get an
ORDER BY ending with a unique row id, so both engines must give the same
rows. Prints each disagreement and exits 1 if there is any.
"""
import argparse
import csv
import io
import random
import subprocess
import sys
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent


def table_sql(rng, rows):
    values = []
    for i in range(rows):
        g = rng.choice(["NULL", "1", "2", "3"])
        o = rng.choice(["NULL"] + [str(v) for v in range(-2, 8)])
        x = rng.choice(["NULL"] + [str(v) for v in (-5, 0, 1, 2, 3, 10, 40, 100)])
        d = rng.choice(["NULL", "DATE '2024-01-01'", "DATE '2024-01-03'", "DATE '2024-01-09'",
                        "DATE '2024-02-01'", "DATE '2023-12-30'"])
        values.append(f"({i}, {g}, {o}, {x}, {d})")
    # An empty table keeps the column types of a typed row it filters out.
    where = "" if values else " WHERE false"
    values = values or ["(0, 1, 1, 1, DATE '2024-01-01')"]
    return ("CREATE TABLE w AS SELECT * FROM (VALUES " + ", ".join(values) +
            ") AS v(id, g, o, x, d)" + where)


def order_key(rng, column):
    return f"{column} {rng.choice(['ASC', 'DESC'])} NULLS {rng.choice(['FIRST', 'LAST'])}"


def bound(rng, units, end):
    n = rng.randint(0, 3)
    choices = ["CURRENT ROW", f"{n} PRECEDING", f"{n} FOLLOWING"]
    choices.append("UNBOUNDED FOLLOWING" if end else "UNBOUNDED PRECEDING")
    return rng.choice(choices)


def window_call(rng):
    partition = rng.choice(["", "PARTITION BY g", "PARTITION BY g, o % 2"])
    key = rng.choice(["o", "x", "d"])
    keys = [order_key(rng, key)] + ([order_key(rng, "x")] if rng.random() < 0.3 else [])
    total = rng.random() < 0.5
    if total:
        keys.append("id ASC NULLS LAST")
    units = rng.choice(["ROWS", "RANGE", "GROUPS"] if total else ["RANGE", "GROUPS"])
    if units == "RANGE" and len(keys) != 1:
        units = "GROUPS"
    start, end = bound(rng, units, False), bound(rng, units, True)
    if start == "CURRENT ROW" and end.endswith("PRECEDING") or (
            start.endswith("FOLLOWING") and not end.endswith("FOLLOWING")):
        start, end = "UNBOUNDED PRECEDING", "CURRENT ROW"
    if units == "RANGE" and key == "d":
        def days(b):
            n, _, word = b.partition(" ")
            return f"INTERVAL '{n} days' {word}" if n.isdigit() else b
        start, end = days(start), days(end)
    exclude = rng.choice(["", "", " EXCLUDE CURRENT ROW", " EXCLUDE GROUP", " EXCLUDE TIES"])
    frame = f" {units} BETWEEN {start} AND {end}{exclude}" if rng.random() < 0.8 else ""
    nulls = " IGNORE NULLS" if rng.random() < 0.3 else ""
    peer_safe = ["rank()", "dense_rank()", "percent_rank()", "cume_dist()", "count(*)",
                 "count(x)", "sum(x)", "min(x)", "max(o)", "avg(x)", "count(DISTINCT o)",
                 "sum(DISTINCT x)", "max(d)", "avg(CAST(x AS DECIMAL(10,2)))",
                 "sum(CAST(x AS DECIMAL(10,2)))"]
    ordered = ["row_number()", "ntile(3)", f"lag(x, {rng.randint(0, 3)}, -1{nulls})",
               f"lead(x, {rng.randint(1, 2)}{nulls})", f"first_value(x{nulls})",
               f"last_value(x{nulls})", f"nth_value(x, {rng.randint(1, 3)}{nulls})"]
    f = rng.choice(peer_safe + (ordered if total else []))
    framed = not f.startswith(("rank", "dense_rank", "percent_rank", "cume_dist", "row_number",
                               "ntile", "lag", "lead"))
    spec = " ".join(p for p in [partition, "ORDER BY " + ", ".join(keys)] if p)
    return f"{f} OVER ({spec}{frame if framed else ''})"


def norm(v):
    """A value as comparable text: numbers rounded, NULL empty."""
    text = "" if v is None else str(v)
    if isinstance(v, bool) or text in ("true", "false"):
        return text.lower()
    try:
        return repr(round(float(text), 6))
    except ValueError:
        return text


def quiver_rows(binary, setup, sql):
    r = subprocess.run([binary, "--format", "csv", "-c", setup + ";\n" + sql],
                       capture_output=True, text=True, cwd=ROOT)
    if r.returncode != 0:
        return None, r.stderr.strip()
    out = list(csv.reader(io.StringIO(r.stdout)))[1:]
    return sorted(tuple(norm(v) for v in row) for row in out), None


def compare(make_query):
    """Runs `make_query(rng)` queries on both engines over random tables
    (a new one every 25 queries), prints each disagreement and exits 1 if
    there is any. Takes --queries, --seed and --binary."""
    p = argparse.ArgumentParser()
    p.add_argument("--queries", type=int, default=200)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--binary", default=str(ROOT / "target" / "debug" / "quiver"))
    args = p.parse_args()
    rng = random.Random(args.seed)
    bad = 0
    for q in range(args.queries):
        if q % 25 == 0:
            setup = table_sql(rng, rng.randint(0, 40))
            con = duckdb.connect()
            con.execute(setup)
        sql = make_query(rng)
        try:
            expected = sorted(tuple(norm(v) for v in r) for r in con.execute(sql).fetchall())
        except duckdb.Error as e:
            print(f"skipped (DuckDB: {str(e).splitlines()[0]}): {sql}")
            continue
        got, err = quiver_rows(args.binary, setup, sql)
        if err is not None or got != expected:
            bad += 1
            print(f"DIFFERENCE: {sql}\n  quiver: {err or got[:8]}\n  duckdb: {expected[:8]}")
    print(f"{args.queries} queries, {bad} differences")
    sys.exit(1 if bad else 0)


def window_query(rng):
    calls = [window_call(rng) for _ in range(rng.randint(1, 2))]
    return "SELECT id, " + ", ".join(calls) + " FROM w"


if __name__ == "__main__":
    compare(window_query)
