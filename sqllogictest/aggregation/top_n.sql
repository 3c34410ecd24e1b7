-- Top-n aggregates (min(x, n), max(x, n), arg_min(arg, key, n),
-- arg_max(arg, key, n)) and quantiles of a list of fractions. Lists are
-- compared as DuckDB's text (::VARCHAR).
CREATE TABLE tn AS SELECT i, i % 7 AS g, (i * 37) % 101 AS v, CASE WHEN i % 5 = 0 THEN NULL ELSE 's' || (i % 13) END AS s FROM range(3000) t(i);

SELECT min(v, 3)::VARCHAR, max(v, 3)::VARCHAR, min(s, 2)::VARCHAR, max(s, 4)::VARCHAR FROM tn;

-- Many groups: each keeps its own best n.
SELECT g, min(v, 4)::VARCHAR, max(v, 2)::VARCHAR, max(i, 3)::VARCHAR FROM tn GROUP BY g;

SELECT i % 1000 AS k, min(v, 2)::VARCHAR, max(v, 2)::VARCHAR FROM tn GROUP BY k HAVING k < 5 OR k > 995;

-- arg_min and arg_max: the args of the rows with the least or greatest keys.
SELECT g, arg_min(i, v * 1000 + i, 3)::VARCHAR, arg_max(i, v * 1000 + i, 2)::VARCHAR, min_by(i, -i, 2)::VARCHAR, max_by(s, i, 2)::VARCHAR FROM tn GROUP BY g;

-- NULLs are passed over; a group without values gives NULL.
SELECT min(x, 3)::VARCHAR, max(x, 2)::VARCHAR FROM (VALUES (3), (NULL), (1), (1)) t(x);

SELECT min(x, 3)::VARCHAR FROM range(0) t(x);

SELECT g, min(v, 2) FILTER (WHERE v > 90)::VARCHAR FROM tn GROUP BY g;

-- Over a window.
SELECT x, max(x, 2) OVER (ORDER BY x ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)::VARCHAR FROM range(5) t(x);

-- Quantiles of a list of fractions, one answer per fraction.
SELECT quantile_cont(v, [0.25, 0.5, 0.75])::VARCHAR, quantile_disc(v, [0.1, 0.9])::VARCHAR, quantile(i, [0.5])::VARCHAR, quantile_cont(v, [])::VARCHAR FROM tn;

SELECT g, quantile_cont(v, [0.1, 0.9])::VARCHAR, quantile_disc(s, [0.5, 1.0])::VARCHAR FROM tn GROUP BY g;

SELECT quantile_cont(x, [0.5])::VARCHAR FROM range(0) t(x);

-- error: must be greater than 0
SELECT min(v, 0) FROM tn;

-- error: must not be NULL
SELECT max(v, NULL) FROM tn;

-- error: must be an integer
SELECT max(v, 'a') FROM tn;

-- error: must not be NULL
SELECT quantile_cont(v, [0.5, NULL]) FROM tn;

-- error: between 0 and 1
SELECT quantile_disc(v, [0.5, 2]) FROM tn;
