"""Differential fuzzing of grouping: random GROUP BY queries (plain keys,
ROLLUP, CUBE, GROUPING SETS, GROUPING()) with random aggregates (ordered
calls, DISTINCT, FILTER, holistic and statistical ones) over a random
table, run on Quiver (the `quiver` binary) and on DuckDB, whose answers
must agree as multisets of rows.

    pip install duckdb
    cargo build -p quiver-cli            # or --release, with --binary
    python3 sqllogictest/aggregate_differential.py --queries 300 --seed 1

Only aggregates whose answer does not depend on how ties are broken are
drawn (`mode` is left out; `first` and `string_agg` get an ORDER BY that
ends with the unique id; `arg_max` a key that includes it). Prints each disagreement and exits 1 if there is
any.
"""
from window_differential import compare

KEYS = ["g", "o % 3", "d", "x > 2"]


def aggregate(rng):
    order = f"ORDER BY {rng.choice(['x', 'o', 'd'])} {rng.choice(['ASC', 'DESC'])} NULLS " \
            f"{rng.choice(['FIRST', 'LAST'])}, id"
    calls = [
        "count(*)", "count(x)", "sum(x)", "avg(o)", "min(d)", "max(x)", "count(DISTINCT o)",
        "sum(DISTINCT x)", "median(x)", "quantile_cont(o, 0.25)", "quantile_disc(x, 0.75)",
        "median(d)", "stddev_samp(x)", "var_pop(o)", "corr(x, o)", "regr_slope(x, o)",
        "regr_count(x, o)", "covar_samp(o, x)", "count_if(x > 1)", "bit_or(o)",
        "bool_and(x > 0)", "entropy(g)", "arg_max(id, x * 100 + id)", "arg_min(d, id)",
        f"first(x {order})", f"last(o {order})", f"string_agg(CAST(x AS VARCHAR), '-' {order})",
        "percentile_cont(0.5) WITHIN GROUP (ORDER BY x)",
        "percentile_disc(0.3) WITHIN GROUP (ORDER BY o DESC)",
        "skewness(x)", "kurtosis(o)", "approx_count_distinct(o)",
    ]
    call = rng.choice(calls)
    if rng.random() < 0.2 and "WITHIN" not in call:
        call += f" FILTER (WHERE {rng.choice(['o > 0', 'g IS NOT NULL', 'x < 10'])})"
    return call


def group_by(rng):
    keys = rng.sample(KEYS, rng.randint(1, 3))
    form = rng.choice(["plain", "rollup", "cube", "sets", "mixed"])
    if form == "plain":
        return keys, ", ".join(keys)
    if form == "rollup":
        return keys, f"ROLLUP ({', '.join(keys)})"
    if form == "cube":
        return keys, f"CUBE ({', '.join(keys)})"
    if form == "sets":
        sets = ["(" + ", ".join(rng.sample(keys, rng.randint(0, len(keys)))) + ")"
                for _ in range(rng.randint(1, 3))]
        return keys, f"GROUPING SETS ({', '.join(sets)})"
    return keys, f"{keys[0]}, ROLLUP ({', '.join(keys[1:] or keys)})"


def query(rng):
    keys, clause = group_by(rng)
    calls = [aggregate(rng) for _ in range(rng.randint(1, 3))]
    select = keys + calls + [f"grouping({', '.join(keys)})"]
    where = rng.choice(["", "", " WHERE x IS NOT NULL", " WHERE id > 1000"])
    having = rng.choice(["", "", f" HAVING count(*) > 1", f" HAVING grouping({keys[0]}) = 0"])
    return f"SELECT {', '.join(select)} FROM w{where} GROUP BY {clause}{having}"


if __name__ == "__main__":
    compare(query)
