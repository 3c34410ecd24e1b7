"""Generates the H2O.ai db-benchmark group-by table G1_<N>_<K>_0_0 as one
Parquet file, following the original generator (groupby-datagen.R): N rows,
K groups in the large-group keys, no NULLs, not sorted.

    pip install duckdb
    python3 benches/h2o/generate.py --rows 1e7 --groups 1e2

Columns, each drawn uniformly with replacement as in the original:
id1, id2 (VARCHAR 'id001'..'id<K>'), id3 (VARCHAR 'id0000000001'..
'id<N/K>', 10 digits), id4, id5 (INTEGER 1..K), id6 (INTEGER 1..N/K), v1
(INTEGER 1..5), v2 (INTEGER 1..15), v3 (DOUBLE in [0, 100) rounded to 6
decimals). The output is benches/data/h2o/G1_1e7_1e2_0_0.parquet. DuckDB
draws the values with a fixed seed, so the file is the same every time on
one DuckDB version.
"""
import argparse
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent.parent


def name(n):
    """1e7 -> '1e7', as the original names its files."""
    exponent = len(str(int(n))) - 1
    return f"1e{exponent}"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rows", type=float, default=1e7)
    p.add_argument("--groups", type=float, default=1e2)
    args = p.parse_args()
    n, k = int(args.rows), int(args.groups)
    out = ROOT / "benches" / "data" / "h2o" / f"G1_{name(n)}_{name(k)}_0_0.parquet"
    out.parent.mkdir(parents=True, exist_ok=True)
    small = n // k
    con = duckdb.connect()
    con.execute("SELECT setseed(0.108)")
    pick = lambda m: f"CAST(floor(random() * {m}) AS INTEGER) + 1"
    con.execute(f"""
        COPY (
            SELECT
                printf('id%03d', {pick(k)}) AS id1,
                printf('id%03d', {pick(k)}) AS id2,
                printf('id%010d', {pick(small)}) AS id3,
                {pick(k)} AS id4,
                {pick(k)} AS id5,
                {pick(small)} AS id6,
                {pick(5)} AS v1,
                {pick(15)} AS v2,
                round(random() * 100, 6) AS v3
            FROM range({n})
        ) TO '{out}' (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE 1000000)
    """)
    print(out)


if __name__ == "__main__":
    main()
