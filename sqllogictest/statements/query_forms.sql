-- Query forms: UNION [ALL] BY NAME; qualified columns after JOIN .. USING.
CREATE TABLE a AS SELECT * FROM (VALUES (1, 'x', 1.5), (2, 'y', NULL)) AS v(k, s, f);

CREATE TABLE b AS SELECT * FROM (VALUES ('y', 2, 10), ('z', 3, 20)) AS v(s, k, n);

-- columns matched by name, missing ones NULL, in the order first seen
SELECT * FROM a UNION ALL BY NAME SELECT * FROM b;

SELECT k, s FROM a UNION BY NAME SELECT s, k FROM b;

SELECT 1 AS x, 'a' AS y UNION ALL BY NAME SELECT 'b' AS Y, 2 AS z UNION ALL BY NAME SELECT 3 AS X;

SELECT count(*), sum(k) FROM (SELECT k FROM a UNION ALL BY NAME SELECT k, n FROM b);

-- types are unified per name
SELECT typeof(f) FROM (SELECT f FROM a UNION ALL BY NAME SELECT 7::DOUBLE AS f) LIMIT 1;

-- error: two columns named
SELECT 1 AS x, 2 AS x UNION ALL BY NAME SELECT 3 AS x;

-- error: only UNION matches columns by name
SELECT 1 AS x INTERSECT BY NAME SELECT 1 AS x;
