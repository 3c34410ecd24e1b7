"""The embedding issue's Python benchmark: Quiver's Python package against
DuckDB's, same thread count, each task in its own process (peak RSS of the
whole process), best of N runs, answers compared.

- fetch: 10M rows x 5 columns (three BIGINT, a DOUBLE, a VARCHAR) from an
  in-memory table (made first, not timed) into pyarrow (`.arrow()`),
  pandas (`.df()`) and polars (`.pl()`);
- register + aggregate: a 10M-row pandas DataFrame registered by name, then
  `SELECT k, sum(v), count(*) FROM df GROUP BY k` (1,000 groups), timed
  together.

    bash crates/quiver-python/ci.sh            # makes target/python-venv
    QUIVER_WHEEL_PROFILE=release bash crates/quiver-python/ci.sh   # or a release wheel
    target/python-venv/bin/pip install duckdb
    target/python-venv/bin/python benches/python_compare.py --threads 2
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

CHILD = r'''
import json, sys, time
engine, task, threads, iterations, rows = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
if engine == "quiver":
    import quiver
    con = quiver.connect(config={"threads": threads})
else:
    import duckdb
    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
TABLE = (f"CREATE TABLE t AS SELECT range AS a, range * 2 AS b, range % 1000 AS c, "
         f"range / 3.0::DOUBLE AS d, 'item-' || (range % 5000) AS e FROM range({rows})")
best, check = None, None
if task.startswith("fetch"):
    con.execute(TABLE)
    for _ in range(iterations):
        start = time.perf_counter()
        rel = con.sql("SELECT * FROM t")
        if task == "fetch arrow":
            out = rel.to_arrow_table()
            n, total = out.num_rows, out.column("b").to_pandas().sum()
        elif task == "fetch pandas":
            out = rel.df()
            n, total = len(out), out["b"].sum()
        else:
            out = rel.pl()
            n, total = out.height, out["b"].sum()
        elapsed = time.perf_counter() - start
        check = [int(n), int(total)]
        del out, rel
        best = elapsed if best is None else min(best, elapsed)
else:
    import numpy, pandas
    frame = pandas.DataFrame({
        "k": numpy.arange(rows, dtype=numpy.int64) % 1000,
        "v": numpy.arange(rows, dtype=numpy.float64) * 0.5,
    })
    for _ in range(iterations):
        start = time.perf_counter()
        con.register("df", frame)
        result = con.sql("SELECT k, sum(v), count(*) FROM df GROUP BY k ORDER BY k").fetchall()
        elapsed = time.perf_counter() - start
        con.unregister("df")
        check = [len(result), round(sum(r[1] for r in result), 3), sum(r[2] for r in result)]
        best = elapsed if best is None else min(best, elapsed)
print(json.dumps({"time": best, "check": check}))
'''

TASKS = ["fetch arrow", "fetch pandas", "fetch polars", "register pandas + aggregate"]


def measured(cmd):
    """Runs `cmd`: (stdout, peak RSS in MB)."""
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True)
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        if status != 0:
            err.seek(0)
            raise RuntimeError(f"{cmd[3:5]} failed: {err.read()[-800:]}")
        return out, usage.ru_maxrss / 1024


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--iterations", type=int, default=3)
    p.add_argument("--rows", type=int, default=10_000_000)
    args = p.parse_args()
    print(f"{args.rows} rows, {args.threads} threads; best of {args.iterations} in s, "
          "peak RSS of the process in MB")
    print("| task | Quiver | DuckDB | Q/D | Quiver RSS | DuckDB RSS |")
    print("|---|---|---|---|---|---|")
    failed = False
    for task in TASKS:
        results = {}
        for engine in ("quiver", "duckdb"):
            out, rss = measured([sys.executable, "-c", CHILD, engine, task, str(args.threads),
                                 str(args.iterations), str(args.rows)])
            results[engine] = (json.loads(out), rss)
        (q, q_rss), (d, d_rss) = results["quiver"], results["duckdb"]
        if q["check"] != d["check"]:
            print(f"| {task} | answers differ: {q['check']} vs {d['check']} |")
            failed = True
            continue
        print(f"| {task} | {q['time']:.3f} | {d['time']:.3f} | {q['time'] / d['time']:.2f}x "
              f"| {q_rss:.0f} | {d_rss:.0f} |")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
