-- Correlated subqueries of every kind, in every clause, with every shape
-- of correlated predicate (equality, inequality, OR, expressions), nested
-- up to three levels, over NULLs and empty inner tables.
CREATE TABLE t1 AS SELECT * FROM (VALUES (1, 1), (2, 2), (3, 3), (4, NULL), (5, 2)) AS v(a, b);

CREATE TABLE t2 AS SELECT * FROM (VALUES (1, 10), (1, 20), (2, 5), (3, NULL), (NULL, 7)) AS v(a, b);

CREATE TABLE empty AS SELECT * FROM t2 WHERE false;

-- scalar aggregates: an empty group counts 0 (no COUNT bug)
SELECT a, (SELECT count(*) FROM t1 AS x WHERE x.b < t1.b) FROM t1;

SELECT a, (SELECT count(x.b) FROM t2 AS x WHERE x.a > t1.a) FROM t1;

SELECT a, (SELECT sum(x.b) FROM t2 AS x WHERE x.a <> t1.a OR x.b > t1.b) FROM t1;

SELECT a, (SELECT count(*) + 1 FROM t2 AS x WHERE x.a + 1 = t1.a * 2) FROM t1;

SELECT a, (SELECT count(*) FROM empty WHERE empty.a < t1.a), (SELECT max(b) FROM empty WHERE empty.a < t1.a) FROM t1;

SELECT a, (SELECT avg(x.b) FROM t2 AS x WHERE x.b BETWEEN t1.a AND t1.a * 10) FROM t1;

SELECT a, (SELECT count(*) FROM t2 AS x WHERE x.a IS NOT DISTINCT FROM t1.b) FROM t1;

-- scalar subqueries without aggregates
SELECT a, (SELECT x.b FROM t2 AS x WHERE x.a = t1.a AND x.b > t1.b * 10) FROM t1;

-- in order
SELECT a, (SELECT x.b FROM t1 AS x WHERE x.b > t1.b ORDER BY x.b LIMIT 1) FROM t1 ORDER BY a;

SELECT a, (SELECT x.a FROM t1 AS x WHERE x.b = t1.b ORDER BY x.a DESC LIMIT 1 OFFSET 1) FROM t1;

-- error: more than one row
SELECT a, (SELECT x.b FROM t2 AS x WHERE x.a <= t1.a) FROM t1;

-- top-n per outer row
SELECT a, (SELECT string_agg(b::VARCHAR, ',' ORDER BY b) FROM (SELECT x.b FROM t2 AS x WHERE x.a >= t1.a ORDER BY x.b DESC LIMIT 2)) FROM t1;

SELECT t1.a, best.b FROM t1, LATERAL (SELECT x.b FROM t2 AS x WHERE x.a <= t1.a ORDER BY x.b DESC NULLS LAST LIMIT 2) AS best;

-- EXISTS and NOT EXISTS
SELECT a FROM t1 WHERE EXISTS (SELECT 1 FROM t2 AS x WHERE x.b > t1.b * 3 OR x.a = t1.a + 5);

SELECT a FROM t1 WHERE NOT EXISTS (SELECT 1 FROM t2 AS x WHERE x.a < t1.a);

SELECT a, EXISTS (SELECT 1 FROM t2 AS x WHERE x.b > t1.b * 5) FROM t1;

SELECT a FROM t1 WHERE b > 1 OR EXISTS (SELECT 1 FROM t2 AS x WHERE x.a * 2 = t1.a);

SELECT a FROM t1 WHERE EXISTS (SELECT 1 FROM empty WHERE empty.a <> t1.a);

SELECT a FROM t1 WHERE NOT EXISTS (SELECT 1 FROM empty WHERE empty.a <> t1.a);

-- IN, NOT IN and quantified comparisons
SELECT a FROM t1 WHERE b IN (SELECT x.b / 5 FROM t2 AS x WHERE x.a < t1.a);

SELECT a FROM t1 WHERE b NOT IN (SELECT x.a FROM t2 AS x WHERE x.b > t1.a);

SELECT a FROM t1 WHERE b > ALL (SELECT x.b FROM t1 AS x WHERE x.a <> t1.a);

SELECT a FROM t1 WHERE b >= ANY (SELECT x.b FROM t1 AS x WHERE x.a > t1.a);

SELECT a FROM t1 WHERE a < ALL (SELECT x.a FROM t2 AS x WHERE x.b < t1.a * 5);

SELECT a FROM t1 WHERE a = ANY (SELECT x.a FROM empty AS x WHERE x.b < t1.a);

SELECT a FROM t1 WHERE a <> ALL (SELECT x.a FROM empty AS x WHERE x.b < t1.a);

SELECT a, (SELECT count(*) FROM t2 WHERE t2.b NOT IN (SELECT z.b * 5 FROM t1 AS z WHERE z.a < t1.a)) FROM t1;

-- in HAVING, ORDER BY, JOIN .. ON, CASE and function arguments
SELECT b, count(*) FROM t1 GROUP BY b HAVING count(*) > (SELECT count(*) FROM t2 WHERE t2.a = t1.b);

SELECT b, count(*) FROM t1 GROUP BY b HAVING count(*) >= (SELECT count(*) FROM t2 WHERE t2.a > t1.b);

-- in order
SELECT a FROM t1 ORDER BY (SELECT count(*) FROM t2 WHERE t2.a < t1.a) DESC, a;

SELECT t1.a, t2.b FROM t1 JOIN t2 ON t2.a = t1.a AND t2.b >= (SELECT min(x.b) FROM t2 AS x WHERE x.a = t1.a AND x.b > t1.b);

SELECT a, CASE WHEN b > 1 THEN (SELECT count(*) FROM t2 WHERE t2.a > t1.a) ELSE -1 END FROM t1;

SELECT a, coalesce((SELECT max(x.b) FROM t2 AS x WHERE x.a < t1.a), 0) + 1 FROM t1;

-- inner queries with joins, DISTINCT, set operations, windows and grouping
SELECT a, (SELECT count(DISTINCT x.a) FROM t2 AS x JOIN t1 AS y ON x.a = y.a WHERE y.b <= t1.b) FROM t1;

SELECT a, (SELECT count(*) FROM (SELECT DISTINCT x.a FROM t2 AS x WHERE x.b > t1.a)) FROM t1;

SELECT a, (SELECT max(y) FROM (SELECT t2.b + t1.b AS y FROM t2 WHERE t2.a = t1.a UNION ALL SELECT t1.a * 100)) FROM t1;

SELECT a, (SELECT count(*) FROM (SELECT x.a FROM t2 AS x WHERE x.a < t1.a INTERSECT SELECT y.a FROM t1 AS y WHERE y.b < t1.a)) FROM t1;

SELECT a, (SELECT count(*) FROM (SELECT x.a FROM t2 AS x WHERE x.a <= t1.a EXCEPT SELECT y.a FROM t1 AS y WHERE y.b = t1.b)) FROM t1;

SELECT a, (SELECT max(r) FROM (SELECT row_number() OVER (ORDER BY x.b) AS r FROM t2 AS x WHERE x.b > t1.a)) FROM t1;

SELECT a, (SELECT max(c) FROM (SELECT x.a, count(*) AS c FROM t2 AS x WHERE x.b > t1.b GROUP BY x.a)) FROM t1;

SELECT a, (SELECT count(*) FROM t2 AS x LEFT JOIN t1 AS y ON y.a = x.a AND y.b > t1.a) FROM t1;

SELECT a, (SELECT count(y.a) FROM t2 AS x LEFT JOIN t1 AS y ON y.a = x.a AND y.b > t1.a) FROM t1;

SELECT a, (SELECT count(*) FROM t1 AS y RIGHT JOIN (SELECT * FROM t2 WHERE t2.b > t1.a) AS x ON y.a = x.a) FROM t1;

SELECT a, (SELECT count(*) FROM (SELECT * FROM t1 AS y WHERE y.b < t1.a) AS y FULL JOIN (SELECT * FROM t2 WHERE t2.b > t1.a) AS x ON y.a = x.a) FROM t1;

-- nested two and three levels, with references to the outer-of-outer query
SELECT a, (SELECT count(*) FROM t2 WHERE t2.a = t1.a AND EXISTS (SELECT 1 FROM t1 AS z WHERE z.b = t2.b - t1.a)) FROM t1;

SELECT a, (SELECT count(*) FROM t2 WHERE EXISTS (SELECT 1 FROM t1 AS z WHERE z.a = t2.a AND z.b < t1.b)) FROM t1;

SELECT a FROM t1 WHERE EXISTS (SELECT 1 FROM t2 WHERE t2.a < t1.a AND t2.b > (SELECT min(z.b) FROM t1 AS z WHERE z.a > t1.a)) ;

SELECT a, (SELECT max((SELECT count(*) FROM t1 AS z WHERE z.b < t2.a + t1.a)) FROM t2 WHERE t2.b > t1.a) FROM t1;

SELECT a, (SELECT count(*) FROM t2 WHERE t2.a <= t1.a AND EXISTS (SELECT 1 FROM t1 AS z WHERE z.a = t2.a AND EXISTS (SELECT 1 FROM t2 AS w WHERE w.a = z.b AND w.b > t1.a))) FROM t1;

-- NULL outer values match NULL in the grouped form
SELECT b, (SELECT count(*) FROM t1 AS x WHERE (x.b IS NOT DISTINCT FROM t1.b) AND x.a >= t1.a) FROM t1;

-- correlation on an expression of several outer columns
SELECT a, b, (SELECT count(*) FROM t2 WHERE t2.b > t1.a * 3 + coalesce(t1.b, 0)) FROM t1;

-- correlated unnest and VALUES inside a subquery
CREATE TABLE lists AS SELECT * FROM (VALUES (1, [1, 2, 3]), (2, [4, 5]), (3, []::INTEGER[]), (4, NULL)) AS v(id, l);

SELECT id, (SELECT sum(x) FROM unnest(lists.l) AS u(x)) FROM lists;

SELECT id, (SELECT count(*) FROM unnest(l) AS u(x) WHERE x > id) FROM lists;

SELECT id, (SELECT list(x * 2 ORDER BY x) FROM unnest(l) AS u(x)) FROM lists;

SELECT id, (SELECT max(v) FROM (VALUES (lists.id), (lists.id * 10)) AS w(v)) FROM lists;

-- IN and quantified comparisons used as values, correlated, over NULLs
SELECT a, a IN (SELECT t2.a FROM t2 WHERE t2.b > t1.b * 5) FROM t1;

SELECT a, b > ANY (SELECT t2.b FROM t2 WHERE t2.a = t1.a) FROM t1;

SELECT a, b < ALL (SELECT t2.b FROM t2 WHERE t2.a <> t1.a) FROM t1;

SELECT a, a NOT IN (SELECT t2.a FROM t2 WHERE t2.b >= t1.b) FROM t1;

SELECT a FROM t1 WHERE a > 3 OR a IN (SELECT t2.a FROM t2 WHERE t2.b > t1.a * 5);

SELECT a, b, b >= ANY (SELECT x.b FROM t1 AS x WHERE x.a > t1.a) FROM t1;

-- in window arguments, PARTITION BY and ORDER BY
SELECT a, sum(b) OVER (ORDER BY (SELECT count(*) FROM t2 WHERE t2.a < t1.a), a) FROM t1;

SELECT a, rank() OVER (PARTITION BY (SELECT max(t2.b) FROM t2 WHERE t2.a = t1.a) ORDER BY a) FROM t1;

SELECT a, sum((SELECT count(*) FROM t2 WHERE t2.a <= t1.a)) OVER () FROM t1;

-- a subquery in the value compared with IN (found by the fuzzer)
SELECT a, (EXISTS (SELECT 1 FROM t2 WHERE t2.a = t1.a)) IN (SELECT t2.b > 5 FROM t2 WHERE t2.a = t1.b) FROM t1;

SELECT a FROM t1 WHERE (SELECT max(t2.b) FROM t2 WHERE t2.a = t1.a) IN (SELECT x.b * 10 FROM t1 AS x WHERE x.a < t1.a + 2);

-- error: below GROUPING SETS, ROLLUP or CUBE in a subquery is not supported
SELECT a, (SELECT sum(b) FROM t2 WHERE t2.a = t1.a GROUP BY ROLLUP (t2.a) ORDER BY 1 DESC LIMIT 1) FROM t1;

-- error: below a recursive CTE in a subquery is not supported
SELECT a, (WITH RECURSIVE r(n) AS (SELECT t1.a UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT count(*) FROM r) FROM t1;

-- a CTE inside a correlated subquery
SELECT a, (WITH c AS (SELECT b FROM t2 WHERE t2.a = t1.a) SELECT max(b) FROM c) FROM t1;
