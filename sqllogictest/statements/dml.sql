-- UPDATE and DELETE on tables made with CREATE TABLE: conditions, several
-- columns, other tables through FROM and USING, NULL conditions, and
-- statements that fail changing nothing.
CREATE TABLE t (a INTEGER, b VARCHAR, k INTEGER);

INSERT INTO t VALUES (1, 'x', 1), (2, 'y', 2), (3, NULL, 3), (NULL, 'z', 4), (5, 'w', 5);

CREATE TABLE u (k INTEGER, v INTEGER);

INSERT INTO u VALUES (1, 10), (3, 30), (4, NULL), (9, 90);

UPDATE t SET a = a * 10 WHERE k >= 2;

SELECT * FROM t;

-- a NULL condition changes nothing
UPDATE t SET b = 'never' WHERE a > NULL;

UPDATE t SET b = upper(b), a = -a WHERE b IS NOT NULL;

SELECT * FROM t;

-- values from another table, matched by the WHERE condition
UPDATE t SET a = u.v + t.k FROM u WHERE u.k = t.k;

SELECT * FROM t;

UPDATE t AS x SET b = x.b || '!' WHERE x.k IN (SELECT k FROM u WHERE v IS NULL);

SELECT * FROM t;

DELETE FROM t WHERE b = 'Y';

SELECT * FROM t;

DELETE FROM t USING u WHERE u.k = t.k AND u.v > 20;

SELECT * FROM t;

-- error: division by zero
UPDATE t SET a = 10 // (k - 4);

-- the failed UPDATE changed nothing
SELECT * FROM t;

CREATE TABLE n (x INTEGER NOT NULL, y INTEGER);

INSERT INTO n VALUES (1, 1), (2, 2);

-- error: NOT NULL
UPDATE n SET x = NULL WHERE y = 2;

SELECT * FROM n;

-- error: has no column
UPDATE n SET z = 1;

-- error: cannot convert
UPDATE n SET x = 'text';

-- error: sets column
UPDATE n SET x = 1, x = 2;

-- error: not found
DELETE FROM missing WHERE true;

-- error: DELETE … LIMIT is not supported
DELETE FROM n LIMIT 1;

DELETE FROM n;

SELECT count(*) FROM n;

-- column DEFAULTs: stored by INSERTs that leave the column out, by DEFAULT
-- in VALUES and by DEFAULT VALUES; expressions are evaluated per INSERT
CREATE TABLE d (a INTEGER, b INTEGER DEFAULT 5, c VARCHAR DEFAULT 'x' || 'y', e DOUBLE DEFAULT 1 + 1, ts TIMESTAMP DEFAULT now());

INSERT INTO d (a) VALUES (1);

INSERT INTO d VALUES (2, DEFAULT, 'given', DEFAULT, DEFAULT), (3, 30, DEFAULT, 3.5, NULL);

INSERT INTO d (c, a) VALUES (DEFAULT, 4);

INSERT INTO d DEFAULT VALUES;

INSERT INTO d (a, b) SELECT range, range * 100 FROM range(5, 7);

SELECT a, b, c, e, ts IS NULL FROM d;

-- error: cannot convert
CREATE TABLE bad (a INTEGER DEFAULT 'abc');
