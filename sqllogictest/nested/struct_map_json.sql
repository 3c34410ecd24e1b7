-- struct_insert, map_from_entries, json_group_array and json_group_object.
-- Nested results are compared as DuckDB's text (::VARCHAR).
CREATE TABLE sm AS SELECT * FROM (VALUES
  (1, {'a': 1, 'b': 'x'}, 'k1', 10),
  (1, NULL, 'k2', NULL),
  (2, {'a': 3, 'b': NULL}, 'k3', 30)
) AS v(g, s, k, x);

SELECT g, struct_insert(s, c := x, d := [k])::VARCHAR, struct_insert(s, e := 1).a FROM sm;

SELECT struct_insert({'a': 1}, b := 2, c := [1])::VARCHAR, struct_insert(NULL::STRUCT(a INTEGER), b := 2)::VARCHAR;

SELECT map_from_entries([{'k': 'a', 'v': 1}, {'k': 'b', 'v': NULL}])::VARCHAR, map_from_entries(NULL::STRUCT(k VARCHAR, v INTEGER)[])::VARCHAR, map_from_entries([{'x': 1, 'y': [2]}])[1]::VARCHAR;

SELECT g, map_from_entries(list({'key': k, 'value': x}))::VARCHAR FROM sm GROUP BY g;

SELECT json_group_array(x), json_group_object(k, x), json_group_array(k) FROM sm;

SELECT g, json_group_array(x), json_group_object(k, s) FROM sm GROUP BY g;

SELECT json_group_array(x) FROM range(0) t(x);

SELECT json_group_array([1, 2]), json_group_array({'a': 1}), json_group_array(1.5), json_group_array(true), json_group_object(1, 'x');

-- error: given twice
SELECT struct_insert({'a': 1}, a := 2);

-- error: takes a struct first
SELECT struct_insert(1, a := 2);

-- error: cannot be NULL
SELECT map_from_entries([{'k': NULL, 'v': 1}]);

-- error: two-field structs
SELECT map_from_entries([1, 2]);
