-- WITH RECURSIVE: UNION ALL and UNION (which ends cycles), several
-- columns, joins in the recursive term, CTEs that read each other, and a
-- recursive CTE read twice.
CREATE TABLE edges AS SELECT * FROM (VALUES (1, 2), (2, 3), (3, 4), (4, 2), (5, 6), (3, 7)) AS v(a, b);

-- in order
WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT * FROM r ORDER BY n;

WITH RECURSIVE r(n) AS (SELECT 1 UNION SELECT n % 3 + 1 FROM r) SELECT * FROM r;

WITH RECURSIVE reach(node) AS (SELECT 1 UNION SELECT e.b FROM reach JOIN edges e ON e.a = reach.node) SELECT node FROM reach;

WITH RECURSIVE paths(node, depth) AS (SELECT 1, 0 UNION ALL SELECT e.b, p.depth + 1 FROM paths p JOIN edges e ON e.a = p.node WHERE p.depth < 5) SELECT depth, count(*) FROM paths GROUP BY depth;

WITH RECURSIVE fib(a, b, i) AS (SELECT 0::BIGINT, 1::BIGINT, 1 UNION ALL SELECT b, a + b, i + 1 FROM fib WHERE i < 50) SELECT max(b), count(*) FROM fib;

WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 100000) SELECT count(*), sum(n) FROM r;

WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT a.n, b.n FROM r AS a JOIN r AS b ON a.n <= b.n;

WITH RECURSIVE t AS (SELECT 1 AS x), u AS (SELECT x + 1 AS y FROM t) SELECT * FROM u;

WITH RECURSIVE words(w, rest) AS (SELECT '', 'a b c' UNION ALL SELECT split_part(rest, ' ', 1), substring(rest, length(split_part(rest, ' ', 1)) + 2) FROM words WHERE rest <> '') SELECT w FROM words WHERE w <> '';

WITH RECURSIVE r(d) AS (SELECT DATE '2024-01-30' UNION ALL SELECT d + 1 FROM r WHERE d < DATE '2024-02-02') SELECT d::VARCHAR FROM r;

WITH RECURSIVE r(n, l) AS (SELECT 1, [1] UNION ALL SELECT n + 1, l || [n + 1] FROM r WHERE n < 4) SELECT n, l::VARCHAR FROM r;

SELECT * FROM (SELECT 1, 1);

SELECT * FROM (SELECT 1 AS x, 2 AS x, 3 AS x_1) AS t;

-- error: give 1 and 2 columns
WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n, n FROM r) SELECT * FROM r;

-- error: does not give the static term's column types
WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT [n] FROM r) SELECT * FROM r;
