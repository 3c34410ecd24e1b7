-- Lists, structs and maps: literals, access, functions. Nested results are
-- compared as DuckDB's text (::VARCHAR).
CREATE TABLE n AS SELECT * FROM (VALUES
  (1, [1, 2, 3], {'a': 1, 'b': 'x'}, 'p'),
  (2, [3, NULL], {'a': 2, 'b': NULL}, 'q'),
  (3, [], {'a': NULL, 'b': 'z'}, NULL),
  (4, NULL, NULL, 'r')
) AS v(id, l, s, t);

-- Literals.
SELECT [1, 2, 3]::VARCHAR, ARRAY[4, 5]::VARCHAR, list_value(1, 2.5)::VARCHAR, list_pack()::VARCHAR, [[1, 2], [3]]::VARCHAR, [1, 2.5]::VARCHAR, ['a', NULL]::VARCHAR;

SELECT {'a': 1, 'b': 'x'}::VARCHAR, struct_pack(k := 1, m := [2, 3])::VARCHAR, MAP {'k': 1, 'j': 2}::VARCHAR, map(['a'], [[1]])::VARCHAR, map()::VARCHAR;

-- Element access: 1-based, negative from the end, NULL outside.
SELECT [10, 20, 30][1], [10, 20, 30][-1], [10, 20, 30][0], [10, 20, 30][4], [10, 20, 30][NULL], 'hello'[2], 'hello'[-1];

SELECT [1, 2, 3][2:3]::VARCHAR, [1, 2, 3][:-1]::VARCHAR, [1, 2, 3][-2:]::VARCHAR, [1, 2, 3][0:2]::VARCHAR, [1, 2, 3][3:1]::VARCHAR, 'hello'[2:3], list_slice([1, 2, 3], NULL, 2)::VARCHAR, array_slice([1, 2, 3, 4], 2, 3)::VARCHAR;

SELECT id, l[1], l[-1], len(l), s.a, s.b, n.s.b, s['b'], struct_extract(s, 'a'), t FROM n;

SELECT MAP {'k': 1}['k'], MAP {'k': 1}['z'], element_at(MAP {'k': 1}, 'k'), map_extract(MAP {'k': 1}, 'k')::VARCHAR, map_extract(MAP {'k': 1}, 'z')::VARCHAR, cardinality(MAP {'a': 1, 'b': 2}), map_keys(MAP {'a': 1, 'b': 2})::VARCHAR, map_values(MAP {'a': 1, 'b': 2})::VARCHAR, map_entries(MAP {'a': 1})::VARCHAR;

SELECT list_extract([1, 2], 2), list_element([1, 2], 1), array_extract(['x', 'y'], 2), array_length([1, 2, 3]), length([]::INTEGER[]), len(NULL::INTEGER[]);

SELECT MAP {}['x'], map_extract(MAP {}, 'x')::VARCHAR, [1, 2][9223372036854775807], [1, 2][-9223372036854775808], [1, 2, 3][-9223372036854775808:9223372036854775807]::VARCHAR, 'abc'[5];

-- Search.
SELECT list_contains([1, 2], 2), list_contains([1, NULL], 3), list_contains([1, NULL], NULL), list_contains(NULL::INTEGER[], 1), list_has([1], 1), array_contains(['a'], 'b'), array_has([1.5], 1.5);

SELECT list_position([5, 6, 7], 7), list_position([1, 2], 3), list_position([1, NULL], NULL), list_indexof(['a', 'b'], 'b'), array_position([1, 2], 1), array_indexof([1], 9);

SELECT list_has_any([1, 2], [2, 5]), list_has_any([1], [NULL]), list_has_all([1, 2, 3], [3, 1]), list_has_all([1], [1, 2]), array_has_any([1], []), array_has_all([1], []);

SELECT id, list_contains(l, 3), list_position(l, 3) FROM n;

-- Reshaping.
SELECT list_sort([3, NULL, 1])::VARCHAR, list_sort([3, NULL, 1], 'DESC')::VARCHAR, list_sort([3, NULL, 1], 'ASC', 'NULLS FIRST')::VARCHAR, array_sort(['b', 'a'])::VARCHAR, list_reverse_sort([3, 1, 2])::VARCHAR, array_reverse_sort([1, 2])::VARCHAR;

SELECT list_reverse([1, NULL, 2])::VARCHAR, array_reverse([]::INTEGER[])::VARCHAR, list_sort(list_distinct([2, 1, 2, NULL]))::VARCHAR, array_distinct(['a', 'a'])::VARCHAR, list_sort(list_distinct([3, 3, 1]))::VARCHAR;

SELECT id, list_sort(l, 'DESC')::VARCHAR, list_reverse(l)::VARCHAR FROM n;

SELECT list_concat([1], [2, 3])::VARCHAR, list_concat([1], NULL)::VARCHAR, list_cat(['a'], ['b'])::VARCHAR, array_concat([1], [2])::VARCHAR, array_cat([1.5], [2])::VARCHAR, ([1, 2] || [3])::VARCHAR;

SELECT flatten([[1], NULL, [2, NULL]])::VARCHAR, flatten([[[1]], [[2]]])::VARCHAR, array_to_string([1, NULL, 2], '-'), array_to_string(['a', 'b'], ''), array_to_string([true], ',');

-- array_join is PostgreSQL's name (DuckDB has none).
-- error: function array_to_string cannot be called with
SELECT array_join(1, ', ');

-- Series.
SELECT range(3)::VARCHAR, range(1, 4)::VARCHAR, range(1, 10, 3)::VARCHAR, range(5, 1, -2)::VARCHAR, range(0)::VARCHAR, generate_series(3)::VARCHAR, generate_series(1, 3)::VARCHAR, generate_series(5, 1, -2)::VARCHAR;

-- Aggregates over lists.
SELECT list_aggregate([1, 5, 3], 'max'), list_aggr([1, 2], 'sum'), aggregate(['a', 'b'], 'string_agg'), array_aggregate([1, 2, 3], 'avg'), array_aggr([1, 1, 2], 'count');

SELECT list_sum([1, 2, 3]), list_min([3, 1, 2]), list_max(['a', 'c', 'b']), list_avg([1, 2, 3, 4]), list_count([1, NULL, 3]), list_product([2, 3, 4]), list_first([7, 8]), list_last([7, 8]), list_any_value([NULL, 8]);

SELECT list_median([1, 2, 3, 10]), list_mode([1, 2, 2]), list_stddev_samp([1, 2, 3]), list_stddev_pop([1, 3]), list_var_samp([1, 2, 3]), list_var_pop([1, 3]), list_bool_and([true, false]), list_bool_or([true, false]);

SELECT list_bit_and([3, 5]), list_bit_or([3, 5]), list_bit_xor([3, 5]), list_string_agg(['a', 'b']), list_entropy([1, 2]), list_skewness([1, 2, 3]), list_kurtosis([1, 2, 3, 4]), list_approx_count_distinct([1, 1, 2]);

SELECT list_sum([]::INTEGER[]), list_count([]::INTEGER[]), list_sum(NULL::INTEGER[]), list_max(NULL::INTEGER[]);

SELECT id, list_sum(l), list_count(l), list_avg(l) FROM n;

-- Nested values in tables: grouping, ordering, filtering.
SELECT t, l::VARCHAR FROM n WHERE list_contains(l, 3);

SELECT s.b, count(*) FROM n GROUP BY s.b;

SELECT len(l) AS k, count(*) FROM n GROUP BY len(l);

SELECT [1, 2] = [1, 2], [1, 2] < [1, 3], [1] < [1, 0], [1, NULL] = [1, NULL], {'a': 1} = {'a': 2}, [1] IS DISTINCT FROM NULL, NULL::INTEGER[] IS NOT DISTINCT FROM NULL::INTEGER[];

SELECT l::VARCHAR, count(*) FROM (VALUES ([1, 2]), ([1, 2]), ([3]), (NULL)) AS v(l) GROUP BY l;

-- in order
SELECT l::VARCHAR FROM (VALUES ([2]), ([1, 5]), ([1]), ([10])) AS v(l) ORDER BY l;

SELECT DISTINCT s::VARCHAR FROM (VALUES ({'a': 1}), ({'a': 1}), ({'a': 2})) AS v(s);

-- Types.
SELECT CAST([1, 2] AS DOUBLE[])::VARCHAR, CAST([1] AS VARCHAR[])::VARCHAR, CAST(NULL AS INTEGER[]) IS NULL, CAST(NULL AS MAP(VARCHAR, INTEGER)) IS NULL;

CREATE TABLE typed (l INTEGER[], s STRUCT(a INTEGER, b STRUCT(c VARCHAR)), m MAP(VARCHAR, INTEGER));

INSERT INTO typed VALUES ([1, 2], {'a': 1, 'b': {'c': 'x'}}, MAP {'k': 5}), (NULL, NULL, NULL);

SELECT l::VARCHAR, s::VARCHAR, s.b.c, m::VARCHAR, m['k'], typeof(l), typeof(s), typeof(m) FROM typed;

SELECT CAST({'a': 1} AS STRUCT(a VARCHAR))::VARCHAR, CAST({'a': 1, 'b': 2.5} AS STRUCT(a DOUBLE, b DECIMAL(4, 2)))::VARCHAR;

-- error: the struct has no field "zz"; its fields are a, b
SELECT s.zz FROM n;

-- error: it is BIGINT, not a STRUCT
SELECT id.x FROM n;

-- error: a list cannot mix BIGINT and VARCHAR
SELECT [1, 'a'];

-- error: needs as many keys as values
SELECT map([1, 2], [3]);

-- error: map keys cannot be NULL
SELECT map([NULL, 1], [2, 3]);

-- error: list_aggregate: unknown aggregate function 'nosuch'
SELECT list_aggregate([1], 'nosuch');

-- error: the step of range cannot be 0
SELECT range(1, 5, 0);

-- error: invalid sort order 'UP' for list_sort
SELECT list_sort([1], 'UP');

-- error: struct field "A" is given twice
SELECT {'a': 1, 'A': 2};

-- error: function list_contains cannot be called with
SELECT list_contains(1, 1);

-- error: slices with a step
SELECT [1, 2, 3][1:2:1];

-- error: as a list would hold more than 134217728 elements
SELECT range(-9223372036854775807, 9223372036854775807);
