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
from peers import arguments, compare

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

if __name__ == "__main__":
    compare(QUERIES, arguments(__doc__))
