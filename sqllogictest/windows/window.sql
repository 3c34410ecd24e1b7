-- Window functions: every function over each kind of frame, with NULLs,
-- ties (peers) and partitions of one row.
CREATE TABLE t AS SELECT * FROM (VALUES
  (1, 1, 10, 'a'), (1, 2, NULL, 'b'), (1, 2, 30, 'c'), (1, NULL, 40, 'd'),
  (1, 4, 50, 'e'), (1, 7, 60, NULL), (2, 5, 70, 'g'), (3, NULL, NULL, 'h'),
  (3, 1, 90, 'i'), (3, 1, 100, 'j')
) AS v(g, o, x, s);

CREATE TABLE big AS SELECT a.i * 30 + b.i AS n, (a.i * 7 + b.i) % 11 AS k, CASE WHEN b.i % 5 = 0 THEN NULL ELSE (a.i * 13 + b.i * 3) % 17 END AS v
FROM (VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9),(10),(11),(12),(13),(14),(15),(16),(17),(18),(19)) AS a(i)
CROSS JOIN (VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9),(10),(11),(12),(13),(14),(15),(16),(17),(18),(19),(20),(21),(22),(23),(24),(25),(26),(27),(28),(29)) AS b(i);

-- Ranking: peers share rank; NULL order keys sort last and are peers.
SELECT g, o, x, row_number() OVER (PARTITION BY g ORDER BY o, x) AS rn,
  rank() OVER (PARTITION BY g ORDER BY o) AS rk,
  dense_rank() OVER (PARTITION BY g ORDER BY o) AS dr,
  percent_rank() OVER (PARTITION BY g ORDER BY o) AS pr,
  cume_dist() OVER (PARTITION BY g ORDER BY o) AS cd
FROM t;

SELECT g, x, ntile(2) OVER (PARTITION BY g ORDER BY x NULLS FIRST) AS n2,
  ntile(4) OVER (ORDER BY g, x NULLS FIRST) AS n4, ntile(20) OVER (ORDER BY x NULLS FIRST, g) AS n20
FROM t;

-- Without ORDER BY every row of a partition is a peer of every other.
SELECT g, rank() OVER (PARTITION BY g), dense_rank() OVER (), cume_dist() OVER (PARTITION BY g), count(*) OVER (PARTITION BY g), sum(x) OVER () FROM t;

-- lag and lead: offsets, defaults, negative and NULL offsets, IGNORE NULLS.
SELECT g, o, x, lag(x) OVER w AS l1, lead(x) OVER w AS d1, lag(x, 2, -1) OVER w AS l2,
  lead(x, 3, 0) OVER w AS d3, lag(x, -1) OVER w AS lm, lag(x, NULL) OVER w AS ln, lag(x, 0) OVER w AS l0
FROM t WINDOW w AS (PARTITION BY g ORDER BY o, x);

SELECT g, o, x, lag(x IGNORE NULLS) OVER w AS l, lead(x IGNORE NULLS) OVER w AS d,
  lag(x, 2 IGNORE NULLS) OVER w AS l2, lead(x, 1, 999 IGNORE NULLS) OVER w AS d1
FROM t WINDOW w AS (PARTITION BY g ORDER BY o, x);

-- Frame values.
SELECT g, o, x, first_value(x) OVER w AS f, last_value(x) OVER w AS l, nth_value(x, 2) OVER w AS n2,
  first_value(x IGNORE NULLS) OVER w AS fi, last_value(x IGNORE NULLS) OVER w AS li, nth_value(x, 2 IGNORE NULLS) OVER w AS n2i
FROM t WINDOW w AS (PARTITION BY g ORDER BY o, x ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING);

SELECT g, o, x, first_value(x) OVER (PARTITION BY g ORDER BY o) AS f, last_value(x) OVER (PARTITION BY g ORDER BY o) AS l,
  last_value(s) OVER (PARTITION BY g ORDER BY o RANGE BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS ls
FROM t WHERE x IS NOT NULL OR o IS NULL;

-- Aggregates over ROWS frames.
SELECT g, o, x,
  sum(x) OVER (PARTITION BY g ORDER BY o, x ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) AS s1,
  count(x) OVER (PARTITION BY g ORDER BY o, x ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS c,
  count(*) OVER (PARTITION BY g ORDER BY o, x ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS cs,
  min(x) OVER (PARTITION BY g ORDER BY o, x ROWS BETWEEN 2 PRECEDING AND 1 PRECEDING) AS mn,
  max(s) OVER (PARTITION BY g ORDER BY o, x ROWS BETWEEN 1 FOLLOWING AND 3 FOLLOWING) AS mx,
  avg(x) OVER (PARTITION BY g ORDER BY o, x ROWS 2 PRECEDING) AS a
FROM t;

-- Aggregates over RANGE frames: peers, offsets, NULL keys (their offsets reach only their peers).
SELECT g, o, x,
  sum(x) OVER (PARTITION BY g ORDER BY o) AS running,
  sum(x) OVER (PARTITION BY g ORDER BY o RANGE BETWEEN 1 PRECEDING AND 1 FOLLOWING) AS near,
  count(*) OVER (PARTITION BY g ORDER BY o RANGE BETWEEN CURRENT ROW AND 3 FOLLOWING) AS ahead,
  sum(x) OVER (PARTITION BY g ORDER BY o DESC NULLS LAST RANGE BETWEEN 2 PRECEDING AND CURRENT ROW) AS desc_near,
  sum(x) OVER (PARTITION BY g ORDER BY o NULLS FIRST RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before
FROM t;

-- GROUPS frames count peer groups.
SELECT g, o, x,
  sum(x) OVER (PARTITION BY g ORDER BY o GROUPS BETWEEN 1 PRECEDING AND 1 FOLLOWING) AS s,
  count(*) OVER (PARTITION BY g ORDER BY o GROUPS BETWEEN CURRENT ROW AND 1 FOLLOWING) AS c,
  sum(x) OVER (PARTITION BY g ORDER BY o GROUPS BETWEEN 2 PRECEDING AND 1 PRECEDING) AS p
FROM t;

-- EXCLUDE CURRENT ROW, GROUP, TIES and NO OTHERS, in a named window too.
SELECT g, o, x,
  sum(x) OVER (PARTITION BY g ORDER BY o ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING EXCLUDE CURRENT ROW) AS a,
  sum(x) OVER w AS b,
  sum(x) OVER (ORDER BY o RANGE BETWEEN 1 PRECEDING AND 1 FOLLOWING EXCLUDE TIES) AS c,
  count(*) OVER (PARTITION BY g ORDER BY o RANGE BETWEEN CURRENT ROW AND CURRENT ROW EXCLUDE NO OTHERS) AS d,
  first_value(x) OVER (PARTITION BY g ORDER BY o, x ROWS BETWEEN CURRENT ROW AND 2 FOLLOWING EXCLUDE CURRENT ROW) AS e
FROM t WINDOW w AS (PARTITION BY g ORDER BY o GROUPS BETWEEN 1 PRECEDING AND CURRENT ROW EXCLUDE GROUP);

-- RANGE offsets on dates, with an interval or a number of days, and on decimals.
SELECT d, sum(x) OVER (ORDER BY d RANGE BETWEEN INTERVAL 7 DAYS PRECEDING AND CURRENT ROW) AS week,
  count(*) OVER (ORDER BY d RANGE BETWEEN 2 PRECEDING AND 2 FOLLOWING) AS around,
  sum(x) OVER (ORDER BY p RANGE BETWEEN 0.5 PRECEDING AND 0.25 FOLLOWING) AS by_price
FROM (VALUES (DATE '2024-01-01', 1, 1.00), (DATE '2024-01-03', 2, 1.50), (DATE '2024-01-08', 4, 1.75),
  (DATE '2024-01-09', 8, 2.40), (DATE '2024-01-20', 16, 2.50)) AS v(d, x, p);

SELECT ts, count(*) OVER (ORDER BY ts RANGE BETWEEN INTERVAL 1 HOUR PRECEDING AND INTERVAL 30 MINUTES FOLLOWING) AS n
FROM (VALUES (TIMESTAMP '2024-01-01 10:00:00'), (TIMESTAMP '2024-01-01 10:20:00'), (TIMESTAMP '2024-01-01 11:00:00'), (TIMESTAMP '2024-01-01 12:30:00')) AS v(ts);

-- DISTINCT and FILTER in window aggregates.
SELECT g, x, count(DISTINCT g) OVER (ORDER BY x NULLS FIRST) AS dg, count(DISTINCT o) OVER (PARTITION BY g) AS dog,
  sum(x) FILTER (WHERE o > 1) OVER (PARTITION BY g) AS fs, count(*) FILTER (WHERE x > 40) OVER () AS fc,
  count(DISTINCT o) OVER (ORDER BY x NULLS FIRST ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS dslide
FROM t;

-- string_agg over a frame, and statistics.
SELECT g, o, x, string_agg(s, ',') OVER (PARTITION BY g ORDER BY o, x ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS sa,
  stddev_samp(x) OVER (PARTITION BY g) AS sd, bool_or(x > 50) OVER (PARTITION BY g ORDER BY o, x) AS bo
FROM t;

-- Window calls inside expressions, in ORDER BY, over aggregates, and several windows.
SELECT g, sum(x) AS total, sum(sum(x)) OVER () AS grand, rank() OVER (ORDER BY sum(x) DESC NULLS LAST) AS r,
  sum(x) * 100.0::DOUBLE / sum(sum(x)) OVER () AS pct
FROM t GROUP BY g;

SELECT x, x - lag(x) OVER (ORDER BY x) AS diff, row_number() OVER (ORDER BY x DESC NULLS LAST) + 100 AS r,
  avg(x) OVER (PARTITION BY g) AS ga
FROM t WHERE x IS NOT NULL;

SELECT s FROM t WHERE s IS NOT NULL ORDER BY row_number() OVER (ORDER BY s DESC) LIMIT 3;

-- QUALIFY, with select-list aliases.
SELECT g, x, row_number() OVER (PARTITION BY g ORDER BY x DESC NULLS LAST) AS rn FROM t QUALIFY rn <= 2;

SELECT g, x FROM t QUALIFY rank() OVER (PARTITION BY g ORDER BY x NULLS FIRST) = 1;

-- Named windows, one extending another.
SELECT g, x, sum(x) OVER w AS s, sum(x) OVER (w ORDER BY x) AS run, count(*) OVER w2 AS c
FROM t WINDOW w AS (PARTITION BY g), w2 AS (w ORDER BY x ROWS BETWEEN 1 PRECEDING AND CURRENT ROW);

-- Over subqueries and CTEs, filters outside the window.
WITH r AS (SELECT g, x, row_number() OVER (PARTITION BY g ORDER BY x DESC NULLS LAST) AS rn FROM t)
SELECT g, x FROM r WHERE rn = 1 AND g < 3;

SELECT * FROM (SELECT g, x, sum(x) OVER (PARTITION BY g) AS s FROM t) AS q WHERE g = 1 AND x > 20;

-- An empty input gives no rows.
SELECT row_number() OVER (), sum(x) OVER (ORDER BY o) FROM t WHERE g > 10;

-- Many batches and partitions.
SELECT k, count(*), sum(rn), sum(running), min(moving), max(moving), sum(lg) FROM (
  SELECT k, row_number() OVER (PARTITION BY k ORDER BY n) AS rn,
    sum(v) OVER (PARTITION BY k ORDER BY n) AS running,
    sum(v) OVER (PARTITION BY k ORDER BY n ROWS BETWEEN 6 PRECEDING AND CURRENT ROW) AS moving,
    lag(v, 3) OVER (PARTITION BY k ORDER BY n) AS lg
  FROM big) AS q GROUP BY k;

SELECT n, v, sum(v) OVER (ORDER BY n ROWS BETWEEN 50 PRECEDING AND 40 FOLLOWING) AS w,
  count(v) OVER (ORDER BY n RANGE BETWEEN 100 PRECEDING AND 100 FOLLOWING) AS c,
  avg(v) OVER (ORDER BY n ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS a,
  max(v) OVER (ORDER BY v NULLS FIRST, n GROUPS BETWEEN 3 PRECEDING AND 2 FOLLOWING) AS m
FROM big WHERE n % 37 = 0;

-- The first rows per partition: the sort below keeps only them (and ties).
SELECT k, n, rn FROM (SELECT k, n, row_number() OVER (PARTITION BY k ORDER BY v NULLS FIRST, n DESC) AS rn FROM big) AS q WHERE rn <= 3;

SELECT k, n, v, rank() OVER (PARTITION BY k ORDER BY v DESC NULLS LAST) AS r,
  dense_rank() OVER (PARTITION BY k ORDER BY v DESC NULLS LAST) AS d
FROM big QUALIFY r < 3 AND k > 2;

SELECT n, v, rank() OVER (ORDER BY v DESC NULLS LAST) AS r, dense_rank() OVER (ORDER BY v DESC NULLS LAST) AS d FROM big QUALIFY r <= 3;

SELECT n, v, rank() OVER (ORDER BY v NULLS FIRST) AS r FROM big QUALIFY 2 >= r;

-- Errors.
-- error: needs an OVER clause
SELECT row_number() FROM t;

-- error: does not exist
SELECT sum(x) OVER zz FROM t;

-- error: must not be negative
SELECT sum(x) OVER (ORDER BY o ROWS BETWEEN -1 PRECEDING AND CURRENT ROW) FROM t;

-- error: must not be NULL
SELECT sum(x) OVER (ORDER BY o ROWS BETWEEN NULL PRECEDING AND CURRENT ROW) FROM t;

-- error: needs exactly one ORDER BY key
SELECT sum(x) OVER (ORDER BY g, o RANGE BETWEEN 1 PRECEDING AND CURRENT ROW) FROM t;

-- error: needs exactly one ORDER BY key
SELECT sum(x) OVER (RANGE BETWEEN 1 PRECEDING AND CURRENT ROW) FROM t;

-- error: does not apply to an ORDER BY key of type VARCHAR
SELECT sum(x) OVER (ORDER BY s RANGE BETWEEN 1 PRECEDING AND CURRENT ROW) FROM t;

-- error: QUALIFY needs a window function
SELECT x FROM t QUALIFY x > 1;

-- error: allowed only in the select list, ORDER BY and QUALIFY
SELECT x FROM t WHERE row_number() OVER () > 1;

-- error: allowed only in the select list, ORDER BY and QUALIFY
SELECT g FROM t GROUP BY g HAVING rank() OVER () > 1;

-- error: cannot be nested
SELECT sum(row_number() OVER ()) OVER () FROM t;

-- error: cannot contain window function calls
SELECT sum(row_number() OVER ()) FROM t;

-- error: cannot override the PARTITION BY
SELECT sum(x) OVER (w PARTITION BY o) FROM t WINDOW w AS (PARTITION BY g);

-- error: cannot override the ORDER BY
SELECT sum(x) OVER (w ORDER BY o) FROM t WINDOW w AS (ORDER BY g);

-- error: is defined twice
SELECT sum(x) OVER w FROM t WINDOW w AS (ORDER BY g), w AS (ORDER BY o);

-- error: does not take IGNORE NULLS
SELECT row_number() IGNORE NULLS OVER () FROM t;

-- error: must be greater than zero
SELECT ntile(0) OVER () FROM t;

-- error: cannot start at UNBOUNDED FOLLOWING
SELECT sum(x) OVER (ORDER BY o ROWS BETWEEN UNBOUNDED FOLLOWING AND CURRENT ROW) FROM t;

-- error: a frame starting at the current row cannot end at preceding rows
SELECT sum(x) OVER (ORDER BY o ROWS BETWEEN CURRENT ROW AND 1 PRECEDING) FROM t;

-- error: a frame starting at following rows cannot end at the current row
SELECT sum(x) OVER (ORDER BY o GROUPS BETWEEN 1 FOLLOWING AND CURRENT ROW) FROM t;

-- error: neither an aggregate nor a window function
SELECT upper(s) OVER () FROM t;
