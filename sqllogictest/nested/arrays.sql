-- Fixed-size arrays (DuckDB's ARRAY type, `DOUBLE[3]`): casts from lists
-- and text with a length check, array_value, list functions over arrays,
-- comparisons, and the vector functions over FLOAT and DOUBLE arrays.
CREATE TABLE e (id INTEGER, v DOUBLE[3], f FLOAT[3]);

INSERT INTO e VALUES (1, [1, 2, 3], [1, 2, 3]), (2, [0, 1, 0], [0, 1, 0]), (3, NULL, NULL), (4, [3, 2, 1], [3, 2, 1]);

SELECT typeof(v), typeof(f), typeof([1, 2, 3]::INTEGER[3]), typeof([[1, 2], [3, 4]]::INTEGER[2][2]) FROM e LIMIT 1;

SELECT id, v::VARCHAR FROM e;

SELECT '[1, 2, 3]'::INTEGER[3]::VARCHAR, TRY_CAST([1, 2] AS INTEGER[3]);

SELECT typeof(array_value(1.5, 2.25)), array_value(1, 2, 3)::VARCHAR;

SELECT list_sum(v), len(v), array_length(v), v[2], (v || [9.0])::VARCHAR FROM e;

SELECT id, unnest(v) FROM e;

-- `||` is NULL when a list is NULL; list_concat takes it as empty.
SELECT (NULL::INTEGER[] || [1])::VARCHAR, ([1] || NULL::INTEGER[])::VARCHAR, list_concat(NULL::INTEGER[], [1])::VARCHAR;

SELECT id FROM e WHERE v = [0, 1, 0]::DOUBLE[3];

SELECT id FROM e WHERE v > [1, 0, 0]::DOUBLE[3];

SELECT count(DISTINCT v), max(v)::VARCHAR, min(v)::VARCHAR FROM e;

SELECT id, array_distance(v, [1, 2, 4]::DOUBLE[3]), array_inner_product(v, [1, 2, 4]::DOUBLE[3]), array_dot_product(v, [1, 2, 4]::DOUBLE[3]), array_negative_inner_product(v, [1, 2, 4]::DOUBLE[3]) FROM e;

SELECT id, round(array_cosine_similarity(v, [1, 2, 4]::DOUBLE[3]), 12), round(array_cosine_distance(v, [1, 2, 4]::DOUBLE[3]), 12) FROM e;

SELECT id, array_cross_product(v, [1, 2, 4]::DOUBLE[3])::VARCHAR FROM e;

SELECT id, round(array_cosine_similarity(f, [1, 2, 4]::FLOAT[3]), 4)::VARCHAR, typeof(array_distance(f, f)), typeof(array_cross_product(f, f)) FROM e;

-- in order
SELECT id FROM e WHERE v IS NOT NULL ORDER BY array_distance(v, [3, 2, 2]::DOUBLE[3]);

-- error: an array of 3 elements needs a list of 3
SELECT [1, 2]::INTEGER[3];

-- error: an array of 3 elements needs a list of 3
INSERT INTO e VALUES (5, [1, 2], [1, 2, 3]);

-- error: takes arrays of the same size, not 3 and 2
SELECT array_distance(v, [1, 2]::DOUBLE[2]) FROM e;

-- error: takes two arrays \(such as DOUBLE\[3\]\)
SELECT array_distance([1, 2, 3], [1, 2, 4]);

-- error: the first array holds a NULL element
SELECT array_distance([1, NULL]::DOUBLE[2], [1, 1]::DOUBLE[2]);

-- error: takes arrays of 3 elements, not 2
SELECT array_cross_product([1, 2]::DOUBLE[2], [1, 2]::DOUBLE[2]);
