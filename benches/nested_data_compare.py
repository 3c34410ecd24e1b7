"""The nested-data issue's recursive and JSON benchmarks: recursive CTEs
over a generated graph (reachability from one node over 1M random edges
between 100k nodes with UNION, which ends the cycles; a UNION ALL walk
bounded by depth; counting one step at a time), and json_extract over 1M
generated JSON documents, in Quiver and DuckDB at the same thread count,
each in its own process, the answers compared.

    pip install duckdb
    cargo build --release -p quiver-cli
    python3 benches/nested_data_compare.py --threads 2 --iterations 3
"""
import argparse
import json
import sys
from pathlib import Path

from peers import ROOT, measured, quiver_runs

QUERIES = {
    "reachability (UNION)": (
        "WITH RECURSIVE reach(node) AS (SELECT min(src) FROM edges UNION "
        "SELECT e.dst FROM reach JOIN edges e ON e.src = reach.node) "
        "SELECT count(*), sum(node) FROM reach"),
    "paths of depth <= 4 (UNION ALL)": (
        "WITH RECURSIVE walk(node, depth) AS (SELECT min(src), 0 FROM edges UNION ALL "
        "SELECT e.dst, w.depth + 1 FROM walk w JOIN edges e ON e.src = w.node WHERE w.depth < 4) "
        "SELECT depth, count(*) FROM walk GROUP BY depth ORDER BY depth"),
    "counting to 100,000": (
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 100000) "
        "SELECT count(*), sum(n) FROM r"),
    "json_extract_string, group by": (
        "SELECT json_extract_string(doc, '$.user.city') AS city, count(*) AS n, "
        "round(sum(json_extract(doc, '$.amount')::DOUBLE), 2) AS total FROM docs "
        "GROUP BY city ORDER BY city"),
    "json ->> filter": (
        "SELECT count(*) FROM docs WHERE (doc ->> '$.tags[0]') = 'red'"),
}

DUCKDB = r'''
import json, sys, time
import duckdb
path, threads, iterations, sql = sys.argv[1:5]
con = duckdb.connect()
con.execute(f"SET threads={threads}")
con.execute(f"CREATE VIEW edges AS SELECT * FROM read_parquet('{path}')")
con.execute(f"CREATE VIEW docs AS SELECT * FROM read_parquet('{path.replace('graph_', 'docs_')}')")
best, rows = None, None
for _ in range(int(iterations)):
    s = time.perf_counter(); rows = con.execute(sql).fetchall(); t = time.perf_counter() - s
    best = t if best is None else min(best, t)
print(json.dumps({"time": best, "rows": [[str(v) for v in r] for r in rows]}))
'''


def generate(path, nodes, edges):
    """A random directed graph: `edges` edges between `nodes` nodes (seeded)."""
    if path.exists():
        return
    import duckdb
    path.parent.mkdir(parents=True, exist_ok=True)
    duckdb.sql("SELECT setseed(0.42)")
    duckdb.sql(
        f"COPY (SELECT (random() * {nodes})::BIGINT AS src, (random() * {nodes})::BIGINT AS dst "
        f"FROM range({edges})) TO '{path}' (FORMAT parquet)")


def generate_docs(path, rows):
    """`rows` JSON documents: a user with a city, an amount, a list of tags."""
    if path.exists():
        return
    import duckdb
    duckdb.sql("SELECT setseed(0.17)")
    duckdb.sql(
        "COPY (SELECT json_object('id', i, 'user', json_object('name', 'u' || (i % 1000), "
        "'city', ['Oslo', 'Lima', 'Pune', 'Graz'][1 + (i % 4)]), 'amount', round(random() * 100, 2), "
        "'tags', [['red', 'blue', 'green'][1 + (i % 3)], 'x'])::VARCHAR AS doc "
        f"FROM range({rows}) t(i)) TO '{path}' (FORMAT parquet)")


def quiver(path, threads, iterations, sql):
    docs = str(path).replace("graph_", "docs_")
    setup = f"CREATE EXTERNAL TABLE edges STORED AS PARQUET LOCATION '{path}';\n"
    setup += f"CREATE EXTERNAL TABLE docs STORED AS PARQUET LOCATION '{docs}';\n"
    return quiver_runs(threads, iterations, setup, sql)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--iterations", type=int, default=3)
    p.add_argument("--nodes", type=int, default=100_000)
    p.add_argument("--edges", type=int, default=1_000_000)
    args = p.parse_args()
    path = ROOT / "benches" / "data" / f"graph_{args.nodes}_{args.edges}.parquet"
    generate(path, args.nodes, args.edges)
    generate_docs(Path(str(path).replace("graph_", "docs_")), args.edges)
    print(f"{args.edges} edges over {args.nodes} nodes, {args.edges} JSON documents, {args.threads} threads, "
          f"best of {args.iterations}; time in s, peak RSS in MB")
    print("| query | Quiver | DuckDB | Q/D | Quiver RSS | DuckDB RSS |")
    print("|---|---|---|---|---|---|")
    for name, sql in QUERIES.items():
        q = quiver(path, args.threads, args.iterations, sql)
        out, _, d_rss = measured([sys.executable, "-c", DUCKDB, str(path), str(args.threads),
                                  str(args.iterations), sql])
        d = json.loads(out)
        if sorted(map(tuple, q[1])) != sorted(map(tuple, d["rows"])):
            print(f"RESULTS DIFFER for {name}: quiver {q[1][:3]} duckdb {d['rows'][:3]}")
        print(f"| {name} | {q[0]:.3f} | {d['time']:.3f} | {q[0] / d['time']:.2f} "
              f"| {q[2]:.0f} | {d_rss:.0f} |")


if __name__ == "__main__":
    main()
