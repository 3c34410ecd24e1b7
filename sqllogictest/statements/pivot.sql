-- PIVOT and UNPIVOT in FROM (SQL-standard forms).
CREATE TABLE m AS SELECT * FROM (VALUES ('x', 1, 2), ('y', 3, NULL), ('x', 5, 6)) AS v(id, jan, feb);

SELECT * FROM m UNPIVOT (val FOR month IN (jan, feb));

SELECT * FROM m UNPIVOT INCLUDE NULLS (val FOR month IN (jan, feb));

SELECT * FROM m UNPIVOT (val FOR month IN (jan AS j, feb AS f));

SELECT u.month, sum(u.val) FROM m UNPIVOT (val FOR month IN (jan, feb)) AS u GROUP BY u.month;

SELECT * FROM m PIVOT (sum(jan) FOR id IN ('x', 'y'));

SELECT * FROM m PIVOT (sum(jan) AS s, max(feb) AS mf FOR id IN ('x', 'y'));

SELECT * FROM m PIVOT (count(*) FOR id IN ('x' AS ex, 'z'));

SELECT * FROM (SELECT id, jan FROM m) PIVOT (avg(jan) FOR id IN ('x', 'y')) AS p;

-- IN (ANY): the values in the data (a Quiver extension, as Snowflake's)
-- duckdb: SELECT * FROM m PIVOT (sum(jan) FOR id IN ('x', 'y'))
SELECT * FROM m PIVOT (sum(jan) FOR id IN (ANY));

-- duckdb: SELECT * FROM m PIVOT (sum(jan) FOR id IN ('y', 'x'))
SELECT * FROM m PIVOT (sum(jan) FOR id IN (ANY ORDER BY id DESC));

-- duckdb: SELECT * FROM m PIVOT (sum(jan) FOR id IN ('y'))
SELECT * FROM m PIVOT (sum(jan) FOR id IN (SELECT 'y'));

-- duckdb: SELECT jan, coalesce(x, 0) AS x, coalesce(y, 0) AS y FROM m PIVOT (sum(feb) FOR id IN ('x', 'y'))
SELECT * FROM m PIVOT (sum(feb) FOR id IN ('x', 'y') DEFAULT ON NULL (0));

-- error: by anything but id
SELECT * FROM m PIVOT (sum(jan) FOR id IN (ANY ORDER BY jan));
