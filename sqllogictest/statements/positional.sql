-- POSITIONAL JOIN: rows paired by position, the shorter side padded with
-- NULLs; a side keeps its scan order (files, row groups, inserted batches)
-- or its ORDER BY.
CREATE TABLE pa AS SELECT range AS i FROM range(20000) ORDER BY range;

CREATE TABLE pb (s VARCHAR);

INSERT INTO pb VALUES ('x'), ('y');

INSERT INTO pb VALUES ('z');

-- in order
SELECT * FROM range(3) AS t(a) POSITIONAL JOIN range(5) AS u(b) ORDER BY b;

-- in order
SELECT * FROM pb POSITIONAL JOIN (SELECT * FROM range(4) ORDER BY range DESC) AS r ORDER BY range DESC;

-- Every position of a table of several batches lines up with itself.
SELECT count(*), count(b.j), sum(CASE WHEN b.j = a.i + 1 THEN 1 ELSE 0 END) FROM pa AS a POSITIONAL JOIN (SELECT i + 1 AS j FROM pa) AS b;

-- A Parquet file of several row groups, joined with itself by position.
SELECT count(*), sum(CASE WHEN a.trip_id = b.trip_id THEN 1 ELSE 0 END) FROM 'testdata/trips.parquet' AS a POSITIONAL JOIN 'testdata/trips.parquet' AS b;

-- A filter applies to the joined rows, not to either side.
SELECT b.s, a.i FROM pa AS a POSITIONAL JOIN pb AS b WHERE a.i % 2 = 0 AND a.i < 6;

-- Empty sides.
SELECT count(*) FROM pb POSITIONAL JOIN (SELECT * FROM pa WHERE i < 0);

SELECT count(*) FROM (SELECT * FROM pb WHERE false) POSITIONAL JOIN (SELECT * FROM pa WHERE i < 0);

-- Chained, and beside an ordinary join.
SELECT x.s, y.range, z.i FROM pb AS x POSITIONAL JOIN range(2) AS y POSITIONAL JOIN (SELECT i FROM pa ORDER BY i DESC LIMIT 4) AS z ORDER BY z.i DESC;

-- error: takes no ON or USING
SELECT * FROM pb POSITIONAL JOIN pb AS c ON pb.s = c.s;
