-- read_* over a list of locations, with the filename and union_by_name
-- options (answers from DuckDB over the same files).
SELECT count(*), sum(fare) FROM read_parquet(['testdata/trips.parquet', 'testdata/trips.parquet']);

SELECT filename, count(*) FROM read_parquet('testdata/*.parquet', filename = true, union_by_name = true) GROUP BY filename;

SELECT count(*) FROM read_parquet(['testdata/trips.parquet', 'testdata/types.parquet'], union_by_name = true) WHERE trip_id IS NULL;

SELECT filename, count(*) FROM read_parquet(['testdata/trips.parquet', 'testdata/trips.parquet'], filename = true) WHERE vendor = 'Metro Taxi' GROUP BY filename;

SELECT count(*) FROM read_csv(['testdata/cities.csv', 'testdata/cities.csv'], header = true);

-- error: hold different columns
SELECT * FROM read_parquet(['testdata/trips.parquet', 'testdata/types.parquet']);

-- error: at least one location
SELECT * FROM read_parquet([]);
