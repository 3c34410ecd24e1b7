-- Macros: scalar macros called like functions, table macros called in FROM.
CREATE MACRO add_default(a, b := 1) AS a + b;

SELECT add_default(2, 3) AS five, add_default(10) AS eleven, add_default(b := 5, a := 1) AS six;

CREATE MACRO twice(x) AS x * 2;

SELECT twice(1 + 2) AS precedence, twice(add_default(1, 1)) AS nested;

CREATE TABLE mt AS SELECT * FROM range(5) r(i);

SELECT i, twice(i) FROM mt WHERE twice(i) > 4;

SELECT twice(i) AS doubled, count(*) FROM mt GROUP BY twice(i);

SELECT sum(twice(i)) FROM mt;

CREATE MACRO upto(n) AS TABLE SELECT * FROM range(n) r(v);

SELECT sum(v) FROM upto(5);

SELECT u.v FROM upto(3) AS u;

SELECT count(*) FROM upto(4) a, upto(3) b WHERE a.v = b.v;

CREATE MACRO above(t) AS TABLE SELECT i FROM mt WHERE i > t;

SELECT * FROM above(2);

CREATE OR REPLACE MACRO twice(x) AS x * 3;

SELECT twice(2);

CREATE MACRO greet(name) AS 'hello ' || name;

SELECT greet('world');

-- error: takes 1 argument without defaults; "x" is missing
SELECT twice();

-- error: has no parameter "y"
SELECT twice(y := 1);

-- error: is a table macro; call it in FROM
SELECT upto(3);

-- error: is a scalar macro; call it like a function, not in FROM
SELECT * FROM twice(3);

-- error: a function of that name exists
CREATE MACRO upper(s) AS s;

-- error: already exists
CREATE MACRO twice(x) AS x;

-- error: calls itself
CREATE MACRO loop_forever(x) AS loop_forever(x) + 1;

CREATE MACRO ping(x) AS x;

CREATE MACRO pong(x) AS ping(x);

CREATE OR REPLACE MACRO ping(x) AS pong(x);

-- error: expands more than 64 calls deep
SELECT ping(1);

DROP MACRO twice;

DROP MACRO TABLE upto;

-- error: does not exist
SELECT twice(2);

-- error: macro "nothing" does not exist
DROP MACRO nothing;

-- error: DROP MACRO with argument types, CASCADE or RESTRICT
DROP MACRO add_default CASCADE;
