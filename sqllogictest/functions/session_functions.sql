-- glob() lists files; current_setting() reads a setting; FILTER without WHERE.
SELECT * FROM glob('testdata/*.csv');

SELECT count(*) FROM glob('testdata/nothing-*.csv');

SELECT file FROM glob('testdata/*') WHERE file LIKE '%.parquet';

SELECT version() LIKE 'v%', current_setting('threads') > 0, typeof(current_setting('threads')), current_setting('TimeZone') IS NOT NULL;

SELECT count(*) FILTER (x > 1), sum(x) FILTER (x % 2 = 0), count(*) FILTER (WHERE x < 2) FROM range(5) t(x);

-- typeof of an aggregate keeps the query an aggregate (one row).
SELECT typeof(max(x)), count(*) FROM range(3) t(x);

SELECT typeof(x), count(*) FROM range(3) t(x) GROUP BY typeof(x);
