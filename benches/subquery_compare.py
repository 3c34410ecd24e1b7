"""The conformance issue's benchmarks, in Quiver and DuckDB at the same
thread count, each engine in its own process, the answers compared:

- subqueries over TPC-H SF1 (orders, customer, lineitem): a correlated
  inequality count, a correlated top-3 per outer row (LATERAL), a
  correlated average with an inequality, NOT IN over a set holding NULLs
  (uncorrelated and correlated);
- planning plus execution of star, chain and cycle joins of 8, 16, 32 and
  64 tables of 10 rows (equalities between neighbours and a constant
  filter), each query once in a fresh process.

    pip install duckdb
    cargo build --release -p quiver-cli
    target/release/tpch gen --sf 1          # if benches/data/sf1 is missing
    python3 benches/subquery_compare.py --threads 2 --iterations 3
"""
import argparse
import json
import sys

from peers import ROOT, measured, quiver_runs, run_times

TABLES = ("orders", "customer", "lineitem")

QUERIES = {
    "correlated inequality count (1.5M outer rows)": (
        "SELECT count(*), sum(c) FROM (SELECT (SELECT count(*) FROM orders o2 "
        "WHERE o2.o_custkey = o.o_custkey AND o2.o_totalprice > o.o_totalprice) AS c "
        "FROM orders o)"),
    "correlated top-3 per customer (LATERAL)": (
        "SELECT count(*), sum(t.o_totalprice) FROM customer c, LATERAL (SELECT o.o_totalprice "
        "FROM orders o WHERE o.o_custkey = c.c_custkey ORDER BY o.o_totalprice DESC LIMIT 3) t"),
    "correlated average with an inequality": (
        "SELECT count(*) FROM customer c WHERE c.c_acctbal > (SELECT avg(c2.c_acctbal) "
        "FROM customer c2 WHERE c2.c_nationkey = c.c_nationkey AND c2.c_mktsegment <> c.c_mktsegment)"),
    "NOT IN over a set with NULLs (1.5M)": (
        "SELECT count(*) FROM orders WHERE o_orderkey NOT IN "
        "(SELECT CASE WHEN l_orderkey % 1000 = 0 THEN NULL ELSE l_orderkey + 1 END FROM lineitem "
        "WHERE l_linenumber = 1)"),
    "correlated NOT IN with NULLs": (
        "SELECT count(*) FROM orders o WHERE o.o_shippriority NOT IN (SELECT nullif(l.l_linenumber, 7) "
        "FROM lineitem l WHERE l.l_orderkey = o.o_orderkey)"),
}

DUCKDB = r'''
import json, sys, time
import duckdb
data, threads, iterations, sql = sys.argv[1:5]
con = duckdb.connect()
con.execute(f"SET threads={threads}")
for t in ("orders", "customer", "lineitem"):
    con.execute(f"CREATE VIEW {t} AS SELECT * FROM read_parquet('{data}/{t}/*.parquet')")
best, rows = None, None
for _ in range(int(iterations)):
    s = time.perf_counter(); rows = con.execute(sql).fetchall(); t = time.perf_counter() - s
    best = t if best is None else min(best, t)
print(json.dumps({"time": best, "rows": [[str(v) for v in r] for r in rows]}))
'''


JOIN_DUCKDB = r'''
import json, sys, time
import duckdb
setup, sql = sys.argv[1:3]
con = duckdb.connect()
con.execute(setup)
s = time.perf_counter(); rows = con.execute(sql).fetchall(); t = time.perf_counter() - s
print(json.dumps({"time": t, "rows": [[str(v) for v in r] for r in rows]}))
'''


def wide_join(shape, n):
    """(setup, query): n tables of 10 rows joined as a star, chain or cycle."""
    setup = "".join(f"CREATE TABLE t{i} AS SELECT range AS a, range AS b FROM range(10);\n"
                    for i in range(n))
    if shape == "star":
        conditions = [f"t0.a = t{i}.a" for i in range(1, n)]
    elif shape == "chain":
        conditions = [f"t{i}.b = t{i + 1}.a" for i in range(n - 1)]
    else:
        conditions = [f"t{i}.b = t{(i + 1) % n}.a" for i in range(n)]
    tables = ", ".join(f"t{i}" for i in range(n))
    return setup, f"SELECT count(*) FROM {tables} WHERE {' AND '.join(conditions)} AND t0.a = 3"


def wide_joins(threads):
    print()
    print("| join of n tables | Quiver | DuckDB | Q/D |")
    print("|---|---|---|---|")
    for shape in ("star", "chain", "cycle"):
        for n in (8, 16, 32, 64):
            setup, sql = wide_join(shape, n)
            cmd = [str(ROOT / "target" / "release" / "quiver"), "--threads", str(threads),
                   "--format", "csv", "--timer", "-c", setup + sql + ";"]
            out, err, _ = measured(cmd)
            q_time = run_times(err)[-1]
            q_rows = [l.split(",") for l in out.splitlines() if l][-1:]
            d_out, _, _ = measured([sys.executable, "-c", JOIN_DUCKDB, setup, sql])
            d = json.loads(d_out)
            if not same(q_rows, d["rows"]):
                print(f"RESULTS DIFFER for {shape} {n}: quiver {q_rows} duckdb {d['rows']}")
            print(f"| {shape} {n} | {q_time:.4f} | {d['time']:.4f} | {q_time / d['time']:.2f} |")


def quiver(data, threads, iterations, sql):
    setup = "".join(f"CREATE EXTERNAL TABLE {t} STORED AS PARQUET LOCATION '{data}/{t}';\n"
                    for t in TABLES)
    return quiver_runs(threads, iterations, setup, sql)


def same(quiver_rows, duckdb_rows):
    """Equal rows, numbers compared as numbers (sums may print differently)."""
    def norm(v):
        try:
            return round(float(v), 2)
        except ValueError:
            return v
    canon = lambda rows: sorted(tuple(norm(v) for v in r) for r in rows)
    return canon(quiver_rows) == canon(duckdb_rows)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--iterations", type=int, default=3)
    p.add_argument("--data", default=str(ROOT / "benches" / "data" / "sf1"))
    args = p.parse_args()
    print(f"TPC-H SF1 at {args.data}, {args.threads} threads, best of {args.iterations}; "
          "time in s, peak RSS in MB")
    print("| query | Quiver | DuckDB | Q/D | Quiver RSS | DuckDB RSS |")
    print("|---|---|---|---|---|---|")
    for name, sql in QUERIES.items():
        q = quiver(args.data, args.threads, args.iterations, sql)
        out, _, d_rss = measured([sys.executable, "-c", DUCKDB, args.data, str(args.threads),
                                  str(args.iterations), sql])
        d = json.loads(out)
        if not same(q[1], d["rows"]):
            print(f"RESULTS DIFFER for {name}: quiver {q[1][:3]} duckdb {d['rows'][:3]}")
        print(f"| {name} | {q[0]:.3f} | {d['time']:.3f} | {q[0] / d['time']:.2f} "
              f"| {q[2]:.0f} | {d_rss:.0f} |")
    wide_joins(args.threads)


if __name__ == "__main__":
    main()
