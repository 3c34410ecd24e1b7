-- ALTER TABLE (one change at a time, as DuckDB) and TRUNCATE on tables
-- made with CREATE TABLE.
CREATE TABLE t (a INTEGER, b VARCHAR DEFAULT 'q', c INTEGER NOT NULL);

INSERT INTO t VALUES (1, 'x', 10), (2, NULL, 20);

ALTER TABLE t ADD COLUMN d DOUBLE DEFAULT 1.5;

INSERT INTO t (a, c) VALUES (3, 30);

SELECT * FROM t;

ALTER TABLE t ADD COLUMN IF NOT EXISTS d INTEGER;

ALTER TABLE t ADD e VARCHAR;

SELECT a, e FROM t;

ALTER TABLE t DROP COLUMN e;

ALTER TABLE t DROP COLUMN IF EXISTS nothing;

ALTER TABLE t RENAME COLUMN a TO id;

SELECT id, b FROM t;

ALTER TABLE t ALTER COLUMN id TYPE VARCHAR;

SELECT typeof(id), id FROM t;

ALTER TABLE t ALTER COLUMN b SET DEFAULT 'changed';

INSERT INTO t (id, c) VALUES ('4', 40);

SELECT id, b FROM t;

ALTER TABLE t ALTER COLUMN b DROP DEFAULT;

INSERT INTO t (id, c) VALUES ('5', 50);

SELECT id, b FROM t;

ALTER TABLE t ALTER COLUMN c DROP NOT NULL;

INSERT INTO t (id) VALUES ('6');

SELECT count(*), count(c) FROM t;

ALTER TABLE t RENAME TO renamed;

SELECT count(*) FROM renamed;

-- error: not found
SELECT count(*) FROM t;

-- error: NOT NULL
ALTER TABLE renamed ALTER COLUMN b SET NOT NULL;

-- error: already has a column
ALTER TABLE renamed ADD COLUMN c INTEGER;

-- error: has no column
ALTER TABLE renamed DROP COLUMN missing;

-- error: cannot convert
ALTER TABLE renamed ALTER COLUMN b TYPE INTEGER;

-- error: table "missing" not found
ALTER TABLE missing ADD COLUMN x INTEGER;

ALTER TABLE IF EXISTS missing ADD COLUMN x INTEGER;

-- the failed changes changed nothing
SELECT * FROM renamed;

TRUNCATE renamed;

SELECT count(*) FROM renamed;

-- the catalog as tables
CREATE TABLE cat (a INTEGER NOT NULL, b VARCHAR DEFAULT 'x', c DOUBLE);

CREATE VIEW cat_view AS SELECT a FROM cat;

SELECT table_catalog, table_schema, table_name, table_type FROM information_schema.tables WHERE table_name LIKE 'cat%';

SELECT table_name, column_name, ordinal_position, column_default, is_nullable, data_type FROM information_schema.columns WHERE table_name = 'cat';

SELECT DISTINCT schema_name FROM information_schema.schemata WHERE schema_name IN ('main', 'information_schema');

SELECT count(*) FROM main.cat;

-- error: schema "elsewhere" does not exist
SELECT * FROM elsewhere.cat;
