"""The statements issue's ASOF benchmark: 10M trades joined to the latest of
1M quotes of the same symbol (1,000 symbols), `ASOF JOIN ... ON t.sym =
q.sym AND t.ts >= q.ts`, in Quiver and DuckDB at the same thread count, each
in its own process with the tables made in memory first (not timed), the
answers (count and sum of the matched prices) compared.

    pip install duckdb
    cargo build --release -p quiver-cli
    python3 benches/asof_compare.py --threads 2
"""
import argparse
import json
import sys

from peers import measured, quiver_runs

SETUP = (
    "CREATE TABLE trades AS SELECT range AS id, range % 1000 AS sym, "
    "(range * 7919) % 100000000 AS ts FROM range({trades});\n"
    "CREATE TABLE quotes AS SELECT range % 1000 AS sym, (range * 104729) % 100000000 AS ts, "
    "(range % 97) * 0.5 AS px FROM range({quotes});\n"
)
QUERIES = {
    "ASOF JOIN": "SELECT count(*), sum(q.px) FROM trades t ASOF JOIN quotes q "
                 "ON t.sym = q.sym AND t.ts >= q.ts",
    "ASOF LEFT JOIN": "SELECT count(*), count(q.px), sum(q.px) FROM trades t ASOF LEFT JOIN quotes q "
                      "ON t.sym = q.sym AND t.ts >= q.ts",
}

DUCKDB = r'''
import json, sys, time
import duckdb
threads, iterations, setup, sql = sys.argv[1:5]
con = duckdb.connect()
con.execute(f"SET threads={threads}")
for statement in setup.split(";"):
    if statement.strip():
        con.execute(statement)
best, rows = None, None
for _ in range(int(iterations)):
    s = time.perf_counter(); rows = con.execute(sql).fetchall(); t = time.perf_counter() - s
    best = t if best is None else min(best, t)
print(json.dumps({"time": best, "rows": [[str(v) for v in r] for r in rows]}))
'''


def same(a, b):
    """Rows equal, numbers compared to 1e-9 relative."""
    if len(a) != len(b):
        return False
    for ra, rb in zip(a, b):
        for x, y in zip(ra, rb):
            try:
                fx, fy = float(x), float(y)
                if abs(fx - fy) > 1e-9 * max(1.0, abs(fy)):
                    return False
            except ValueError:
                if x != y:
                    return False
    return True


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--iterations", type=int, default=3)
    p.add_argument("--trades", type=int, default=10_000_000)
    p.add_argument("--quotes", type=int, default=1_000_000)
    args = p.parse_args()
    setup = SETUP.format(trades=args.trades, quotes=args.quotes)
    print(f"{args.trades} trades, {args.quotes} quotes, {args.threads} threads; "
          f"best of {args.iterations} in s, peak RSS in MB")
    print("| query | Quiver | DuckDB | Q/D | Quiver RSS | DuckDB RSS |")
    print("|---|---|---|---|---|---|")
    for name, sql in QUERIES.items():
        q_time, q_rows, q_rss = quiver_runs(args.threads, args.iterations, setup, sql)
        out, _, d_rss = measured([sys.executable, "-c", DUCKDB, str(args.threads),
                                  str(args.iterations), setup, sql])
        d = json.loads(out)
        if not same(q_rows, d["rows"]):
            print(f"RESULTS DIFFER for {name}: quiver {q_rows} duckdb {d['rows']}")
        print(f"| {name} | {q_time:.3f} | {d['time']:.3f} | {q_time / d['time']:.2f} "
              f"| {q_rss:.0f} | {d_rss:.0f} |")


if __name__ == "__main__":
    main()
