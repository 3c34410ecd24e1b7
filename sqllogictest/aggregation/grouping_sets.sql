-- Grouping sets, ROLLUP, CUBE, GROUPING(), GROUP BY ALL: NULL keys in the
-- data next to the NULLs a set leaves, duplicate sets, empty inputs.
CREATE TABLE raw AS SELECT * FROM (VALUES
  (1, 'x', 2, 1.5), (1, 'y', 3, 2.5), (2, 'x', 4, NULL), (NULL, 'y', 5, 4.0),
  (2, NULL, NULL, 1.0), (3, 'z', 7, 0.5)
) AS v(a, s, b, d0);
CREATE TABLE t AS SELECT a, s, b, CAST(d0 AS DOUBLE) AS d FROM raw;

SELECT a, sum(b), count(*) FROM t GROUP BY ROLLUP (a);

SELECT a, s, sum(b) AS total, grouping(a) AS ga, grouping(s) AS gs, grouping(a, s) AS gas FROM t GROUP BY ROLLUP (a, s);

SELECT a, s, count(*), grouping_id(a, s) FROM t GROUP BY CUBE (a, s);

SELECT a, s, count(b) FROM t GROUP BY GROUPING SETS ((a), (s), ());

SELECT a, count(*) FROM t GROUP BY GROUPING SETS ((a), (a));

-- A plain key crossed with a rollup, and a key repeated inside it.
SELECT a, s, count(*) FROM t GROUP BY a, ROLLUP (a, s);

SELECT s, a, sum(d) FROM t GROUP BY s, CUBE (a);

SELECT a, s, count(*) FROM t GROUP BY GROUPING SETS ((a, s), ROLLUP (a));

SELECT a, sum(b) FROM t GROUP BY GROUPING SETS (ROLLUP (a), ());

-- Composite elements: (a, s) rolls up as one.
SELECT a, s, b, count(*) FROM t GROUP BY ROLLUP ((a, s), b);

-- Expressions and aliases as keys.
SELECT a % 2 AS parity, upper(s) AS u, sum(b) FROM t GROUP BY ROLLUP (parity, u);

SELECT a + 1 AS x, count(*) FROM t GROUP BY ROLLUP (x);

SELECT a, s, sum(b) FROM t GROUP BY ROLLUP (1, 2);

-- HAVING and ORDER BY over GROUPING().
SELECT a, sum(b) FILTER (WHERE b > 2) AS big FROM t GROUP BY ROLLUP (a) HAVING grouping(a) = 1;

SELECT a, s, sum(b) FROM t GROUP BY ROLLUP (a, s) HAVING sum(b) > 4 AND grouping(s) = 0;

SELECT CASE WHEN grouping(a) = 1 THEN 'all' ELSE CAST(a AS VARCHAR) END AS label, sum(b) FROM t GROUP BY ROLLUP (a);

-- DISTINCT aggregates and averages per set.
SELECT s, count(DISTINCT a), avg(b), min(d), max(s) FROM t GROUP BY CUBE (s);

-- Empty input: only the empty set gives a row.
SELECT a, sum(b), count(*), grouping(a) FROM t WHERE b > 100 GROUP BY ROLLUP (a);

SELECT a, s, count(*) FROM t WHERE b > 100 GROUP BY CUBE (a, s);

SELECT count(*), sum(b) FROM t WHERE b > 100 GROUP BY ();

SELECT count(*) FROM t GROUP BY ();

SELECT a, count(*) FROM t WHERE b > 100 GROUP BY GROUPING SETS ((), (a), ());

-- Window functions over the grouped rows.
SELECT a, sum(b) AS total, rank() OVER (PARTITION BY grouping(a) ORDER BY sum(b) DESC) AS r FROM t GROUP BY ROLLUP (a);

-- GROUP BY ALL: every select item without an aggregate.
SELECT a, s, count(*) FROM t GROUP BY ALL;

SELECT a % 2 AS parity, count(*), sum(b) + 1 FROM t GROUP BY ALL;

SELECT count(*) FROM t GROUP BY ALL;

-- A grouped subquery under grouping sets.
SELECT k, sum(n) FROM (SELECT a AS k, count(*) AS n FROM t GROUP BY a) AS g GROUP BY ROLLUP (k);

-- error: can only be used in a query with GROUP BY
SELECT grouping(a) FROM t;

-- error: takes GROUP BY expressions
SELECT a, grouping(b) FROM t GROUP BY ROLLUP (a);

-- error: not allowed in WHERE
SELECT a FROM t WHERE grouping(a) = 0 GROUP BY a;

-- error: cannot be used inside an aggregate
SELECT a, sum(grouping(a)) FROM t GROUP BY ROLLUP (a);

-- error: CUBE of 13 elements is too many
SELECT count(*) FROM t GROUP BY CUBE (a, s, b, d, a + 1, a + 2, a + 3, a + 4, a + 5, a + 6, a + 7, a + 8, a + 9);

-- error: must appear in the GROUP BY clause
SELECT a, b FROM t GROUP BY ROLLUP (a);
