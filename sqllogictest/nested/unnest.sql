-- unnest in the select list: one row per element, several lists side by
-- side (the shorter padded with NULL), NULL and empty lists give no rows.
CREATE TABLE n AS SELECT * FROM (VALUES
  (1, [1, 2, 3], ['a']),
  (2, [4, NULL], NULL),
  (3, [], ['b', 'c']),
  (4, NULL, NULL)
) AS v(id, l, s);

SELECT id, unnest(l) FROM n;

SELECT id, unnest(l) AS x, unnest(s) AS y FROM n;

SELECT unnest([1, 2, 3]) + 1 AS v;

SELECT unnest(list(id)) FROM n;

SELECT sum(x), count(*) FROM (SELECT unnest(l) AS x FROM n);

SELECT DISTINCT unnest(l) AS v FROM n;

-- in order
SELECT id, unnest(l) AS v FROM n ORDER BY v DESC NULLS LAST, id;

SELECT id, unnest(l) AS v FROM n WHERE id > 1;

SELECT unnest(string_split('a b c', ' ')) AS word;

SELECT unnest([[1, 2], [3]])::VARCHAR;

SELECT count(*), sum(v) FROM (SELECT unnest(range(i)) AS v FROM range(100) AS t(i));

SELECT g, count(*) FROM (SELECT id % 2 AS g, unnest(l) AS v FROM n) GROUP BY g;

-- In FROM, unnest reads the lists of the items before it.
SELECT * FROM unnest([1, 2]);

SELECT * FROM unnest([1, 2]) AS u;

SELECT id, x FROM n, unnest(n.l) AS u(x);

SELECT id, u.x FROM n, unnest(l) AS u(x) WHERE u.x > 1;

SELECT n.id, unnest FROM n, unnest(n.s);

SELECT id, x, i FROM n, unnest(n.l) WITH ORDINALITY AS u(x, i);

SELECT count(*), sum(x) FROM range(10) AS r(k), unnest(range(k)) AS u(x);

-- error: can only be used in the select list
SELECT id FROM n WHERE unnest(l) > 1;

-- error: can only be used in the select list
SELECT sum(unnest(l)) FROM n;

-- error: unnest of an unnest is not supported
SELECT unnest(unnest([[1]]));

-- error: function unnest cannot be called with
SELECT unnest(1);

-- unnest after JOIN (inner or CROSS) reads the rows to its left, as after a comma.
SELECT n.id, u.x FROM n JOIN unnest(n.l) AS u(x) ON u.x IS NOT NULL;

SELECT n.id, u.x FROM n CROSS JOIN unnest(n.l) AS u(x);

SELECT count(*) FROM n JOIN unnest([1]) ON true;

-- LEFT JOIN unnest keeps a row whose list is empty or NULL, or has no
-- element the condition keeps, once with a NULL element.
SELECT n.id, u.x FROM n LEFT JOIN unnest(n.l) AS u(x) ON true ORDER BY n.id, u.x;

SELECT n.id, u.x FROM n LEFT JOIN unnest(n.l) AS u(x) ON u.x > 1 ORDER BY n.id, u.x;

SELECT n.id, x FROM n LEFT OUTER JOIN unnest(n.l) AS u(x) ON x = n.id ORDER BY n.id, x;

SELECT n.id, unnest FROM n LEFT JOIN unnest(n.l) ON true ORDER BY n.id, 2;

SELECT n.id, u.x, u.ordinality FROM n LEFT JOIN unnest(n.l) WITH ORDINALITY AS u(x, ordinality) ON true ORDER BY n.id, u.ordinality;

-- error: FULL JOIN with UNNEST is not supported
SELECT * FROM n FULL JOIN unnest(n.l) AS u(x) ON true;

-- error: function unnest cannot be called with
SELECT * FROM unnest(5);

-- unnest of a STRUCT: one column per field, the rows unchanged (a NULL
-- struct gives NULL fields); recursive := true also unnests every list
-- level and expands struct elements and nested structs; max_depth := n
-- unnests n levels.
SELECT unnest({'a': 1, 'b': 'x'}), 5;

SELECT id, unnest(s) FROM (VALUES (1, {'a': 1, 'b': 'x'}), (2, NULL)) AS t(id, s);

SELECT unnest({'a': 1, 'b': {'c': 2}});

-- error: a whole select item
SELECT unnest({'a': 1, 'b': {'c': 2}})::VARCHAR;

SELECT unnest({'a': 1, 'b': {'c': 2}}, recursive := true);

SELECT unnest([[1, 2], NULL, [3]], recursive := true) AS x;

SELECT unnest([[[1], [2, 3]], [[4]]], max_depth := 2)::VARCHAR;

SELECT unnest([{'a': 1, 'b': [1, 2]}, {'a': 2, 'b': NULL}], recursive := true);

-- error: unnest takes recursive
SELECT unnest([1, 2], depth := 2);
