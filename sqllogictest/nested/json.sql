-- JSON as text: extraction by path (json_extract, ->; json_extract_string,
-- ->>), inspection and making JSON.
CREATE TABLE j AS SELECT * FROM (VALUES
  (1, '{"a": {"b": [1, 2, 3]}, "s": "x", "n": null, "f": 1.5}'),
  (2, '{"a": {"b": []}, "s": "y", "t": true}'),
  (3, '[10, 20, {"k": "v"}]'),
  (4, NULL)
) AS v(id, doc);

SELECT id, json_extract(doc, '$.a.b[1]'), json_extract(doc, '$.s'), json_extract_string(doc, '$.s'), json_extract(doc, '$.n'), json_extract_string(doc, '$.n'), json_extract(doc, '$.zz') FROM j;

SELECT id, doc -> '$.a', doc ->> '$.s', doc -> 's', doc -> 1, doc -> '$[#-1]' FROM j;

SELECT id, json_type(doc), json_type(doc, '$.f'), json_type(doc, '$.t'), json_array_length(doc), json_array_length(doc, '$.a.b') FROM j;

SELECT id, json_keys(doc)::VARCHAR, json_keys(doc, '$.a')::VARCHAR FROM j;

SELECT json_valid('{"a": 1}'), json_valid('{'), json_valid('[1, 2'), json_valid(NULL), json_valid('"s"');

SELECT json_type('1'), json_type('-1'), json_type('1.5'), json_type('"s"'), json_type('true'), json_type('null'), json_type('{}'), json_type('[]');

SELECT json_extract('{"a": 1}', 'a'), json_extract('[1, 2]', 0), json_extract_path('{"x": {"y": 5}}', '$.x.y'), json_extract_path_text('{"x": "w"}', '$.x');

SELECT json_object('a', 1, 'b', 'x', 'c', NULL), json_array(1, 'a', NULL, true, 2.5), json_object(), json_array();

SELECT to_json({'a': 1, 'b': [1, 2]}), to_json([1, NULL]), to_json('x'), to_json(1.5), to_json(NULL::INTEGER) IS NULL, to_json(MAP {'k': 1});

SELECT '{"a": 5}'::JSON -> '$.a', ('{"a": 5}'::JSON ->> 'a')::INTEGER + 1;

SELECT id, count(*) FROM j WHERE (doc ->> '$.s') = 'x' GROUP BY id;

SELECT (doc ->> '$.s') || '!' FROM j WHERE id = 1;

SELECT doc -> 'a' -> 'b' -> 0 FROM j WHERE id = 1;

-- error: malformed JSON at byte 1
SELECT json_extract('{bad', '$.a');

-- error: invalid JSON path
SELECT json_extract('{}', '$a');

-- error: json_object takes key, value pairs
SELECT json_object('a');

-- error: in parentheses: Quiver reads
SELECT doc ->> '$.s' || '!' FROM j;

-- error: in parentheses: Quiver reads
SELECT id FROM j WHERE doc ->> '$.s' = 'x';
