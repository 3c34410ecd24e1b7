"""Window functions on TPC-H lineitem: Quiver against DuckDB and DataFusion,
each engine in its own process per query (so peak RSS is the query's), at
the same thread count. Every query reduces its window column to a few
values, which must agree across the engines.

    pip install duckdb datafusion
    cargo build --release -p quiver-cli -p quiver-benches
    target/release/tpch gen --sf 1
    python3 benches/window_compare.py --threads 2 --iterations 3

Quiver's time is the best of `--iterations` runs of the query inside one
`quiver -c` process (its start-up and footer reading are not counted);
DuckDB's and DataFusion's likewise, in-process. RSS is each process's peak.
"""
import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

ORDERED = "ORDER BY l_shipdate, l_orderkey, l_linenumber"
QUERIES = {
    "row_number by l_orderkey": (
        "SELECT count(*), sum(rn) FROM (SELECT row_number() OVER "
        "(PARTITION BY l_orderkey ORDER BY l_linenumber) AS rn FROM lineitem) AS q",
        None),
    "7-row moving sum by l_suppkey": (
        "SELECT sum(s), max(s) FROM (SELECT sum(l_quantity) OVER (PARTITION BY l_suppkey "
        f"{ORDERED} ROWS BETWEEN 6 PRECEDING AND CURRENT ROW) AS s FROM lineitem) AS q",
        None),
    "rank over all, top 10": (
        "SELECT l_orderkey, l_linenumber, r FROM (SELECT l_orderkey, l_linenumber, rank() OVER "
        "(ORDER BY l_extendedprice DESC) AS r FROM lineitem) AS q WHERE r <= 10 "
        "ORDER BY r, l_orderkey, l_linenumber",
        None),
    "RANGE 30-day average": (
        "SELECT sum(a), max(a) FROM (SELECT avg(l_extendedprice) OVER (ORDER BY l_shipdate "
        "RANGE BETWEEN INTERVAL '30 days' PRECEDING AND CURRENT ROW) AS a FROM lineitem) AS q",
        None),
    "lag / lead by l_partkey": (
        "SELECT sum(d), sum(e) FROM (SELECT l_quantity - lag(l_quantity) OVER (PARTITION BY "
        "l_partkey ORDER BY l_orderkey, l_linenumber) AS d, lead(l_extendedprice, 2, 0) OVER "
        "(PARTITION BY l_partkey ORDER BY l_orderkey, l_linenumber) AS e FROM lineitem) AS q",
        None),
    "moving sum, memory_limit 300MB": (
        "SELECT sum(s), max(s) FROM (SELECT sum(l_quantity) OVER (PARTITION BY l_suppkey "
        f"{ORDERED} ROWS BETWEEN 6 PRECEDING AND CURRENT ROW) AS s FROM lineitem) AS q",
        "300MB"),
}

WORKER = r'''
import json, sys, time
engine, data, threads, iterations, limit, sql = sys.argv[1:7]
threads, iterations = int(threads), int(iterations)
if engine == "duckdb":
    import duckdb
    con = duckdb.connect()
    con.execute(f"SET threads={threads}")
    if limit != "-":
        con.execute(f"SET memory_limit='{limit}'")
    con.execute(f"CREATE VIEW lineitem AS SELECT * FROM read_parquet('{data}/lineitem/*.parquet')")
    run = lambda: con.execute(sql).fetchall()
else:
    import datafusion
    config = datafusion.SessionConfig().with_target_partitions(threads)
    ctx = datafusion.SessionContext(config)
    ctx.register_parquet("lineitem", f"{data}/lineitem")
    run = lambda: [tuple(r.values()) for b in ctx.sql(sql).collect() for r in b.to_pylist()]
best, rows = None, None
for _ in range(iterations):
    s = time.perf_counter(); rows = run(); t = time.perf_counter() - s
    best = t if best is None else min(best, t)
print(json.dumps({"time": best, "rows": [[str(v) for v in r] for r in rows]}))
'''


def measured(cmd):
    """Runs `cmd` as a child process: (stdout, stderr, its peak RSS in MB)."""
    with open(os.devnull, "w") as _, __import__("tempfile").TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True)
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        err.seek(0)
        if status != 0:
            raise RuntimeError(f"{cmd[0]} failed: {err.read().strip()[-800:]}")
        return out, err.read(), usage.ru_maxrss / 1024


def quiver(args, data, sql, limit):
    """Quiver's best time, its rows and peak RSS."""
    script = f"CREATE EXTERNAL TABLE lineitem STORED AS PARQUET LOCATION '{data}/lineitem';\n"
    if limit:
        script += f"SET memory_limit = '{limit}';\n"
    script += (sql + ";\n") * args.iterations
    cmd = [str(ROOT / "target" / "release" / "quiver"), "--partitions", str(args.threads),
           "--format", "csv", "--timer", "-c", script]
    out, err, rss = measured(cmd)
    text = out + err
    times = [float(l.split()[1].rstrip("s")) for l in text.splitlines() if l.startswith("Elapsed:")]
    times = times[-args.iterations:]
    lines = [l for l in out.splitlines() if l and not l.startswith("Elapsed:")]
    # Each run prints a header and its rows; keep the last run's rows.
    per_run = len(lines) // args.iterations
    rows = [l.split(",") for l in lines[-per_run + 1:]] if per_run > 1 else []
    return min(times), rows, rss


def peer(engine, args, data, sql, limit):
    """DuckDB's or DataFusion's best time, rows and peak RSS."""
    cmd = [sys.executable, "-c", WORKER, engine, str(data), str(args.threads),
           str(args.iterations), limit or "-", sql]
    out, _, rss = measured(cmd)
    result = json.loads(out)
    return result["time"], result["rows"], rss


def canonical(rows):
    """Rows with numbers to 9 significant digits (sums of millions of
    floats differ in their last digits with the order of addition)."""
    def value(v):
        try:
            return float(f"{float(v):.9g}") if v not in ("", "None") else None
        except ValueError:
            return v
    return [[value(v) for v in r] for r in rows]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--sf", default="1")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--iterations", type=int, default=3)
    p.add_argument("--queries", help="comma-separated numbers (1-based)")
    p.add_argument("--json", help="write the figures here")
    args = p.parse_args()
    data = ROOT / "benches" / "data" / f"sf{args.sf}"
    chosen = list(QUERIES.items())
    if args.queries:
        chosen = [chosen[int(i) - 1] for i in args.queries.split(",")]
    print(f"SF {args.sf}, {args.threads} threads, best of {args.iterations}; time in s, peak RSS in MB")
    print("| query | Quiver | DuckDB | Q/D | DataFusion | Q/DF | Quiver RSS | DuckDB RSS | DataFusion RSS |")
    print("|---|---|---|---|---|---|---|---|---|")
    figures = []
    for name, (sql, limit) in chosen:
        q = quiver(args, data, sql, limit)
        d = peer("duckdb", args, data, sql, limit)
        # DataFusion has no per-query memory limit setting from SQL.
        f = peer("datafusion", args, data, sql, None) if not limit else None
        if canonical(q[1]) != canonical(d[1]):
            print(f"RESULTS DIFFER for {name}: quiver {q[1][:3]} duckdb {d[1][:3]}")
        fd = f"{f[0]:.3f} | {q[0] / f[0]:.2f}" if f else "- | -"
        frss = f"{f[2]:.0f}" if f else "-"
        print(f"| {name} | {q[0]:.3f} | {d[0]:.3f} | {q[0] / d[0]:.2f} | {fd} | {q[2]:.0f} | {d[2]:.0f} | {frss} |")
        figures.append({"query": name, "quiver": q[0], "duckdb": d[0],
                        "datafusion": f[0] if f else None, "quiver_rss_mb": q[2],
                        "duckdb_rss_mb": d[2], "datafusion_rss_mb": f[2] if f else None})
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
