"""Differential check: runs each query on Quiver (the release `quiver` binary)
and on DuckDB over the sample files, and compares the answers.

    pip install duckdb
    cargo build --release -p quiver-cli
    python3 sqllogictest/duckdb_differential.py

Values are compared after rounding numbers to 6 decimal places; timestamps
are compared in SQL form.
"""
import csv
import io
import math
import subprocess
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
Q = str(ROOT / "target" / "release" / "quiver")
queries = [
 "SELECT vendor, payment_type, count(*), sum(fare), min(distance_km), max(pickup_at) FROM 'testdata/trips.parquet' GROUP BY vendor, payment_type ORDER BY 1, 2 NULLS LAST",
 "SELECT passenger_count, count(DISTINCT vendor), avg(fare) FROM 'testdata/trips.parquet' GROUP BY passenger_count ORDER BY 1 NULLS FIRST",
 "SELECT trip_id, fare, distance_km FROM 'testdata/trips.parquet' WHERE fare BETWEEN 20 AND 20.5 ORDER BY trip_id LIMIT 10 OFFSET 3",
 "SELECT count(*) FROM 'testdata/trips.parquet' WHERE payment_type IS NULL AND passenger_count IN (1, 3, 5)",
 "SELECT upper(vendor) AS v, round(sum(distance_km), 3) FROM 'testdata/trips.parquet' WHERE vendor LIKE '%Cab' OR vendor ILIKE 'green%' GROUP BY v ORDER BY v",
 "SELECT EXTRACT(day FROM pickup_at) AS d, count(*) AS n FROM 'testdata/trips.parquet' GROUP BY d HAVING count(*) > 230 ORDER BY n DESC, d LIMIT 5",
 "SELECT CASE WHEN distance_km < 2 THEN 'short' WHEN distance_km < 10 THEN 'medium' ELSE 'long' END AS k, count(*), sum(fare) FROM 'testdata/trips.parquet' GROUP BY 1 ORDER BY 1",
 "SELECT DISTINCT vendor, payment_type FROM 'testdata/trips.parquet' ORDER BY vendor, payment_type NULLS FIRST",
 "SELECT trip_id FROM 'testdata/trips.parquet' ORDER BY distance_km DESC, trip_id LIMIT 7",
 "SELECT coalesce(payment_type, 'unknown') AS p, count(*) FROM 'testdata/trips.parquet' GROUP BY 1 ORDER BY 2 DESC",
 "SELECT sum(fare * 2 - 1), sum(passenger_count * 3), min(fare / 2) FROM 'testdata/trips.parquet'",
 "SELECT country, max(population) - min(population) AS spread FROM 'testdata/cities.csv' GROUP BY country HAVING count(population) > 1 ORDER BY spread DESC",
 "SELECT city FROM 'testdata/cities.csv' WHERE founded BETWEEN DATE '1000-01-01' AND DATE '1600-01-01' ORDER BY founded DESC",
 "SELECT length(city), trim(city), lower(country) FROM 'testdata/cities.csv' WHERE is_capital AND area_km2 > 1000 ORDER BY city",
 "SELECT count(*), count(founded), count(DISTINCT country) FROM 'testdata/cities.csv'",
 "SELECT t.c, t.n FROM (SELECT country AS c, count(*) AS n FROM 'testdata/cities.csv' GROUP BY country) AS t WHERE t.n >= 2 ORDER BY t.n DESC, t.c",
 "WITH big AS (SELECT * FROM 'testdata/cities.csv' WHERE population > 5000000) SELECT country, count(*) FROM big GROUP BY country ORDER BY 2 DESC, 1",
 "SELECT passenger_count * 1000000000000, fare * fare * fare FROM 'testdata/trips.parquet' ORDER BY trip_id LIMIT 3",
 "SELECT -fare, abs(-fare), fare % 3 FROM 'testdata/trips.parquet' ORDER BY trip_id LIMIT 3",
 "SELECT pickup_at + INTERVAL '1 day', CAST(pickup_at AS DATE) FROM 'testdata/trips.parquet' ORDER BY trip_id LIMIT 2",
 "SELECT min(vendor), max(payment_type), min(pickup_at) FROM 'testdata/trips.parquet' WHERE trip_id > 19990",
 "SELECT count(*) FROM 'testdata/trips.parquet' WHERE NOT (fare > 10 OR payment_type = 'cash')",
 "SELECT sum(distance_km) / count(*), avg(distance_km) FROM 'testdata/trips.parquet'",
]
def norm(v):
    if v is None or v == "": return None
    try:
        f = float(v)
        return round(f, 6) if math.isfinite(f) else v
    except (TypeError, ValueError):
        s = str(v)
        return s.replace("T", " ") if len(s) >= 19 and s[4] == "-" and s[10] in "T " else s
bad = 0
for q in queries:
    r = subprocess.run([Q, "--format", "csv", "-c", q], capture_output=True, text=True, cwd=ROOT)
    if r.returncode != 0:
        print("QUIVER ERROR:", q, "\n  ", r.stderr.strip()); bad += 1; continue
    ours = [[norm(v) for v in row] for row in list(csv.reader(io.StringIO(r.stdout)))[1:]]
    con = duckdb.connect()
    theirs = [[norm(v) for v in row] for row in con.execute(q.replace("'testdata/", f"'{ROOT}/testdata/")).fetchall()]
    if ours != theirs:
        bad += 1
        print("MISMATCH:", q)
        for a, b in list(zip(ours, theirs))[:4]:
            if a != b: print("   quiver:", a, "\n   duckdb:", b)
        if len(ours) != len(theirs): print("   rows", len(ours), "vs", len(theirs))
print(f"{len(queries) - bad} agree, {bad} differ")
raise SystemExit(1 if bad else 0)
