-- DISTINCT ON, ORDER BY ALL, HAVING without GROUP BY, GROUP BY aliases and
-- positions; NULLs sort last in both directions by default.
CREATE TABLE t AS SELECT * FROM (VALUES
  (1, 'x', 2, 10), (1, 'y', 3, 20), (2, 'x', 4, NULL), (NULL, 'y', 5, 40),
  (2, NULL, NULL, 50), (3, 'z', 7, 60), (1, 'x', 9, 70), (3, 'z', 1, 80)
) AS v(a, s, b, id);

-- in order
SELECT DISTINCT ON (a) a, s, b FROM t ORDER BY a, b DESC;

-- in order
SELECT DISTINCT ON (a, s) a, s, b, id FROM t ORDER BY a, s, id;

-- The key need not be selected; the order decides which row is kept.
SELECT DISTINCT ON (s) a, b FROM t ORDER BY s, b;

SELECT DISTINCT ON (s) s, b FROM t ORDER BY s NULLS FIRST, b DESC;

-- A key that is a select alias or an expression.
SELECT DISTINCT ON (parity) a % 2 AS parity, id FROM t ORDER BY parity, id DESC;

SELECT DISTINCT ON (b > 3) b > 3 AS big, id FROM t ORDER BY b > 3, id;

-- The ORDER BY may go further than the DISTINCT ON keys; the result is
-- then ordered by it.
-- in order
SELECT DISTINCT ON (a) a, id FROM t ORDER BY a DESC, id;

-- Over a grouped query.
SELECT DISTINCT ON (a) a, s, count(*) AS n FROM t GROUP BY a, s ORDER BY a, n DESC, s;

-- With a window function and a LIMIT.
SELECT DISTINCT ON (a) a, id, rank() OVER (ORDER BY id) AS r FROM t ORDER BY a, id LIMIT 2;

-- in order
SELECT * FROM t ORDER BY ALL;

-- in order
SELECT a, s FROM t ORDER BY ALL DESC;

-- in order
SELECT s, a FROM t ORDER BY ALL NULLS FIRST;

-- in order
SELECT a, b FROM t UNION ALL SELECT b, a FROM t ORDER BY ALL;

-- in order
SELECT a, count(*) FROM t GROUP BY ALL ORDER BY ALL;

-- in order
SELECT a FROM t ORDER BY a DESC;

-- in order
SELECT s, id FROM t ORDER BY s DESC, id;

SELECT sum(b) FROM t HAVING sum(b) > 10;

SELECT sum(b) FROM t HAVING sum(b) > 1000;

SELECT a + 1 AS k, count(*) FROM t GROUP BY k;

SELECT s, a, count(*) FROM t GROUP BY 2, 1;
