-- CHECK constraints: on a column or the table, kept by INSERT, UPDATE and
-- ON CONFLICT DO UPDATE; NULL passes. Also IS [NOT] TRUE|FALSE|UNKNOWN.
CREATE TABLE ck (id INTEGER PRIMARY KEY, qty INTEGER CHECK (qty >= 0), lo INTEGER, hi INTEGER, CHECK (lo <= hi), CONSTRAINT named CHECK (ck.id < 1000));

INSERT INTO ck VALUES (1, 5, 1, 2), (2, NULL, NULL, 3), (3, 0, 4, 4);

-- error: CHECK constraint failed on table ck
INSERT INTO ck VALUES (4, -1, 1, 2);

-- error: CHECK constraint failed on table ck
INSERT INTO ck VALUES (4, 1, 5, 2), (5, 1, 1, 1);

-- error: CHECK constraint failed on table ck
INSERT INTO ck VALUES (1000, 1, 1, 1);

-- Nothing of a failed INSERT is kept.
SELECT count(*) FROM ck;

-- error: CHECK constraint failed on table ck
UPDATE ck SET qty = qty - 1;

UPDATE ck SET qty = qty - 1 WHERE qty > 0;

-- error: CHECK constraint failed on table ck
INSERT INTO ck VALUES (1, -5, 1, 1) ON CONFLICT (id) DO UPDATE SET qty = excluded.qty;

INSERT INTO ck VALUES (1, 9, 1, 1) ON CONFLICT (id) DO UPDATE SET qty = excluded.qty;

SELECT * FROM ck;

DELETE FROM ck WHERE id = 3;

SELECT count(*) FROM ck;

-- error: BOOLEAN
CREATE TABLE bad (a INTEGER CHECK (a + 1));

-- error: subquery
CREATE TABLE bad (a INTEGER CHECK (a > (SELECT 1)));

-- error: not found
CREATE TABLE bad (a INTEGER CHECK (b > 1));

SELECT x IS TRUE, x IS NOT TRUE, x IS FALSE, x IS NOT FALSE, x IS UNKNOWN, x IS NOT UNKNOWN FROM (VALUES (true), (false), (NULL)) t(x);
