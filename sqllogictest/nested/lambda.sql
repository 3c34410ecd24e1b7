-- Lambda functions (list_transform, list_filter, list_reduce and their
-- other names) and list comprehensions. Nested results are compared as
-- DuckDB's text (::VARCHAR).
CREATE TABLE lt AS SELECT * FROM (VALUES
  (1, [1, 2, 3], 10, ['a', 'bb']),
  (2, [4, NULL, 6], NULL, ['ccc']),
  (3, [], 30, []),
  (4, NULL, 40, NULL),
  (5, [7], 50, [NULL, 'e'])
) AS v(id, l, k, s);

-- Each element, with and without its position; NULL lists stay NULL.
SELECT id, list_transform(l, lambda x: x * 2)::VARCHAR, list_transform(l, lambda x, i: x + i)::VARCHAR, array_transform(s, lambda w: length(w))::VARCHAR FROM lt;

SELECT list_apply([1, 2], lambda x: x + 1)::VARCHAR, array_apply([1, 2], lambda x: x * x)::VARCHAR, apply(['a', 'b'], lambda x: upper(x))::VARCHAR, list_transform([]::INTEGER[], lambda x: x)::VARCHAR, list_transform(NULL::INTEGER[], lambda x: x)::VARCHAR;

-- The body may read the row's columns (captures), and shadows them by name.
SELECT id, list_transform(l, lambda x: x + k)::VARCHAR, list_filter(l, lambda x: x * 10 < k)::VARCHAR FROM lt;

SELECT id, list_transform(l, lambda id: id * 100)::VARCHAR, list_transform(l, lambda x: lt.id)::VARCHAR FROM lt;

-- Filters: NULL conditions drop the element; integers count as booleans.
SELECT id, list_filter(l, lambda x: x > 1)::VARCHAR, list_filter(l, lambda x, i: i % 2 = 1)::VARCHAR, array_filter(s, lambda w: w LIKE '%b%' OR w IS NULL)::VARCHAR FROM lt;

SELECT filter([1, 2, 3], lambda x: NULL)::VARCHAR, list_filter([1, 2, 3], lambda x: x)::VARCHAR, list_filter([0, 1, 2], lambda x: x)::VARCHAR;

-- Reductions, with an initial value, a position, NULLs and types widened.
SELECT id, list_reduce(l, lambda a, b: a + b, 0), list_reduce(l, lambda a, b, i: a + b * i, 100) FROM lt;

SELECT list_reduce([1, 2, 3], lambda a, b: a * 10 + b), reduce(['x', 'y', 'z'], lambda a, b: a || b), array_reduce([1, 2, 3], lambda a, b, i: a + b * i), list_reduce([1, NULL, 3], lambda a, b: a + b), list_reduce([5], lambda a, b: a + b);

SELECT list_reduce([1, 2], lambda a, b: a + b, 5.5), list_reduce([1, 2, 3], lambda a, b: a * 1.5 + b), list_reduce(['a', 'b'], lambda a, b: a || b, 'z'), list_reduce([]::INTEGER[], lambda a, b: a + b, 7);

-- Nested lambdas read the outer one's parameter.
SELECT list_transform([[1, 2], [3]], lambda xs: list_transform(xs, lambda y: y * 10))::VARCHAR, list_transform([1, 2], lambda x: list_filter([1, 2, 3], lambda y: y > x))::VARCHAR, list_transform([1, 2], lambda x: list_reduce([10, 20], lambda a, b: a + b + x))::VARCHAR;

-- Lambdas in WHERE, GROUP BY and ORDER BY, and over a join.
SELECT id FROM lt WHERE len(list_filter(l, lambda x: x > 3)) > 0;

SELECT len(list_filter(l, lambda x: x > 1)) AS n, count(*) FROM lt GROUP BY n;

SELECT a.id, list_transform(a.l, lambda x: x + b.k)::VARCHAR FROM lt a JOIN lt b ON a.id = b.id + 1 WHERE b.k IS NOT NULL;

-- List comprehensions.
SELECT [x * 2 FOR x IN [1, 2, 3]]::VARCHAR, [x FOR x IN [1, 2, 3] IF x <> 2]::VARCHAR, [upper(w) FOR w IN ['a', 'b'] IF w = 'b']::VARCHAR;

SELECT id, [x + k FOR x IN l IF x IS NOT NULL]::VARCHAR FROM lt;

-- error: needs a list
SELECT list_transform(1, lambda x: x);

-- error: takes a list and a lambda
SELECT list_transform([1, 2], 3);

-- error: not 3
SELECT list_transform([1], lambda x, i, j: 1);

-- error: not 1
SELECT list_reduce([1, 2], lambda a: a);

-- error: cannot hold an aggregate
SELECT list_transform([1, 2], lambda x: sum(x));

-- error: must give a BOOLEAN
SELECT list_filter([1, 2], lambda x: 'yes');

-- error: no common type
SELECT list_reduce([1, 2], lambda a, b: (a + b)::VARCHAR);

-- error: empty list without an initial value
SELECT list_reduce([]::INTEGER[], lambda a, b: a + b);

-- error: names its parameter x twice
SELECT list_transform([1], lambda x, x: x);

-- error: cannot hold a subquery
SELECT list_transform([1], lambda x: (SELECT 1));
