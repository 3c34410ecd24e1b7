"""The statements issue's data-change benchmarks: on a table of 10M rows
(id, g = id % 100, v), an UPDATE of 10% of the rows and a DELETE of 10%,
and with --database an INSERT ... SELECT of another 10M rows, in Quiver and
DuckDB at the same thread count, each engine in its own process (the table
made first, not timed), the table's sums afterwards compared. The table is
in memory, or with --database in a database on disk (a Quiver database
directory, a DuckDB database file), where every statement commits.

    pip install duckdb
    cargo build --release -p quiver-cli
    python3 benches/dml_compare.py --threads 2 --rows 10000000
    python3 benches/dml_compare.py --threads 2 --rows 10000000 --database
"""
import argparse
import json
import sys
import tempfile

from peers import ROOT, measured, run_times

SETUP = "CREATE TABLE t AS SELECT range AS id, range % 100 AS g, range * 0.5 AS v FROM range({rows})"
STATEMENTS = {
    "UPDATE 10% of the rows": "UPDATE t SET v = v + 1 WHERE g < 10",
    "DELETE 10% of the rows": "DELETE FROM t WHERE g >= 90",
}
STORED_STATEMENTS = {
    "INSERT ... SELECT of as many rows again":
        "INSERT INTO t SELECT range + {rows} AS id, range % 100 AS g, range * 0.5 AS v FROM range({rows})",
}
CHECK = "SELECT count(*), sum(v) FROM t"

DUCKDB = r'''
import json, sys, time
import duckdb
threads, database, setup, check = sys.argv[1:5]
statements = sys.argv[5:]
con = duckdb.connect(database if database != "-" else ":memory:")
con.execute(f"SET threads={threads}")
con.execute(setup)
times = []
for sql in statements:
    s = time.perf_counter(); con.execute(sql).fetchall(); times.append(time.perf_counter() - s)
print(json.dumps({"times": times, "check": [str(v) for v in con.execute(check).fetchone()]}))
'''


def quiver(threads, database, setup, statements):
    script = setup + ";\n" + "".join(s + ";\n" for s in statements) + CHECK + ";\n"
    cmd = [str(ROOT / "target" / "release" / "quiver"), "--threads", str(threads),
           "--format", "csv", "--timer", "-c", script]
    if database:
        cmd += ["--db", database]
    out, err, rss = measured(cmd)
    times = run_times(err)
    check = [l for l in out.splitlines() if l][-1].split(",")
    # The setup, each statement, then the check.
    return times[1:1 + len(statements)], check, rss


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rows", type=int, default=10_000_000)
    p.add_argument("--database", action="store_true",
                   help="keep the table in a database on disk instead of in memory")
    args = p.parse_args()
    setup = SETUP.format(rows=args.rows)
    named = dict(STATEMENTS)
    if args.database:
        named.update({k: v.format(rows=args.rows) for k, v in STORED_STATEMENTS.items()})
    statements = list(named.values())
    with tempfile.TemporaryDirectory() as scratch:
        q_db = f"{scratch}/dml.quiver" if args.database else None
        d_db = f"{scratch}/dml.duckdb" if args.database else "-"
        q_times, q_check, q_rss = quiver(args.threads, q_db, setup, statements)
        out, _, d_rss = measured([sys.executable, "-c", DUCKDB, str(args.threads), d_db, setup,
                                  CHECK] + statements)
    d = json.loads(out)
    if [float(v) for v in q_check] != [float(v) for v in d["check"]]:
        print(f"RESULTS DIFFER: quiver {q_check} duckdb {d['check']}")
    where = "in a database on disk" if args.database else "in memory"
    print(f"{args.rows} rows {where}, {args.threads} threads; time in s, peak RSS in MB "
          f"(Quiver {q_rss:.0f}, DuckDB {d_rss:.0f})")
    print("| statement | Quiver | DuckDB | Q/D |")
    print("|---|---|---|---|")
    for name, q, dt in zip(named, q_times, d["times"]):
        print(f"| {name} | {q:.3f} | {dt:.3f} | {q / dt:.2f} |")


if __name__ == "__main__":
    main()
