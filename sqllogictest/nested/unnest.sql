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

-- error: UNNEST in a JOIN is not supported
SELECT * FROM n JOIN unnest([1]) ON true;

-- error: function unnest cannot be called with
SELECT * FROM unnest(5);
