"""List and struct functions over TPC-H lineitem (6M rows at SF 1): lists
made per row (the words of l_comment, a list of three decimals), searched,
sorted, reversed, joined, aggregated and unnested (the words of every
comment, 30M elements, re-aggregated), and a struct field read back, in
Quiver, DuckDB and DataFusion at the same thread count (the nested-data
issue's function benchmark), lambdas over those words, fixed-size
arrays (the vector functions), tuples and a PIVOT statement. Each query
reduces its results to a few
values, which must agree across the engines.

    pip install duckdb datafusion
    cargo build --release -p quiver-cli -p quiver-benches
    target/release/tpch gen --sf 1
    python3 benches/nested_compare.py --threads 2 --iterations 3
"""
from peers import arguments, compare

WORDS = "string_split(l_comment, ' ')"


def quiver_and_duckdb(sql):
    """`sql` for Quiver and DuckDB only (DataFusion lacks the feature)."""
    return {"quiver": sql, "duckdb": sql}


DF_WORDS = "string_to_array(l_comment, ' ')"

QUERIES = {
    "len(string_split)": (
        {
            "quiver": f"SELECT sum(len({WORDS})) FROM lineitem",
            "duckdb": f"SELECT sum(len({WORDS})) FROM lineitem",
            "datafusion": f"SELECT sum(array_length({DF_WORDS})) FROM lineitem",
        },
        None),
    "list_contains": (
        {
            "quiver": f"SELECT count(*) FROM lineitem WHERE list_contains({WORDS}, 'furiously')",
            "duckdb": f"SELECT count(*) FROM lineitem WHERE list_contains({WORDS}, 'furiously')",
            "datafusion": f"SELECT count(*) FROM lineitem WHERE array_has({DF_WORDS}, 'furiously')",
        },
        None),
    "list_sort, l[1]": (
        {
            "quiver": f"SELECT count(DISTINCT list_sort({WORDS})[1]) FROM lineitem",
            "duckdb": f"SELECT count(DISTINCT list_sort({WORDS})[1]) FROM lineitem",
            "datafusion": f"SELECT count(DISTINCT array_sort({DF_WORDS})[1]) FROM lineitem",
        },
        None),
    "list_reverse, array_to_string": (
        {
            "quiver": f"SELECT max(array_to_string(list_reverse({WORDS}), ' ')) FROM lineitem",
            "duckdb": f"SELECT max(array_to_string(list_reverse({WORDS}), ' ')) FROM lineitem",
            "datafusion": f"SELECT max(array_to_string(array_reverse({DF_WORDS}), ' ')) FROM lineitem",
        },
        None),
    "list_sum of a list literal": (
        "SELECT sum(list_sum([l_quantity, l_discount, l_tax])) FROM lineitem",
        None),
    "unnest words, re-aggregate": (
        {
            "quiver": f"SELECT count(*), count(DISTINCT w) FROM (SELECT unnest({WORDS}) AS w FROM lineitem)",
            "duckdb": f"SELECT count(*), count(DISTINCT w) FROM (SELECT unnest({WORDS}) AS w FROM lineitem)",
            "datafusion": f"SELECT count(*), count(DISTINCT w) FROM (SELECT unnest({DF_WORDS}) AS w FROM lineitem)",
        },
        None),
    "unnest, group by word, top 3": (
        {
            "quiver": f"SELECT w, count(*) AS c FROM (SELECT unnest({WORDS}) AS w FROM lineitem) GROUP BY w ORDER BY c DESC, w LIMIT 3",
            "duckdb": f"SELECT w, count(*) AS c FROM (SELECT unnest({WORDS}) AS w FROM lineitem) GROUP BY w ORDER BY c DESC, w LIMIT 3",
            "datafusion": f"SELECT w, count(*) AS c FROM (SELECT unnest({DF_WORDS}) AS w FROM lineitem) GROUP BY w ORDER BY c DESC, w LIMIT 3",
        },
        None),
    "FROM lineitem, unnest(words)": (
        {
            "quiver": f"SELECT count(*), sum(length(w)) FROM lineitem, unnest({WORDS}) AS u(w)",
            "duckdb": f"SELECT count(*), sum(length(w)) FROM lineitem, unnest({WORDS}) AS u(w)",
        },
        None),
    "list_transform (lambda)": (
        {
            "quiver": f"SELECT sum(list_sum(list_transform({WORDS}, lambda w: length(w) * 2))) FROM lineitem",
            "duckdb": f"SELECT sum(list_sum(list_transform({WORDS}, lambda w: length(w) * 2))) FROM lineitem",
        },
        None),
    "list_filter (lambda, capture)": (
        {
            "quiver": f"SELECT sum(len(list_filter({WORDS}, lambda w: length(w) > l_linenumber))) FROM lineitem",
            "duckdb": f"SELECT sum(len(list_filter({WORDS}, lambda w: length(w) > l_linenumber))) FROM lineitem",
        },
        None),
    "list_reduce (lambda)": (
        {
            "quiver": f"SELECT sum(list_reduce(list_transform({WORDS}, lambda w: length(w)), lambda a, b: a + b)) FROM lineitem",
            "duckdb": f"SELECT sum(list_reduce(list_transform({WORDS}, lambda w: length(w)), lambda a, b: a + b)) FROM lineitem",
        },
        None),
    "struct literal, field": (
        {
            "quiver": "SELECT sum({'q': l_quantity, 'p': l_extendedprice}.q) FROM lineitem",
            "duckdb": "SELECT sum({'q': l_quantity, 'p': l_extendedprice}.q) FROM lineitem",
            "datafusion": "SELECT sum(named_struct('q', l_quantity, 'p', l_extendedprice)['q']) FROM lineitem",
        },
        None),
    "array_cosine_similarity (DOUBLE[3])": (
        quiver_and_duckdb(
            "SELECT round(sum(array_cosine_similarity([l_quantity, l_discount, l_tax]::DOUBLE[3], "
            "[1, 2, 3]::DOUBLE[3])), 3) FROM lineitem"),
        None),
    "array_distance, top 3": (
        quiver_and_duckdb(
            "SELECT l_orderkey, l_linenumber FROM lineitem ORDER BY array_distance("
            "[l_quantity, l_discount * 100, l_tax * 100]::DOUBLE[3], [25, 5, 4]::DOUBLE[3]), "
            "l_orderkey, l_linenumber LIMIT 3"),
        None),
    "tuple IN list": (
        quiver_and_duckdb(
            "SELECT count(*) FROM lineitem WHERE (l_returnflag, l_linestatus) IN (('R', 'F'), ('N', 'O'))"),
        None),
    "PIVOT": (
        quiver_and_duckdb(
            "SELECT sum(A), sum(N), sum(R) FROM (PIVOT lineitem ON l_returnflag "
            "USING sum(l_quantity) GROUP BY l_shipmode)"),
        None),
}

if __name__ == "__main__":
    compare(QUERIES, arguments(__doc__))
