-- The UUID type: read from text as DuckDB reads it (hyphens anywhere,
-- braces, either case), written in lower case 8-4-4-4-12, ordered as its
-- text, compared with text literals, grouped, joined, aggregated.
CREATE TABLE u (id UUID, n INTEGER);

INSERT INTO u VALUES ('550e8400-e29b-41d4-a716-446655440000', 1), ('{00000000-0000-0000-0000-000000000001}', 2), ('ffffffff-ffff-ffff-ffff-ffffffffffff', 3), (NULL, 4), ('550E8400E29B41D4A716446655440000', 5), ('8000-0000-0000-0000-0000-0000-0000-0000', 6);

-- in order
SELECT id, n FROM u ORDER BY id, n;

SELECT typeof(id), id::VARCHAR FROM u WHERE n = 5;

SELECT id, count(*), sum(n) FROM u GROUP BY id;

SELECT n FROM u WHERE id = '550e8400-e29b-41d4-a716-446655440000';

-- Unsigned byte order: 8000… sorts after 7fff…, as the text does.
SELECT n FROM u WHERE id > '7fffffff-ffff-ffff-ffff-ffffffffffff';

SELECT n FROM u WHERE id IN ('550e8400-e29b-41d4-a716-446655440000', 'ffffffff-ffff-ffff-ffff-ffffffffffff');

SELECT min(id), max(id), count(DISTINCT id) FROM u;

SELECT a.n, b.n FROM u AS a JOIN u AS b ON a.id = b.id;

SELECT DISTINCT id FROM u;

SELECT id FROM u UNION SELECT '00000000-0000-0000-0000-000000000001'::UUID;

SELECT arg_max(n, id), arg_min(id, n) FROM u;

SELECT coalesce(id, '00000000-0000-0000-0000-000000000000') FROM u;

SELECT id || '!' FROM u WHERE n = 2;

SELECT id::BLOB = '\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01'::BLOB FROM u WHERE n = 2;

SELECT list(id ORDER BY n)::VARCHAR FROM u;

SELECT TRY_CAST('nope' AS UUID), TRY_CAST('550e8400-e29b-41d4-a716-446655440000' AS UUID);

SELECT hash(id) = hash('550e8400-e29b-41d4-a716-446655440000'::UUID) FROM u WHERE n = 5;

-- New UUIDs: random (version 4) and time-ordered (version 7).
SELECT typeof(uuid()), typeof(gen_random_uuid()), typeof(uuidv4()), typeof(uuidv7());

SELECT uuid_extract_version(uuid()), uuid_extract_version(uuidv4()), uuid_extract_version(uuidv7());

SELECT uuid_extract_version('550e8400-e29b-41d4-a716-446655440000'), uuid_extract_version(NULL::UUID);

SELECT uuid_extract_timestamp('018f6b1e-8e3a-7cc0-8000-000000000000'::UUID) = TIMESTAMPTZ '2024-05-12 04:45:15.706+00';

SELECT count(DISTINCT uuid()) FROM range(1000);

-- error: cannot convert 'nope' to UUID: expected 32 hex digits
SELECT 'nope'::UUID;

-- error: cannot convert
SELECT '550e8400-e29b-41d4-a716-44665544000'::UUID;

-- error: only version 7 holds a time
SELECT uuid_extract_timestamp('550e8400-e29b-41d4-a716-446655440000'::UUID);

-- error: cannot convert 'x' to UUID
INSERT INTO u VALUES ('x', 7);
