"""Scalar functions over TPC-H lineitem (6M rows at SF 1): regular
expressions, strftime, date_trunc, lower and a LIKE filter on l_comment,
in Quiver, DuckDB and DataFusion at the same thread count (the scalar
functions issue's benchmark). Each query reduces its results to a few
values, which must agree across the engines.

    pip install duckdb datafusion
    cargo build --release -p quiver-cli -p quiver-benches
    target/release/tpch gen --sf 1
    python3 benches/functions_compare.py --threads 2 --iterations 3
"""
from peers import arguments, compare

QUERIES = {
    "regexp_matches": (
        {
            "quiver": "SELECT count(*) FROM lineitem WHERE regexp_matches(l_comment, 'fur.*ly')",
            "duckdb": "SELECT count(*) FROM lineitem WHERE regexp_matches(l_comment, 'fur.*ly')",
            "datafusion": "SELECT count(*) FROM lineitem WHERE regexp_like(l_comment, 'fur.*ly')",
        },
        None),
    "regexp_replace": (
        "SELECT sum(length(regexp_replace(l_comment, '[aeiou]+', '', 'g'))) FROM lineitem",
        None),
    "strftime": (
        {
            "quiver": "SELECT max(strftime(l_shipdate, '%d/%m/%Y')), count(*) FROM lineitem",
            "duckdb": "SELECT max(strftime(l_shipdate, '%d/%m/%Y')), count(*) FROM lineitem",
            "datafusion": "SELECT max(to_char(l_shipdate, '%d/%m/%Y')), count(*) FROM lineitem",
        },
        None),
    "date_trunc": (
        "SELECT count(*) FROM lineitem "
        "WHERE date_trunc('month', l_shipdate) = DATE '1995-03-01'",
        None),
    "lower": (
        "SELECT sum(length(lower(l_comment))) FROM lineitem",
        None),
    "LIKE '%special%'": (
        "SELECT count(*) FROM lineitem WHERE l_comment LIKE '%special%'",
        None),
}

if __name__ == "__main__":
    compare(QUERIES, arguments(__doc__))
