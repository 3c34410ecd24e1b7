-- Corner cases that a SQL conformance corpus and random queries compared
-- with DuckDB found: duplicate output names, NULL-typed expressions,
-- IS [NOT] DISTINCT FROM, dates in CASE, timestamps as text, division.
CREATE TABLE tab1 AS SELECT * FROM (VALUES (1, 2, DATE '2024-01-31'), (3, 4, DATE '2024-02-29'), (NULL, 6, NULL)) AS v(col1, col2, d);

-- duplicate output names are legal; positions and the alias find them
SELECT DISTINCT -col1 AS col2, col2 AS col2 FROM tab1;

-- in order
SELECT DISTINCT col2, -col1 AS col2 FROM tab1 ORDER BY 2 NULLS LAST;

-- in order
SELECT -col1 AS col2, col2 FROM tab1 ORDER BY col2 NULLS FIRST;

-- in order
SELECT -col1 AS x, -col2 AS x FROM tab1 ORDER BY x;

SELECT * FROM (SELECT -col1 AS col2, col2 AS col2 FROM tab1) AS t;

-- NULL literals take the type their context needs
SELECT NULLIF(CAST(NULL AS INTEGER), 29 * -63), 9 * NULLIF(CAST(NULL AS INTEGER), -23);

SELECT CASE WHEN col1 > 1 THEN NULL ELSE NULL END + 1, CASE WHEN true THEN NULL END FROM tab1;

SELECT coalesce(NULL, NULL, col1) + NULLIF(col2, 4) FROM tab1;

-- IS [NOT] DISTINCT FROM
SELECT col1 IS DISTINCT FROM 1, col1 IS NOT DISTINCT FROM NULL, NULL IS DISTINCT FROM NULL FROM tab1;

SELECT count(*) FROM tab1 AS a JOIN tab1 AS b ON a.col1 IS NOT DISTINCT FROM b.col1;

-- a CASE over a DATE column and DATE +/- INTERVAL branches (DATE +
-- INTERVAL is a DATE in Quiver, a TIMESTAMP in DuckDB: compared as dates)
SELECT CAST(CASE WHEN col1 > 1 THEN d ELSE d + INTERVAL 1 MONTH END AS DATE) FROM tab1;

SELECT CAST(CASE WHEN col1 > 1 THEN d - INTERVAL 1 DAY WHEN col1 = 1 THEN d END AS DATE) FROM tab1;

-- timestamps as text use a space, as DuckDB and PostgreSQL
SELECT CAST(TIMESTAMP '2024-01-01 10:00:00' AS VARCHAR), CAST(TIMESTAMP '2024-01-01 10:00:00.5' AS VARCHAR);

-- date_trunc of a DATE is a TIMESTAMP
SELECT date_trunc('month', d), date_trunc('week', d), typeof(date_trunc('year', d)) FROM tab1;

-- division: / of integers is a DOUBLE, // truncates
SELECT col2 / col1, col2 // col1, -col2 // col1, col2 % col1, typeof(col2 / col1) FROM tab1;

SELECT sum(col2) / count(*), avg(col2) FROM tab1;
