#!/usr/bin/env python3
"""The memory suite: hungry queries over TPC-H data, each run in a fresh
`quiver` process under a memory limit, checking that it finishes or fails
cleanly and that the process's peak RSS stays within the limit plus
Quiver's documented constant (docs/sql.md, "Memory limit and spilling").

    cargo build --release -p quiver-cli -p quiver-benches
    target/release/tpch gen --sf 1
    python3 benches/memory_suite.py --sf 1 --limit 256MB          # the table
    python3 benches/memory_suite.py --sf 1 --limit default        # no SET

`--queries 1,4` runs some of them; `--data DIR` points at another TPC-H
directory (the CI test uses the SF 0.01 tables it writes itself). Exits
non-zero if any query overran its memory, errored other than with a clean
out-of-memory error, or crashed.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

# What the process holds beyond the operators' limit: the runtime, scan
# buffers, batches in flight between operators. Documented in docs/sql.md.
RSS_ALLOWANCE_MB = 200

TABLES = ["lineitem", "orders", "customer", "part", "partsupp", "supplier", "nation", "region"]

# (name, SQL). Each ends in a small result so printing costs nothing.
QUERIES = [
    ("self join, few keys", "SELECT count(*) FROM supplier a JOIN supplier b ON a.s_nationkey = b.s_nationkey"),
    ("left self join on a constant, DISTINCT",
     "WITH s AS (SELECT s_suppkey, 1 AS k FROM supplier) "
     "SELECT count(*) FROM (SELECT DISTINCT a.s_suppkey FROM s a LEFT JOIN s b ON a.k = b.k)"),
    ("cross join", "SELECT count(*), max(c_name || n_name) FROM customer, nation"),
    ("nested-loop join", "SELECT count(*) FROM supplier a JOIN nation b ON a.s_acctbal < b.n_nationkey * 100"),
    ("join, big build side", "SELECT count(*) FROM lineitem JOIN orders ON l_orderkey = o_orderkey"),
    ("join, many matches per key", "SELECT count(*), sum(ps_supplycost) FROM lineitem JOIN partsupp ON l_partkey = ps_partkey"),
    ("self join of lineitem", "SELECT count(*) FROM lineitem a JOIN lineitem b ON a.l_orderkey = b.l_orderkey"),
    ("DISTINCT on wide rows", "SELECT count(*) FROM (SELECT DISTINCT * FROM lineitem)"),
    ("group by 6M groups", "SELECT count(*), max(n) FROM (SELECT l_orderkey, l_linenumber, count(*) AS n FROM lineitem GROUP BY 1, 2)"),
    ("count DISTINCT of strings", "SELECT count(DISTINCT l_comment) FROM lineitem"),
    ("huge sort", "SELECT max(l_comment) FROM (SELECT l_comment FROM lineitem ORDER BY l_comment, l_orderkey LIMIT 5000000)"),
    ("sort of wide rows to a file", "COPY (SELECT * FROM lineitem ORDER BY l_comment) TO '{tmp}/sorted.parquet'"),
    ("string_agg of everything", "SELECT length(string_agg(l_comment, ',')) FROM lineitem"),
    ("EXCEPT", "SELECT count(*) FROM (SELECT l_orderkey, l_linenumber FROM lineitem EXCEPT SELECT l_orderkey, l_linenumber FROM lineitem WHERE l_quantity > 10)"),
    ("INTERSECT", "SELECT count(*) FROM (SELECT l_orderkey, l_comment FROM lineitem INTERSECT SELECT o_orderkey, o_comment FROM orders)"),
    ("UNION", "SELECT count(*) FROM (SELECT l_comment FROM lineitem UNION SELECT o_comment FROM orders)"),
    ("CTE read twice", "WITH o AS (SELECT o_custkey, o_comment FROM orders) SELECT count(*) FROM o a JOIN o b ON a.o_custkey = b.o_custkey"),
    ("COPY to CSV", "COPY lineitem TO '{tmp}/lineitem.csv'"),
    ("COPY into 500 partitions",
     "COPY (SELECT *, l_suppkey % 500 AS p FROM lineitem) TO '{tmp}/parts' (FORMAT parquet, PARTITION_BY (p))"),
    ("TPC-H Q18", None),
    ("TPC-H Q21", None),
]


def tpch_query(n):
    path = os.path.join(os.path.dirname(__file__), "tpch", "queries", f"q{n}.sql")
    with open(path) as f:
        return f.read().strip().rstrip(";")


def run_one(binary, data, sql, limit, timeout):
    """Runs `sql` in a new quiver process; returns (status, seconds, peak RSS MB)."""
    views = "".join(
        f"CREATE VIEW {t} AS SELECT * FROM '{data}/{t}/*.parquet';" for t in TABLES
    )
    setting = "" if limit == "default" else f"SET memory_limit = '{limit}';"
    script = f"{setting}{views}{sql};"
    start = time.monotonic()
    with tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen(
            [binary, "--format", "csv", "-c", script],
            stdout=subprocess.DEVNULL, stderr=err, text=True,
        )
        # wait4 gives this child's own peak RSS (in KiB on Linux).
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - start > timeout:
                child.kill()
                os.wait4(child.pid, 0)
                return "timeout", time.monotonic() - start, None
            time.sleep(0.02)
        seconds = time.monotonic() - start
        err.seek(0)
        stderr = err.read()
    child.returncode = os.waitstatus_to_exitcode(status)
    rss_mb = usage.ru_maxrss / 1024
    done = child
    if done.returncode == 0:
        return "ok", seconds, rss_mb
    message = stderr.strip().splitlines()[-1] if stderr.strip() else f"exit {done.returncode}"
    if done.returncode < 0 or "panick" in stderr:
        return f"CRASH: {message}", seconds, rss_mb
    if "memory limit" in message or "Out of memory" in message:
        return f"clean error: {message[:90]}", seconds, rss_mb
    return f"ERROR: {message[:110]}", seconds, rss_mb


def parse_mb(limit):
    units = {"KB": 1e-3, "MB": 1, "GB": 1e3, "KIB": 1024 / 1e6, "MIB": 1.048576, "GIB": 1073.741824}
    for unit, factor in units.items():
        if limit.upper().endswith(unit):
            return float(limit[: -len(unit)]) * factor
    raise ValueError(f"cannot read the limit {limit!r}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sf", default="1")
    parser.add_argument("--data", help="TPC-H table directories (default benches/data/sf<SF>)")
    parser.add_argument("--limit", default="256MB", help="a memory_limit value, or 'default'")
    parser.add_argument("--queries", help="comma-separated 1-based query numbers")
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--binary", default="target/release/quiver")
    args = parser.parse_args()
    data = os.path.abspath(args.data or f"benches/data/sf{args.sf}")
    chosen = range(1, len(QUERIES) + 1)
    if args.queries:
        chosen = [int(q) for q in args.queries.split(",")]
    ceiling = None if args.limit == "default" else parse_mb(args.limit) + RSS_ALLOWANCE_MB
    failures = 0
    print(f"Memory suite over {data}, memory_limit {args.limit}"
          + (f", RSS ceiling {ceiling:.0f} MB" if ceiling else ""))
    print("| # | query | status | time (s) | peak RSS (MB) |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for n in chosen:
            name, sql = QUERIES[n - 1]
            if sql is None:
                sql = tpch_query(int(name.split("Q")[1]))
            status, seconds, rss = run_one(args.binary, data, sql.format(tmp=tmp), args.limit, args.timeout)
            over = ceiling is not None and rss is not None and rss > ceiling
            if over:
                status += " (OVER THE CEILING)"
            if over or not (status == "ok" or status.startswith("clean error")):
                failures += 1
            shown = "-" if rss is None else f"{rss:.0f}"
            print(f"| {n} | {name} | {status} | {seconds:.2f} | {shown} |", flush=True)
    print(f"{failures} of {len(chosen)} queries failed the suite")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
