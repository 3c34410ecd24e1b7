-- hex and bin of integers and of bytes, and their inverses unhex and unbin, and
-- numbers cast to BOOLEAN.
SELECT hex(-1), hex(255::SMALLINT), hex(0), hex('abc'), to_hex(16), hex(NULL::INTEGER);

SELECT bin(5), bin(0), bin(-1::TINYINT), bin('a'), to_binary(5);

SELECT unhex('616263')::VARCHAR, from_hex('41')::VARCHAR, unbin('01000001')::VARCHAR, hex(from_binary('0110')), hex(unhex('414'));

SELECT x, hex(x), bin(x) FROM range(-2, 3) t(x);

-- error: is not a base-16 digit
SELECT unhex('zz');

-- Decimals (any number) cast to BOOLEAN: true unless zero.
SELECT CAST(0.0 AS BOOLEAN), CAST(2.5 AS BOOLEAN), CAST(-0.1 AS BOOLEAN), CAST(1 AS BOOLEAN);

-- Dates and timestamps are finite.
SELECT isfinite(DATE '2024-01-01'), isinf(TIMESTAMP '2024-01-01 10:00:00'), isfinite(NULL::DATE), isfinite(1.5), isinf('-inf'::DOUBLE);
