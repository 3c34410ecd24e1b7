-- range and generate_series in FROM: integers and timestamps, generated as
-- they are read.
-- in order
SELECT * FROM range(5) ORDER BY 1;

-- in order
SELECT * FROM range(1, 10, 3) ORDER BY 1;

-- in order
SELECT * FROM generate_series(5, 1, -2) ORDER BY 1;

-- in order
SELECT * FROM generate_series(3) ORDER BY 1;

SELECT count(*) FROM range(0);

SELECT count(*), sum(range), min(range), max(range) FROM range(1000000);

SELECT count(*), sum(generate_series) FROM generate_series(-5, 5);

SELECT count(*) FROM range(10, 0);

SELECT count(*) FROM generate_series(-9223372036854775807, 9223372036854775807, 9223372036854775807);

-- in order
SELECT i, j FROM range(3) AS t(i), range(2) AS u(j) ORDER BY i, j;

SELECT count(*) FROM (SELECT * FROM range(100) LIMIT 7);

-- in order
SELECT generate_series::VARCHAR FROM generate_series(TIMESTAMP '2024-01-31', TIMESTAMP '2024-05-31', INTERVAL 1 MONTH) ORDER BY 1;

-- in order
SELECT range::VARCHAR FROM range(DATE '2024-01-01', DATE '2024-01-03', INTERVAL '12 hours') ORDER BY 1;

-- in order
SELECT generate_series::VARCHAR FROM generate_series(TIMESTAMP '2024-03-01', TIMESTAMP '2024-01-01', -INTERVAL 1 MONTH) ORDER BY 1;

SELECT count(*) FROM range(TIMESTAMP '2024-01-01', TIMESTAMP '2024-01-01', INTERVAL 1 DAY);

SELECT count(*), min(range)::VARCHAR, max(range)::VARCHAR FROM range(TIMESTAMP '2024-01-01', TIMESTAMP '2025-01-01', INTERVAL 1 MINUTE);

-- error: cannot be 0
SELECT * FROM range(1, 5, 0);

-- error: cannot be an empty interval
SELECT * FROM generate_series(TIMESTAMP '2024-01-01', TIMESTAMP '2024-01-02', INTERVAL 0 DAY);

-- error: as integers, or
SELECT * FROM range('a');

-- error: must be constants, not random
SELECT * FROM range(random());

-- error: turns back on itself
SELECT * FROM range(TIMESTAMP '2024-01-01', TIMESTAMP '2024-01-02', INTERVAL '1 month -40 days');
