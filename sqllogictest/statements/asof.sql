-- ASOF joins: each left row with the right row of equal keys nearest in
-- time on the allowed side; DuckDB's ON form and Snowflake's MATCH_CONDITION.
CREATE TABLE trades AS SELECT * FROM (VALUES ('A', TIMESTAMP '2024-01-01 10:00:01', 10, 100), ('A', TIMESTAMP '2024-01-01 10:00:05', 11, 200), ('B', TIMESTAMP '2024-01-01 10:00:03', 12, 300), ('A', TIMESTAMP '2024-01-01 10:00:09', 13, 400), ('C', TIMESTAMP '2024-01-01 10:00:04', 14, 500), ('B', NULL, 15, 600), (NULL, TIMESTAMP '2024-01-01 10:00:04', 16, 700)) t(sym, ts, id, qty);

CREATE TABLE quotes AS SELECT * FROM (VALUES ('A', TIMESTAMP '2024-01-01 10:00:00', 1.5), ('A', TIMESTAMP '2024-01-01 10:00:05', 2.5), ('A', TIMESTAMP '2024-01-01 10:00:07', 3.5), ('B', TIMESTAMP '2024-01-01 10:00:04', 4.5), (NULL, TIMESTAMP '2024-01-01 10:00:01', 5.5), ('B', TIMESTAMP '2024-01-01 10:00:01', 6.5), ('B', NULL, 7.5)) q(sym, ts, px);

SELECT t.id, t.sym, t.ts, q.ts AS quote_ts, q.px FROM trades t ASOF JOIN quotes q ON t.sym = q.sym AND t.ts >= q.ts;

SELECT t.id, q.ts AS quote_ts, q.px FROM trades t ASOF JOIN quotes q ON t.sym = q.sym AND t.ts > q.ts;

SELECT t.id, q.ts AS quote_ts, q.px FROM trades t ASOF JOIN quotes q ON t.sym = q.sym AND t.ts <= q.ts;

SELECT t.id, q.ts AS quote_ts, q.px FROM trades t ASOF JOIN quotes q ON t.sym = q.sym AND t.ts < q.ts;

SELECT t.id, q.ts AS quote_ts, q.px FROM trades t ASOF LEFT JOIN quotes q ON t.sym = q.sym AND t.ts >= q.ts;

SELECT t.id, q.px FROM trades t ASOF LEFT JOIN quotes q ON q.ts <= t.ts AND q.sym = t.sym;

SELECT t.id, q.px FROM trades t ASOF JOIN (SELECT * FROM quotes WHERE px <> 5.5) q ON t.ts >= q.ts;

SELECT * FROM trades t ASOF JOIN quotes q ON t.sym = q.sym AND t.ts >= q.ts;

SELECT t.sym, CAST(sum(t.qty * q.px) AS DOUBLE) AS notional FROM trades t ASOF JOIN quotes q ON t.sym = q.sym AND t.ts >= q.ts GROUP BY t.sym;

SELECT t.id, q.px FROM trades t ASOF JOIN (SELECT * FROM quotes WHERE px > 2) q ON t.sym = q.sym AND t.ts >= q.ts WHERE t.qty > 100;

SELECT t.id, q.px FROM trades t ASOF LEFT JOIN quotes q ON t.sym = q.sym AND t.ts >= q.ts WHERE q.px > 2 AND t.id > 10;

SELECT a.x, b.y FROM (VALUES (1, 1), (1, 5), (2, 3)) a(k, x) ASOF JOIN (VALUES (1, 2, 20), (1, 4, 40), (2, 3, 30)) b(k, t, y) ON a.k = b.k AND a.x >= b.t;

SELECT a.x, b.y FROM (VALUES (1.5::DOUBLE), (3.0::DOUBLE)) a(x) ASOF JOIN (VALUES (1, 'one'), (2, 'two'), (3, 'three')) b(t, y) ON a.x >= b.t;

SELECT t.id, q.px FROM trades t ASOF JOIN quotes q ON t.sym = q.sym AND t.ts >= q.ts JOIN (VALUES ('A', 'Apple')) n(sym, name) ON n.sym = t.sym;

SELECT a.x, b.y FROM (VALUES (-2.0::DOUBLE), (-0.75::DOUBLE), (0.0::DOUBLE), (3.5::DOUBLE)) a(x) ASOF JOIN (VALUES (-1.5::DOUBLE, 'a'), (-0.5::DOUBLE, 'b'), (-0.0::DOUBLE, 'c'), (2.25::DOUBLE, 'd')) b(t, y) ON a.x >= b.t;

SELECT a.d, b.y FROM (VALUES (DATE '2024-03-01'), (DATE '2024-01-15')) a(d) ASOF LEFT JOIN (VALUES (DATE '2024-01-31', 'jan'), (DATE '2024-02-29', 'feb')) b(d, y) ON a.d <= b.d;

SELECT CAST(a.p AS VARCHAR), b.y FROM (VALUES (1.25), (2.50)) a(p) ASOF JOIN (VALUES (1.00, 'one'), (2.00, 'two')) b(p, y) ON a.p > b.p;

-- error: ASOF JOIN times of type VARCHAR
SELECT * FROM (VALUES ('a')) a(s) ASOF JOIN (VALUES ('b')) b(s) ON a.s >= b.s;

-- error: needs an inequality
SELECT * FROM trades t ASOF JOIN quotes q ON t.sym = q.sym;

-- error: takes one inequality
SELECT * FROM trades t ASOF JOIN quotes q ON t.ts >= q.ts AND t.id < q.px;

-- error: an ASOF JOIN condition is equalities between the two sides
SELECT * FROM trades t ASOF JOIN quotes q ON t.ts >= q.ts AND t.qty > 5;

SELECT * FROM trades t ASOF JOIN quotes q USING (sym, ts);

SELECT t.id, q.ts AS quote_ts, px FROM trades t ASOF LEFT JOIN quotes q USING (sym, ts);

SELECT sym, ts, q.ts AS quote_ts FROM trades t ASOF JOIN quotes q USING (sym, ts) WHERE id < 13;
