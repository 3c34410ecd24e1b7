-- Tuples (DuckDB's unnamed structs): `(a, b)` and `row(a, b)`, compared
-- field by field (NULL fields after values, as DuckDB), in IN lists and
-- IN subqueries, grouped, counted DISTINCT; GROUP BY (a, b) groups by a
-- and b.
CREATE TABLE p (x INTEGER, y INTEGER, s VARCHAR);

INSERT INTO p VALUES (1, 2, 'a'), (1, 2, 'b'), (3, 4, 'c'), (5, NULL, 'd'), (5, 6, 'e');

SELECT (1, 'a')::VARCHAR, row(1, NULL, [1, 2], {'k': 2})::VARCHAR, row()::VARCHAR;

SELECT typeof((x, s)), typeof(row(x, (y, 2.5))), typeof([(x, y), (y, x)]) FROM p LIMIT 1;

SELECT (1, 2) = (1, 2), (1, 2) < (1, 3), (1, NULL) = (1, 2), (2, 1) > (1, 5), (1, NULL) > (1, 2), (1, NULL) = (1, NULL);

SELECT s FROM p WHERE (x, y) = (3, 4);

SELECT s FROM p WHERE (x, y) IN ((1, 2), (5, 6));

SELECT s FROM p WHERE (x, y) NOT IN ((1, 2), (5, 6));

SELECT s FROM p WHERE (x, y) > (3, 4);

SELECT s FROM p WHERE (x, y) IN (SELECT 3, 4 UNION ALL SELECT 5, 6);

-- (DuckDB does not take a correlated IN of tuples; it answers the EXISTS.)
-- duckdb: SELECT s FROM p AS o WHERE EXISTS (SELECT 1 FROM p AS i WHERE i.s < o.s AND i.x IS NOT DISTINCT FROM o.x AND i.y IS NOT DISTINCT FROM o.y)
SELECT s FROM p AS o WHERE (x, y) IN (SELECT i.x, i.y FROM p AS i WHERE i.s < o.s);

SELECT count(DISTINCT (x, y)), count(DISTINCT row(x)) FROM p;

SELECT (x, y)::VARCHAR, count(*) FROM p GROUP BY (x, y)::VARCHAR;

SELECT x, y, count(*) FROM p GROUP BY (x, y);

SELECT (x, y)::VARCHAR, count(*) FROM p GROUP BY (x, y);

SELECT min((x, y))::VARCHAR, max((x, y))::VARCHAR FROM p;

-- in order
SELECT s FROM p ORDER BY (y, x), s;

-- A NULL field sorts after values, so first when descending.
-- in order
SELECT s FROM p ORDER BY (y, x) DESC, s;

-- in order
SELECT x::VARCHAR FROM (VALUES ([1, NULL]), ([1, 2]), ([NULL]), (NULL), ([0])) t(x) ORDER BY x NULLS FIRST;

-- in order
SELECT x::VARCHAR FROM (VALUES ([1, NULL]), ([1, 2]), ([NULL]), (NULL), ([0])) t(x) ORDER BY x DESC;

-- in order
SELECT x::VARCHAR FROM (VALUES ([1, NULL]), ([1, 2]), ([NULL]), (NULL), ([0])) t(x) ORDER BY x DESC LIMIT 3;

SELECT list(x ORDER BY x DESC)::VARCHAR FROM (VALUES ([1, NULL]), ([1, 2]), ([NULL]), (NULL), ([0])) t(x);

SELECT (1, 'a')[2], struct_extract((1, 'a'), 1);

-- A tuple is a JSON array.
SELECT to_json((1, 'a')), to_json({'t': (x, [y])}) FROM p WHERE s = 'a';

SELECT max([x, y])::VARCHAR, min({'k': y})::VARCHAR, max({'k': y})::VARCHAR FROM p;

-- error: cannot compare TUPLE\(BIGINT, BIGINT\) with TUPLE\(BIGINT, BIGINT, BIGINT\)
SELECT (1, 2) = (1, 2, 3);

-- error: a tuple's fields have no names
SELECT (1, 'a').x;

-- error: only a tuple's by position
SELECT {'x': 5}[1];

-- error: list the columns
SELECT s FROM p WHERE (x, y) IN (SELECT * FROM p);
