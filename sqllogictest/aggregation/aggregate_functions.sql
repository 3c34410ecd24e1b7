-- Aggregate functions against DuckDB: statistics, regression, picking,
-- bitwise, holistic (median, quantiles, mode, entropy), ordered calls and
-- ordered-set (WITHIN GROUP) calls; NULLs, empty groups, one-row groups.
CREATE TABLE raw AS SELECT * FROM (VALUES
  (1, 'x', 2, 1.5, true, 10), (1, 'y', 3, 2.5, false, 20), (1, 'x', 5, NULL, NULL, 30),
  (2, 'x', 4, 4.0, true, 40), (2, NULL, NULL, 1.0, true, 50), (2, 'z', 9, 7.5, false, 60),
  (2, 'y', 4, 3.0, true, 70), (3, 'z', 7, 0.5, false, 80), (4, NULL, NULL, NULL, NULL, 90)
) AS v(g, s, i, d0, b, id);
CREATE TABLE t AS SELECT g, s, i, CAST(d0 AS DOUBLE) AS d, b, id, DATE '2024-01-01' + id AS dt FROM raw;

SELECT g, count_if(b), count_if(i > 3), bit_and(i), bit_or(i), bit_xor(i) FROM t GROUP BY g;

SELECT count_if(b), bit_or(id), bit_and(CAST(i AS SMALLINT)) FROM t WHERE g > 10;

SELECT g, corr(d, i), covar_pop(d, i), covar_samp(d, i), regr_slope(d, i), regr_intercept(d, i) FROM t GROUP BY g;

SELECT g, regr_r2(d, i), regr_count(d, i), regr_avgx(d, i), regr_avgy(d, i), regr_sxx(d, i), regr_syy(d, i), regr_sxy(d, i) FROM t GROUP BY g;

SELECT corr(d, i), regr_slope(d, i), regr_count(d, i), regr_r2(i, d) FROM t;

SELECT regr_count(d, i), covar_pop(d, i) FROM t WHERE g > 10;

-- Zero spread: NaN where a variance divides, R² defined where it can be.
SELECT corr(d, 1), regr_r2(1, i), regr_r2(i, 1) FROM t;

SELECT g, skewness(i), kurtosis(d), kurtosis_pop(id) FROM t GROUP BY g;

SELECT skewness(id), kurtosis(id), kurtosis_pop(i), skewness(d) FROM t;

SELECT g, arg_min(s, i), arg_max(s, i), min_by(id, d), max_by(id, d) FROM t GROUP BY g;

SELECT arg_min(id, s), arg_max(id, s), arg_max(s, b), arg_min(d, id) FROM t;

SELECT g, any_value(s), first(id ORDER BY i DESC NULLS FIRST), last(s ORDER BY id) FROM t GROUP BY g;

SELECT first(s ORDER BY id), last(s ORDER BY id), first(s ORDER BY d NULLS FIRST, id), arbitrary(g ORDER BY id DESC) FROM t;

SELECT g, median(i), median(d), quantile_cont(i, 0.25), quantile_disc(i, 0.25), quantile_disc(d, 0.9), quantile(id, 0.5) FROM t GROUP BY g;

SELECT median(i), median(id), quantile_cont(d, 0.1), quantile_cont(d, 1.0), quantile_disc(s, 0.5), median(s) FROM t;

SELECT g, mode(s), mode(i), entropy(s), entropy(i) FROM t GROUP BY g;

SELECT mode(g), entropy(g), entropy(b), mode(b) FROM t;

SELECT median(i), mode(s), entropy(i), quantile_disc(s, 0.3) FROM t WHERE g > 10;

SELECT g, percentile_cont(0.5) WITHIN GROUP (ORDER BY i), percentile_disc(0.5) WITHIN GROUP (ORDER BY i), percentile_cont(0.25) WITHIN GROUP (ORDER BY d DESC), percentile_disc(0.25) WITHIN GROUP (ORDER BY id DESC), mode() WITHIN GROUP (ORDER BY s) FROM t GROUP BY g;

SELECT percentile_disc(0.3) WITHIN GROUP (ORDER BY d), percentile_cont(0.75) WITHIN GROUP (ORDER BY i DESC) FROM t;

SELECT g, string_agg(s, ',' ORDER BY id DESC), string_agg(s ORDER BY s, id), listagg(s, '|' ORDER BY i NULLS FIRST, id), group_concat(CAST(id AS VARCHAR) ORDER BY id) FROM t GROUP BY g;

SELECT string_agg(DISTINCT s, ',' ORDER BY s), string_agg(s, '' ORDER BY d DESC NULLS LAST, id) FROM t;

SELECT string_agg(s, ',' ORDER BY id) FILTER (WHERE b), count(*) FILTER (WHERE b) FROM t;

SELECT g, median(i) FILTER (WHERE id > 20), mode(i) FILTER (WHERE id > 20) FROM t GROUP BY g;

SELECT g, count(DISTINCT s), median(DISTINCT i), sum(DISTINCT i) FROM t GROUP BY g;

-- Order-insensitive aggregates ignore an ORDER BY.
SELECT g, sum(i ORDER BY id DESC), count(s ORDER BY s) FROM t GROUP BY g;

-- Holistic aggregates with grouping sets and windows.
SELECT g, s, median(i), mode(id) FROM t GROUP BY ROLLUP (g, s);

SELECT g, id, median(i) OVER (PARTITION BY g), quantile_disc(id, 0.5) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING), mode(s) OVER (PARTITION BY g ORDER BY id) FROM t;

-- Dates interpolate as timestamps; discrete quantiles stay dates.
SELECT g, median(dt), quantile_cont(dt, 0.25), quantile_disc(dt, 0.5), CAST(median(CAST(dt AS TIMESTAMP)) AS VARCHAR) FROM t GROUP BY g;

-- FILTER leaves a quantile's fraction alone.
SELECT g, quantile_disc(i, 0.75) FILTER (WHERE id > 20), approx_quantile(id, 0.5) FILTER (WHERE g < 0) FROM t GROUP BY g;

-- FILTER on aggregates that keep NULLs drops rows, not just values.
SELECT g, first(i ORDER BY id) FILTER (WHERE id > 20), last(s ORDER BY id) FILTER (WHERE i IS NULL OR i > 3) FROM t GROUP BY g;

-- error: must be between 0 and 1
SELECT quantile_cont(i, 1.5) FROM t;

-- error: aggregate regr_slope takes 2 arguments
SELECT regr_slope(i) FROM t;

-- error: aggregate bit_and cannot be applied to DOUBLE
SELECT bit_and(d) FROM t;

-- error: only allowed in aggregate functions
SELECT upper(s ORDER BY id) FROM t;

-- error: inside median
SELECT median(i LIMIT 2) FROM t;
