-- Lists, structs and maps cast from text, as DuckDB writes and reads them
-- (JSON text reads the same way). Results are compared as DuckDB's text.
CREATE TABLE ct AS SELECT * FROM (VALUES
  (1, '[1, 2, 3]', '{a: 1, b: x}', '{k=1, j=2}'),
  (2, ' [ 4 ,NULL ] ', '{"b": "y, z", "a": 2}', '{}'),
  (3, '[]', '{a: NULL}', '{k=NULL}'),
  (4, NULL, NULL, NULL)
) AS v(id, l, s, m);

SELECT id, l::INTEGER[]::VARCHAR, s::STRUCT(a INTEGER, b VARCHAR)::VARCHAR, m::MAP(VARCHAR, INTEGER)::VARCHAR FROM ct;

SELECT id, len(l::BIGINT[]), (l::BIGINT[])[1], (s::STRUCT(a INTEGER, b VARCHAR)).b, (m::MAP(VARCHAR, INTEGER))['k'] FROM ct;

-- Quotes keep commas and the word NULL; brackets nest.
SELECT '["a, b", ''c'', NULL, "NULL", "x\"y"]'::VARCHAR[]::VARCHAR, '[[1, 2], NULL, []]'::INTEGER[][]::VARCHAR, '[{a: 1}, {a: 2}]'::STRUCT(a INTEGER)[]::VARCHAR;

SELECT '{k=[1, 2], j=[3]}'::MAP(VARCHAR, INTEGER[])::VARCHAR, '{a: [1, 2], b: {c: "x, y"}}'::STRUCT(a INTEGER[], b STRUCT(c VARCHAR))::VARCHAR, '[a b, c]'::VARCHAR[]::VARCHAR;

-- JSON text.
SELECT '{"a": [1, 2], "b": {"c": true}}'::JSON::STRUCT(a INTEGER[], b STRUCT(c BOOLEAN))::VARCHAR, '[1.5, 2]'::JSON::DOUBLE[]::VARCHAR;

-- TRY_CAST gives NULL for text that is not a list, and NULL items for items that do not convert.
SELECT TRY_CAST('[1, 2' AS INTEGER[])::VARCHAR, TRY_CAST('[x, 2]' AS INTEGER[])::VARCHAR, TRY_CAST('{c: 1}' AS STRUCT(a INTEGER))::VARCHAR;

-- error: cannot convert '\[1, 2' to INTEGER
SELECT '[1, 2'::INTEGER[];

-- error: cannot convert 'x' to INTEGER
SELECT '[x]'::INTEGER[];

-- error: to STRUCT\(a INTEGER\)
SELECT '{c: 1}'::STRUCT(a INTEGER);

-- error: to STRUCT\(a INTEGER\)
SELECT '{a: 1, a: 2}'::STRUCT(a INTEGER);

-- error: to MAP\(VARCHAR, INTEGER\)
SELECT '{k=1, k=2}'::MAP(VARCHAR, INTEGER);

-- error: cannot convert
SELECT '[1] x'::INTEGER[];
