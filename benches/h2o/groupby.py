"""The H2O.ai db-benchmark group-by questions q1-q10 on G1_1e7_1e2_0_0:
Quiver against DuckDB, Polars and DataFusion, each engine in its own
process per question (so peak RSS is that question's, with the table
loaded), at the same thread count.

    pip install duckdb polars datafusion
    python3 benches/h2o/generate.py --rows 1e7 --groups 1e2
    cargo build --release -p quiver-cli
    python3 benches/h2o/groupby.py --threads 2 --iterations 3

As in the original benchmark the table is loaded into memory first (not
timed), and each question materializes its answer (a table in Quiver and
DuckDB, a DataFrame in Polars, batches in DataFusion); the time is the best
of `--iterations` runs. Every engine's answer is checked against DuckDB's:
the row count and the sum of every measure column (to 6 significant
digits; q6's standard deviation and q9's r² over floats differ in their
last digits with the order of addition).
"""
import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT / "benches"))
from peers import measured, run_times  # noqa: E402  (measured: a child's output and peak RSS)

QUESTIONS = {
    "q1": ("SELECT id1, sum(v1) AS v1 FROM x GROUP BY id1", ["v1"]),
    "q2": ("SELECT id1, id2, sum(v1) AS v1 FROM x GROUP BY id1, id2", ["v1"]),
    "q3": ("SELECT id3, sum(v1) AS v1, avg(v3) AS v3 FROM x GROUP BY id3", ["v1", "v3"]),
    "q4": ("SELECT id4, avg(v1) AS v1, avg(v2) AS v2, avg(v3) AS v3 FROM x GROUP BY id4",
           ["v1", "v2", "v3"]),
    "q5": ("SELECT id6, sum(v1) AS v1, sum(v2) AS v2, sum(v3) AS v3 FROM x GROUP BY id6",
           ["v1", "v2", "v3"]),
    "q6": ("SELECT id4, id5, median(v3) AS median_v3, stddev(v3) AS sd_v3 FROM x "
           "GROUP BY id4, id5", ["median_v3", "sd_v3"]),
    "q7": ("SELECT id3, max(v1) - min(v2) AS range_v1_v2 FROM x GROUP BY id3",
           ["range_v1_v2"]),
    "q8": ("SELECT id6, v3 AS largest2_v3 FROM (SELECT id6, v3, row_number() OVER "
           "(PARTITION BY id6 ORDER BY v3 DESC) AS order_v3 FROM x WHERE v3 IS NOT NULL) "
           "AS sub_query WHERE order_v3 <= 2", ["largest2_v3"]),
    "q9": ("SELECT id2, id4, power(corr(v1, v2), 2) AS r2_v1_v2 FROM x GROUP BY id2, id4",
           ["r2_v1_v2"]),
    "q10": ("SELECT id1, id2, id3, id4, id5, id6, sum(v3) AS v3, count(*) AS count FROM x "
            "GROUP BY id1, id2, id3, id4, id5, id6", ["v3", "count"]),
}

# The same questions in Polars' own API (its SQL lacks some of them).
POLARS = {
    "q1": 'x.group_by("id1").agg(pl.sum("v1"))',
    "q2": 'x.group_by("id1", "id2").agg(pl.sum("v1"))',
    "q3": 'x.group_by("id3").agg(pl.sum("v1"), pl.mean("v3"))',
    "q4": 'x.group_by("id4").agg(pl.mean("v1"), pl.mean("v2"), pl.mean("v3"))',
    "q5": 'x.group_by("id6").agg(pl.sum("v1"), pl.sum("v2"), pl.sum("v3"))',
    "q6": 'x.group_by("id4", "id5").agg(pl.median("v3").alias("median_v3"), '
          'pl.std("v3").alias("sd_v3"))',
    "q7": 'x.group_by("id3").agg((pl.max("v1") - pl.min("v2")).alias("range_v1_v2"))',
    "q8": 'x.drop_nulls("v3").sort("v3", descending=True).group_by("id6").head(2)'
          '.select("id6", pl.col("v3").alias("largest2_v3"))',
    "q9": 'x.group_by("id2", "id4").agg((pl.corr("v1", "v2") ** 2).alias("r2_v1_v2"))',
    "q10": 'x.group_by("id1", "id2", "id3", "id4", "id5", "id6")'
           '.agg(pl.sum("v3"), pl.len().alias("count"))',
}

WORKER = r'''
import json, os, sys, time
engine, path, threads, iterations, question, sql, measures, polars_expr = sys.argv[1:9]
threads, iterations, measures = int(threads), int(iterations), json.loads(measures)
if engine == "duckdb":
    import duckdb
    con = duckdb.connect()
    con.execute(f"SET threads={threads}")
    con.execute(f"CREATE TABLE x AS SELECT * FROM read_parquet('{path}')")
    def run():
        con.execute("DROP TABLE IF EXISTS ans")
        con.execute(f"CREATE TABLE ans AS {sql}")
    def check():
        sums = ", ".join(f"sum({m})" for m in measures)
        return list(con.execute(f"SELECT count(*), {sums} FROM ans").fetchone())
elif engine == "polars":
    os.environ["POLARS_MAX_THREADS"] = str(threads)
    import polars as pl
    x = pl.read_parquet(path)
    ans = None
    def run():
        global ans
        ans = eval(polars_expr)
    def check():
        return [ans.height] + [ans[m].sum() for m in measures]
else:
    import datafusion
    import pyarrow as pa
    import pyarrow.compute as pc
    ctx = datafusion.SessionContext(datafusion.SessionConfig().with_target_partitions(threads))
    ctx.register_parquet("x_file", path)
    ctx.register_record_batches("x", [ctx.sql("SELECT * FROM x_file").collect()])
    ans = None
    def run():
        global ans
        ans = ctx.sql(sql).collect()
    def check():
        table = pa.Table.from_batches(ans)
        return [table.num_rows] + [pc.sum(table[m]).as_py() for m in measures]
best = None
for _ in range(iterations):
    s = time.perf_counter(); run(); t = time.perf_counter() - s
    best = t if best is None else min(best, t)
print(json.dumps({"time": best, "check": check()}))
'''


def quiver(args, path, sql, measures):
    """Quiver's best time, its check row and peak RSS."""
    script = f"CREATE TABLE x AS SELECT * FROM '{path}';\n"
    for _ in range(args.iterations):
        script += f"DROP TABLE IF EXISTS ans;\nCREATE TABLE ans AS {sql};\n"
    sums = ", ".join(f"sum({m})" for m in measures)
    script += f"SELECT count(*), {sums} FROM ans;\n"
    cmd = [str(ROOT / "target" / "release" / "quiver"), "--threads", str(args.threads),
           "--format", "csv", "--timer", "-c", script]
    out, err, rss = measured(cmd)
    lines = out.splitlines()
    times = run_times(err)
    # Statements: the load, then DROP and CREATE per iteration, then the check.
    create_times = times[2:2 + 2 * args.iterations:2]
    check = [l for l in lines if l][-1].split(",")
    return min(create_times), check, rss


def peer(engine, args, path, name, sql, measures):
    """A peer engine's best time, check row and peak RSS."""
    cmd = [sys.executable, "-c", WORKER, engine, str(path), str(args.threads),
           str(args.iterations), name, sql, json.dumps(measures), POLARS[name]]
    out, _, rss = measured(cmd)
    # The answer is the last line (DuckDB may print a progress bar first).
    result = json.loads(out.strip().splitlines()[-1])
    return result["time"], result["check"], rss


def canonical(check):
    return [float(f"{float(v):.6g}") if v not in (None, "", "None") else None for v in check]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="G1_1e7_1e2_0_0")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--iterations", type=int, default=3)
    p.add_argument("--questions", help="comma-separated, such as q1,q6")
    p.add_argument("--engines", default="quiver,duckdb,polars,datafusion")
    p.add_argument("--json", help="write the figures here")
    args = p.parse_args()
    path = ROOT / "benches" / "data" / "h2o" / f"{args.data}.parquet"
    chosen = args.questions.split(",") if args.questions else list(QUESTIONS)
    engines = args.engines.split(",")
    print(f"{args.data}, {args.threads} threads, best of {args.iterations}; time in s, peak RSS in MB")
    header = " | ".join(f"{e} | {e} RSS" for e in engines)
    print(f"| question | {header} | Quiver/DuckDB | Quiver/best peer |")
    print("|---" * (2 * len(engines) + 3) + "|")
    figures = []
    totals = {e: 0.0 for e in engines}
    for name in chosen:
        sql, measures = QUESTIONS[name]
        results = {}
        for engine in engines:
            try:
                if engine == "quiver":
                    results[engine] = quiver(args, path, sql, measures)
                else:
                    results[engine] = peer(engine, args, path, name, sql, measures)
            except RuntimeError as e:
                print(f"{engine} failed on {name}: {e}")
        reference = results.get("duckdb")
        for engine, (_, check, _) in results.items():
            if reference and canonical(check) != canonical(reference[1]):
                print(f"ANSWERS DIFFER on {name}: {engine} {check} duckdb {reference[1]}")
        cells = []
        for engine in engines:
            if engine in results:
                t, _, rss = results[engine]
                totals[engine] += t
                cells.append(f"{t:.3f} | {rss:.0f}")
            else:
                cells.append("- | -")
        ratio = best_ratio = "-"
        if "quiver" in results and "duckdb" in results:
            ratio = f"{results['quiver'][0] / results['duckdb'][0]:.2f}"
        peers = [results[e][0] for e in results if e != "quiver"]
        if "quiver" in results and peers:
            best_ratio = f"{results['quiver'][0] / min(peers):.2f}"
        print(f"| {name} | {' | '.join(cells)} | {ratio} | {best_ratio} |")
        figures.append({"question": name, **{e: {"time": r[0], "rss_mb": r[2]}
                                              for e, r in results.items()}})
    print("| total | " + " | ".join(f"{totals[e]:.3f} | " for e in engines) + " | |")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
