"""Writes the expected TPC-H answers used by Quiver's test suite.

Runs each query in benches/tpch/queries (and testdata/tpch/extra_queries,
used by the join-order tests) on DuckDB over the SF 0.1 Parquet
files that `tpch gen --sf 0.1` writes (the same deterministic tpchgen data the
test generates), and stores the result as testdata/tpch/answers/qN.csv:
a header row, then one row per result row, NULL as an empty field, numbers
in full precision.

    cargo run --release -p quiver-benches -- gen --sf 0.1 --dir /tmp/sf01
    pip install duckdb
    python3 testdata/tpch/generate_answers.py /tmp/sf01

With a second argument, the answers go to that directory instead; the
benchmark runner's `--verify` reads them from DATA_DIR/answers:

    python3 testdata/tpch/generate_answers.py benches/data/sf1 benches/data/sf1/answers
"""

import csv
import pathlib
import sys

import duckdb

TABLES = ["customer", "lineitem", "nation", "orders", "part", "partsupp", "region", "supplier"]


def main() -> None:
    data = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/sf01")
    repo = pathlib.Path(__file__).resolve().parents[2]
    queries = repo / "benches" / "tpch" / "queries"
    out = pathlib.Path(sys.argv[2]) if len(sys.argv) > 2 else repo / "testdata" / "tpch" / "answers"
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    for t in TABLES:
        con.execute(f"CREATE VIEW {t} AS SELECT * FROM read_parquet('{data / t}/*.parquet')")
    files = [queries / f"q{q}.sql" for q in range(1, 23)]
    if len(sys.argv) <= 2:
        files += sorted((repo / "testdata" / "tpch" / "extra_queries").glob("*.sql"))
    for path in files:
        sql = path.read_text()
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
        with open(out / f"{path.stem}.csv", "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(names)
            for row in rows:
                w.writerow(["" if v is None else repr(v) if isinstance(v, float) else str(v) for v in row])
        print(f"{path.stem}: {len(rows)} rows")


if __name__ == "__main__":
    main()
