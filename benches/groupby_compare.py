"""Group-by queries on TPC-H lineitem: Quiver (one `quiver -c` run per query,
so its times include start-up and footer reading) against DuckDB and
DataFusion in-process, at the same thread count.

    pip install duckdb datafusion
    cargo build --release -p quiver-cli -p quiver-benches
    target/release/tpch gen --sf 1
    python3 benches/groupby_compare.py 2        # threads
"""
import subprocess
import sys
import time
from pathlib import Path

import datafusion
import duckdb

ROOT = Path(__file__).resolve().parent.parent
D = str(ROOT / "benches" / "data" / "sf1")
qs = {
 "int key, 1.5M groups": "SELECT l_orderkey, sum(l_quantity) AS q, count(*) AS n FROM lineitem GROUP BY l_orderkey ORDER BY q DESC, l_orderkey LIMIT 5",
 "int key, 200k groups": "SELECT l_partkey, avg(l_extendedprice) AS a FROM lineitem GROUP BY l_partkey ORDER BY a DESC, l_partkey LIMIT 5",
 "string key, 7 groups": "SELECT l_shipmode, count(*) FROM lineitem GROUP BY l_shipmode ORDER BY 1",
}
T = int(sys.argv[1]) if len(sys.argv) > 1 else 2
con = duckdb.connect(); con.execute(f"SET threads={T}"); con.execute(f"CREATE VIEW lineitem AS SELECT * FROM read_parquet('{D}/lineitem/*.parquet')")
ctx = datafusion.SessionContext(datafusion.SessionConfig().with_target_partitions(T)); ctx.register_parquet("lineitem", f"{D}/lineitem")
def best(f, n=3):
    t = []
    for _ in range(n):
        s = time.perf_counter(); f(); t.append(time.perf_counter() - s)
    return min(t)
print("| query | Quiver | DuckDB | Quiver/DuckDB | DataFusion | Quiver/DataFusion |")
print("|---|---|---|---|---|---|")
for name, q in qs.items():
    sql = f"CREATE EXTERNAL TABLE lineitem STORED AS PARQUET LOCATION '{D}/lineitem';\n" + (q + ";\n") * 3
    s = time.perf_counter(); subprocess.run([str(ROOT / "target" / "release" / "quiver"), "--threads", str(T), "--format", "csv", "-c", sql], check=True, capture_output=True); quiver = (time.perf_counter() - s) / 3
    duck = best(lambda: con.execute(q).fetchall()); df = best(lambda: ctx.sql(q).collect())
    print(f"| {name} | {quiver:.3f} | {duck:.3f} | {quiver/duck:.2f} | {df:.3f} | {quiver/df:.2f} |")
