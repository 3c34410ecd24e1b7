-- DuckDB's PIVOT and UNPIVOT statements: values read from the data when
-- not listed, GROUP BY, several ON expressions and aggregates, use as a
-- subquery, a CTE and in CREATE TABLE AS.
CREATE TABLE s (y INTEGER, q VARCHAR, r VARCHAR, v INTEGER);

INSERT INTO s VALUES (1, 'a', 'x', 1), (1, 'b', 'y', 2), (2, 'a', 'y', 3), (2, NULL, 'x', 5), (3, 'it''s', 'x', 7);

-- The other columns are the groups; a NULL value makes no column.
PIVOT s ON q USING sum(v);

PIVOT s ON q USING sum(v) GROUP BY y;

-- Without USING: count(*), so absent combinations are 0.
PIVOT s ON q;

SELECT y, a, b, "it's" FROM (PIVOT s ON q USING sum(v) GROUP BY y);

-- Several ON expressions: a column per combination of their values.
SELECT y, a_x, a_y, b_x, b_y, "it's_x", "it's_y" FROM (PIVOT s ON q, r USING sum(v) GROUP BY y);

SELECT y, a_t, "a_count_star()", b_t FROM (PIVOT s ON q USING sum(v) AS t, count(*) GROUP BY y);

SELECT y, a_total, b_total FROM (PIVOT s ON q USING sum(v) AS total GROUP BY y);

SELECT y, "a_sum(v)", "a_max(v)" FROM (PIVOT s ON q USING sum(v), max(v) GROUP BY y);

PIVOT s ON q IN ('a', 'z') USING sum(v) GROUP BY y;

SELECT y, aa FROM (PIVOT s ON q IN ('a' AS aa) USING sum(v) GROUP BY y);

PIVOT s ON q IN (SELECT 'b') USING sum(v) GROUP BY y;

PIVOT s ON q || r USING sum(v) GROUP BY y;

-- Numbers, dates and booleans as values, in ascending order.
PIVOT s ON y USING sum(v) GROUP BY r;

PIVOT (SELECT r, v, DATE '2024-01-01' + y AS d FROM s) ON d USING sum(v) GROUP BY r;

PIVOT (SELECT r, v, v > 2 AS big FROM s) ON big USING count(*) GROUP BY r;

PIVOT s ON q USING sum(v) + 1 GROUP BY y;

PIVOT s ON q USING sum(v) FILTER (WHERE v > 1) GROUP BY y;

-- No ON: the aggregates per group.
PIVOT s USING sum(v) GROUP BY y;

-- in order
PIVOT s ON q USING sum(v) GROUP BY y ORDER BY y DESC LIMIT 2;

PIVOT (SELECT * FROM s WHERE v > 1) ON q USING sum(v) GROUP BY y;

PIVOT (SELECT * FROM s WHERE false) ON q USING sum(v) GROUP BY y;

PIVOT_WIDER s ON q USING sum(v) GROUP BY y;

WITH p AS (PIVOT s ON q USING sum(v) GROUP BY y) SELECT y, a + coalesce(b, 0) FROM p;

SELECT p.y, p.a FROM (PIVOT s ON q USING sum(v) GROUP BY y) AS p WHERE p.a IS NOT NULL;

CREATE TABLE wide AS PIVOT s ON q USING sum(v) GROUP BY y;

SELECT * FROM wide;

UNPIVOT wide ON a, b INTO NAME k VALUE val;

UNPIVOT wide ON a, b;

UNPIVOT wide ON COLUMNS(* EXCLUDE (y)) INTO NAME k VALUE val;

UNPIVOT (PIVOT s ON q USING sum(v) GROUP BY y) ON a, b;

-- error: Expected: ON, USING or GROUP BY
PIVOT s;

-- error: not found
PIVOT s ON nosuch USING sum(v);

-- error: must hold exactly one aggregate; v holds 0
PIVOT s ON q USING v;

-- error: must hold exactly one aggregate; sum\(v\) \+ count\(\*\) holds 2
PIVOT s ON q USING sum(v) + count(*);

-- error: Expected: ORDER BY, LIMIT or the end of the statement, found: WHERE
PIVOT s ON q USING sum(v) WHERE v > 1;

-- error: would make more than 10000 columns
PIVOT range(20000) ON range;

-- error: one VALUE column
UNPIVOT wide ON a, b INTO NAME k VALUE v1, v2;
