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

-- after JOIN .. USING (k), k is the merged column and a.k and b.k each
-- table's own (NULL on the side without a match)
CREATE TABLE ua AS SELECT * FROM (VALUES (1, 'a1'), (2, 'a2'), (3, 'a3')) AS v(k, x);

CREATE TABLE ub AS SELECT * FROM (VALUES (2, 'b2'), (3, 'b3'), (4, 'b4')) AS v(k, y);

SELECT * FROM ua JOIN ub USING (k);

SELECT k, ua.k, ub.k, x, y FROM ua JOIN ub USING (k);

SELECT k, ua.k, ub.k FROM ua LEFT JOIN ub USING (k);

SELECT k, ua.k, ub.k FROM ua RIGHT JOIN ub USING (k);

SELECT ub.* FROM ua JOIN ub USING (k);

SELECT ua.* FROM ua RIGHT JOIN ub USING (k);

SELECT * FROM (ua JOIN ub USING (k)) AS j;

SELECT count(*) FROM ua JOIN ub USING (k) WHERE ub.k > 2;

SELECT * FROM ua JOIN ub USING (k) JOIN ub AS c USING (k);

SELECT ub.k, count(*) FROM ua LEFT JOIN ub USING (k) GROUP BY ub.k;

SELECT k FROM ua NATURAL JOIN ub;

-- COLUMNS(*) and COLUMNS('regex') in the select list
CREATE TABLE wide AS SELECT 1 AS a1, 2 AS a2, 3 AS b1, 4 AS xa;

SELECT COLUMNS('a') FROM wide;

SELECT COLUMNS('^a') FROM wide;

SELECT max(COLUMNS(*)) FROM wide;

SELECT COLUMNS(*) + 1 FROM wide;

SELECT min(COLUMNS('a\d')), max(COLUMNS('a\d')) FROM wide;

SELECT COLUMNS(*) AS x FROM wide;

-- error: no column matches
SELECT COLUMNS('zz') FROM wide;

-- COLUMNS with a star's modifiers, a list of names (in the table's order)
-- and a lambda over the names.
SELECT COLUMNS(* EXCLUDE (a2, xa)) FROM wide;

SELECT max(COLUMNS(* EXCLUDE b1)) FROM wide;

SELECT COLUMNS(* REPLACE (a1 * 10 AS a1)) + 1 FROM wide;

SELECT a1, renamed FROM (SELECT COLUMNS(* RENAME (b1 AS renamed)) FROM wide);

SELECT COLUMNS(['xa', 'a1']) FROM wide;

SELECT COLUMNS(lambda c: c LIKE '%1') FROM wide;

SELECT sum(COLUMNS(lambda c: c[1] = 'a')) FROM wide;

-- error: was selected by COLUMNS but is not in the FROM clause
SELECT COLUMNS(['a1', 'nothing']) FROM wide;

-- error: the lambda of COLUMNS selects no column
SELECT COLUMNS(lambda c: c = 'nothing') FROM wide;

-- error: EXCLUDE list is not among the columns
SELECT COLUMNS(* EXCLUDE (nothing)) FROM wide;

-- error: in the select list only
SELECT * FROM wide WHERE COLUMNS('a') > 0;

-- FULL JOIN USING: the merged key, and each table's own key by qualified name.
SELECT k, a.k, b.k, a.*, b.* FROM (VALUES (1, 'x'), (2, 'y')) a(k, v) FULL JOIN (VALUES (2, 'p'), (3, 'q')) b(k, w) USING (k);

SELECT * FROM (VALUES (1, 'x'), (2, 'y')) a(k, v) FULL JOIN (VALUES (2, 'p'), (3, 'q')) b(k, w) USING (k);

SELECT count(*), count(a.k), count(b.k), sum(k) FROM (VALUES (1, 'x'), (2, 'y')) a(k, v) FULL JOIN (VALUES (2, 'p'), (3, 'q')) b(k, w) USING (k) WHERE b.k IS NOT NULL OR a.k = 1;
