-- CREATE SCHEMA and DROP SCHEMA: tables, views and macros in a schema are
-- named schema.name; main holds the unqualified ones.
CREATE SCHEMA s;

CREATE SCHEMA IF NOT EXISTS s;

CREATE SCHEMA IF NOT EXISTS main;

CREATE TABLE s.t (a INTEGER);

CREATE TABLE t (a INTEGER);

INSERT INTO s.t VALUES (1), (2);

INSERT INTO t VALUES (10);

SELECT a FROM s.t;

SELECT a FROM main.t;

SELECT t.a, s.t.a, x.a FROM s.t, s.t AS x WHERE t.a = x.a;

SELECT * FROM t UNION ALL SELECT * FROM s.t;

UPDATE s.t SET a = a * 100 WHERE a = 2;

DELETE FROM s.t WHERE a = 1;

SELECT a FROM s.t;

CREATE VIEW s.v AS SELECT a + 1 AS b FROM s.t;

SELECT b FROM s.v;

ALTER TABLE s.t ADD COLUMN c VARCHAR;

ALTER TABLE s.t RENAME TO u;

SELECT a, c FROM s.u;

SELECT table_schema, table_name, table_type FROM information_schema.tables WHERE table_schema = 's';

SELECT table_schema, table_name, column_name FROM information_schema.columns WHERE table_schema = 's';

-- error: schema "s" already exists
CREATE SCHEMA s;

-- error: schema "nowhere" does not exist
CREATE TABLE nowhere.t (a INTEGER);

-- error: schema "nowhere" does not exist
SELECT * FROM nowhere.t;

-- error: table "t" not found in schema "s"
SELECT * FROM s.t;

-- error: holds 2
DROP SCHEMA s;

-- error: one object at a time
DROP SCHEMA s, nowhere;

-- error: one object at a time
DROP TABLE s.t, t;

DROP SCHEMA s CASCADE;

DROP SCHEMA IF EXISTS s;

-- error: schema "s" does not exist
DROP SCHEMA s;

-- error: the schema "main" is built in
CREATE SCHEMA main;

SELECT a FROM t;
