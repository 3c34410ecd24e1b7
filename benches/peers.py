"""Shared machinery of the benchmarks that time one query at a time in
Quiver, DuckDB and DataFusion over TPC-H's lineitem: each engine in its own
process per query (so peak RSS is the query's), at the same thread count,
with the results checked to agree.

Quiver's time is the best of `iterations` runs of the query inside one
`quiver -c` process (its start-up and footer reading are not counted);
DuckDB's and DataFusion's likewise, in-process. RSS is each process's peak.

A query is either one SQL text for every engine or a dict of texts by
engine ("quiver", "duckdb", "datafusion"), for functions that the engines
spell differently; a missing engine is skipped.
"""
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

WORKER = r'''
import json, sys, time
engine, data, threads, iterations, limit, sql = sys.argv[1:7]
threads, iterations = int(threads), int(iterations)
if engine == "duckdb":
    import duckdb
    con = duckdb.connect()
    con.execute(f"SET threads={threads}")
    con.execute("SET enable_progress_bar = false")
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
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True)
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        err.seek(0)
        if status != 0:
            raise RuntimeError(f"{cmd[0]} failed: {err.read().strip()[-800:]}")
        return out, err.read(), usage.ru_maxrss / 1024


def quiver(threads, iterations, data, sql, limit):
    """Quiver's best time, its rows and peak RSS."""
    setup = f"CREATE EXTERNAL TABLE lineitem STORED AS PARQUET LOCATION '{data}/lineitem';\n"
    if limit:
        setup += f"SET memory_limit = '{limit}';\n"
    return quiver_runs(threads, iterations, setup, sql)


def run_times(stderr_text):
    """The seconds each statement took, as `quiver --timer` writes them to
    standard error ("Run Time: 0.012 s"), in order."""
    return [float(l.split()[2]) for l in stderr_text.splitlines() if l.startswith("Run Time: ")]


def quiver_runs(threads, iterations, setup, sql):
    """Runs the statements `setup`, then `sql` `iterations` times, in one
    `quiver` process: the best time, the last run's rows and peak RSS."""
    script = setup + (sql + ";\n") * iterations
    cmd = [str(ROOT / "target" / "release" / "quiver"), "--threads", str(threads),
           "--format", "csv", "--timer", "-c", script]
    out, err, rss = measured(cmd)
    times = run_times(err)[-iterations:]
    lines = [l for l in out.splitlines() if l]
    # Each run prints a header and its rows; keep the last run's rows.
    per_run = len(lines) // iterations
    rows = [l.split(",") for l in lines[-per_run + 1:]] if per_run > 1 else []
    return min(times), rows, rss


def peer(engine, threads, iterations, data, sql, limit):
    """DuckDB's or DataFusion's best time, rows and peak RSS."""
    cmd = [sys.executable, "-c", WORKER, engine, str(data), str(threads),
           str(iterations), limit or "-", sql]
    out, _, rss = measured(cmd)
    result = json.loads(out)
    return result["time"], result["rows"], rss


def canonical(rows):
    """Rows with numbers to 9 significant digits (sums of millions of
    floats differ in their last digits with the order of addition) and
    booleans in one spelling."""
    def value(v):
        if v in ("True", "true"):
            return True
        if v in ("False", "false"):
            return False
        try:
            return float(f"{float(v):.9g}") if v not in ("", "None") else None
        except ValueError:
            return v
    return [[value(v) for v in r] for r in rows]


def spelled(sql, engine):
    """The query's text for `engine` (None when it has none)."""
    return sql.get(engine) if isinstance(sql, dict) else sql


def compare(queries, args):
    """Runs each (name, (sql, memory limit)) of `queries` in the three
    engines and prints a Markdown table of times, ratios and peak RSS;
    writes the figures to `args.json` when given."""
    data = ROOT / "benches" / "data" / f"sf{args.sf}"
    chosen = list(queries.items())
    if args.queries:
        chosen = [chosen[int(i) - 1] for i in args.queries.split(",")]
    print(f"SF {args.sf}, {args.threads} threads, best of {args.iterations}; time in s, peak RSS in MB")
    print("| query | Quiver | DuckDB | Q/D | DataFusion | Q/DF | Quiver RSS | DuckDB RSS | DataFusion RSS |")
    print("|---|---|---|---|---|---|---|---|---|")
    figures = []
    for name, (sql, limit) in chosen:
        runs = (args.threads, args.iterations, data)
        q = quiver(*runs, spelled(sql, "quiver"), limit)
        d = peer("duckdb", *runs, spelled(sql, "duckdb"), limit)
        # DataFusion has no per-query memory limit setting from SQL.
        df_sql = spelled(sql, "datafusion")
        f = peer("datafusion", *runs, df_sql, None) if df_sql and not limit else None
        for other, result in (("duckdb", d), ("datafusion", f)):
            if result and canonical(q[1]) != canonical(result[1]):
                print(f"RESULTS DIFFER for {name}: quiver {q[1][:3]} {other} {result[1][:3]}")
        fd = f"{f[0]:.3f} | {q[0] / f[0]:.2f}" if f else "- | -"
        frss = f"{f[2]:.0f}" if f else "-"
        print(f"| {name} | {q[0]:.3f} | {d[0]:.3f} | {q[0] / d[0]:.2f} | {fd} | {q[2]:.0f} | {d[2]:.0f} | {frss} |")
        figures.append({"query": name, "quiver": q[0], "duckdb": d[0],
                        "datafusion": f[0] if f else None, "quiver_rss_mb": q[2],
                        "duckdb_rss_mb": d[2], "datafusion_rss_mb": f[2] if f else None})
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1))


def arguments(description):
    """The command line every comparison takes."""
    import argparse
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--sf", default="1")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--iterations", type=int, default=3)
    p.add_argument("--queries", help="comma-separated numbers (1-based)")
    p.add_argument("--json", help="write the figures here")
    return p.parse_args()
