-- Binary operators rank as in DuckDB: ^ and ** tightest, then * / // %,
-- then + -, then ||, &, |, <<, >> together; all left-associative.
SELECT 2 + 3 ^ 2, 2 * 3 ^ 2, 8 / 2 ^ 2, 2 ^ 2 * 3, 10 - 2 ^ 2 - 1, 3 % 2 ^ 2, 2 ^ 3 ^ 2, -2 ^ 2;

SELECT 2 ** 3 ** 2, 2 * 3 ** 2, (2 * 3) ** 2, 2 ** (1 + 1);

SELECT 1 + 2 || 'a', 'a' || 1 + 2, 'x' || 2 * 3, 1 + 2 || 3 + 4, 2 * 3 || 'x';

SELECT 6 | 1 & 3, 1 | 2 << 1, 8 >> 1 & 3, 1 + 2 | 4, 2 << 1 + 1;

SELECT x, x * 2 ^ 2 + 1, (x + 1) ^ 2 FROM range(3) t(x) ORDER BY x;

-- A prefix ~ ranks with ||: it takes all that binds tighter.
SELECT ~1 + 1, ~1 * 2 + 3, ~1 || 2, 1 + ~1, ~1 * 2 || 3, ~ 5 & 3, ~(1 + 1) * 2;

-- Comparisons do not chain (DuckDB and PostgreSQL refuse a < b < c).
SELECT (1 = 1) = true, (1 < 2) = (2 < 3);

-- error: chained comparisons are not supported
SELECT 1 < 2 < 3;
