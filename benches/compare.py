"""Times TPC-H queries on Quiver, DuckDB and DataFusion at the same thread count.

    pip install duckdb datafusion           # peers; dev tools only
    cargo build --profile benchmark -p quiver-benches
    python3 benches/compare.py --sf 1 --queries 1,6 --threads 2

Each engine reads the same Parquet files (benches/data/sf<SF>, made by
`tpch gen`) and runs each query --iterations times; the best time counts.
Peers that are not installed are skipped. Prints a Markdown table.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCHES = Path(__file__).resolve().parent
ROOT = BENCHES.parent
TABLES = ["customer", "lineitem", "nation", "orders", "part", "partsupp", "region", "supplier"]


def query(q):
    return (BENCHES / "tpch" / "queries" / f"q{q}.sql").read_text()


def best_of(n, run):
    times = []
    for _ in range(n):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def time_quiver(args, data):
    binary = ROOT / "target" / args.profile / "tpch"
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run(
            [str(binary), "run", "--sf", str(args.sf), "--dir", str(data), "--queries", args.queries,
             "--iterations", str(args.iterations), "--threads", str(args.threads), "--json", out.name],
            check=True, stdout=subprocess.DEVNULL)
        return {r["query"]: r["best_s"] for r in json.load(open(out.name))}


def time_duckdb(args, data, queries):
    import duckdb
    con = duckdb.connect()
    con.execute(f"SET threads = {args.threads}")
    for t in TABLES:
        con.execute(f"CREATE VIEW {t} AS SELECT * FROM read_parquet('{data / t}/*.parquet')")
    return {q: best_of(args.iterations, lambda: con.execute(query(q)).fetchall()) for q in queries}


def time_datafusion(args, data, queries):
    import datafusion
    config = datafusion.SessionConfig().with_target_partitions(args.threads)
    ctx = datafusion.SessionContext(config)
    for t in TABLES:
        ctx.register_parquet(t, str(data / t))
    return {q: best_of(args.iterations, lambda: ctx.sql(query(q)).collect()) for q in queries}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sf", default="1")
    p.add_argument("--queries", default=",".join(str(q) for q in range(1, 23)))
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--iterations", type=int, default=3)
    p.add_argument("--profile", default="benchmark", help="cargo profile the tpch binary was built with")
    args = p.parse_args()
    sf = float(args.sf)
    data = BENCHES / "data" / ("sf%g" % sf)  # named as the Rust runner names it
    if not data.exists():
        sys.exit(f"no data at {data}; run: target/{args.profile}/tpch gen --sf {args.sf}")
    queries = [int(q) for q in args.queries.split(",")]

    results = {"Quiver": time_quiver(args, data)}
    for name, timer in [("DuckDB", time_duckdb), ("DataFusion", time_datafusion)]:
        try:
            results[name] = timer(args, data, queries)
        except ImportError:
            print(f"({name} is not installed; pip install {name.lower()})", file=sys.stderr)

    peers = [n for n in results if n != "Quiver"]
    print(f"TPC-H SF{args.sf}, {args.threads} threads, best of {args.iterations} runs (seconds)\n")
    print("| query | Quiver | " + " | ".join(f"{n} | Quiver/{n}" for n in peers) + " |")
    print("|---|---|" + "---|---|" * len(peers))
    totals = {n: 0.0 for n in results}
    for q in queries:
        row = [f"q{q}", f"{results['Quiver'][q]:.3f}"]
        for n in peers:
            row += [f"{results[n][q]:.3f}", f"{results['Quiver'][q] / results[n][q]:.2f}"]
        for n in results:
            totals[n] += results[n][q]
        print("| " + " | ".join(row) + " |")
    row = ["total", f"{totals['Quiver']:.3f}"]
    for n in peers:
        row += [f"{totals[n]:.3f}", f"{totals['Quiver'] / totals[n]:.2f}"]
    print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
