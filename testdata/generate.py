"""Writes the small sample data sets in this directory.

Run from the repository root: python3 testdata/generate.py
Needs pyarrow (pip install pyarrow). Output is deterministic.
"""
import csv
import datetime
import decimal
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).parent

CITIES = [
    # name, country, population (None = unknown), area_km2, founded, is_capital
    ("Tokyo", "Japan", 13960000, 2194.07, "1457-01-01", True),
    ("Osaka", "Japan", 2750000, 225.21, "0645-01-01", False),
    ("Delhi", "India", 16787941, 1484.0, "1639-05-12", False),
    ("Mumbai", "India", 12442373, 603.4, "1507-01-01", False),
    ("Shanghai", "China", 24870895, 6340.5, "0751-01-01", False),
    ("Beijing", "China", 21893095, 16410.54, "1045-01-01", True),
    ("São Paulo", "Brazil", 12325232, 1521.11, "1554-01-25", False),
    ("Brasília", "Brazil", 3094325, 5802.0, "1960-04-21", True),
    ("Mexico City", "Mexico", 9209944, 1485.0, "1325-06-20", True),
    ("Cairo", "Egypt", 10100166, 3085.12, "0969-07-06", True),
    ("New York, NY", "United States", 8804190, 783.8, "1624-01-01", False),
    ("Washington, D.C.", "United States", 689545, 177.0, "1790-07-16", True),
    ("Los Angeles", "United States", 3898747, 1302.0, "1781-09-04", False),
    ("Paris", "France", 2102650, 105.4, "0052-01-01", True),
    ("Lyon", "France", 522250, 47.87, None, False),
    ("Berlin", "Germany", 3677472, 891.7, "1237-01-01", True),
    ("Hamburg", "Germany", 1906411, 755.2, "0808-01-01", False),
    ("Munich", "Germany", None, 310.7, "1158-06-14", False),
    ('The "Big Smoke" (London)', "United Kingdom", 8866180, 1572.0, "0047-01-01", True),
    ("Manchester", "United Kingdom", 552858, 115.6, None, False),
    ("Lagos", "Nigeria", 15388000, 1171.28, "1472-01-01", False),
    ("Abuja", "Nigeria", 1235880, 1769.0, "1991-12-12", True),
    ("Sydney", "Australia", 5297089, 12367.7, "1788-01-26", False),
    ("Canberra", "Australia", 431380, 814.2, "1913-03-12", True),
    ("Reykjavík", "Iceland", 139875, 273.0, "0874-01-01", True),
]


def write_cities():
    with open(HERE / "cities.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, quoting=csv.QUOTE_MINIMAL)
        w.writerow(["city", "country", "population", "area_km2", "founded", "is_capital"])
        for name, country, pop, area, founded, capital in CITIES:
            w.writerow([name, country, "" if pop is None else pop, area, founded or "", str(capital).lower()])


def write_trips(rows=20000):
    rng = random.Random(42)
    start = datetime.datetime(2024, 1, 1)
    payment = ["card", "cash", "card", "card", "app", None]
    vendors = ["Yellow Cab", "Green Line", "Metro Taxi"]
    ids, pickup, passengers, distance, fare, pay, vendor = [], [], [], [], [], [], []
    for i in range(rows):
        ids.append(i + 1)
        pickup.append(start + datetime.timedelta(minutes=rng.randint(0, 60 * 24 * 90)))
        passengers.append(None if rng.random() < 0.03 else rng.choice([1, 1, 1, 2, 2, 3, 4, 5]))
        d = round(rng.expovariate(1 / 4.5), 2)
        distance.append(d)
        fare.append(decimal.Decimal("3.50") + (decimal.Decimal(str(d)) * decimal.Decimal("2.10")).quantize(decimal.Decimal("0.01")))
        pay.append(rng.choice(payment))
        vendor.append(rng.choice(vendors))
    table = pa.table(
        {
            "trip_id": pa.array(ids, pa.int64()),
            "pickup_at": pa.array(pickup, pa.timestamp("us")),
            "passenger_count": pa.array(passengers, pa.int32()),
            "distance_km": pa.array(distance, pa.float64()),
            "fare": pa.array(fare, pa.decimal128(10, 2)),
            "payment_type": pa.array(pay, pa.string()),
            "vendor": pa.array(vendor, pa.string()),
        }
    )
    pq.write_table(table, HERE / "trips.parquet", row_group_size=5000, compression="snappy")


def write_types():
    """One column per Arrow type Quiver reads from Parquet, with NULLs."""
    table = pa.table(
        {
            "i8": pa.array([1, -2, None, 127], pa.int8()),
            "i16": pa.array([300, None, -300, 5], pa.int16()),
            "u8": pa.array([255, 0, None, 7], pa.uint8()),
            "u32": pa.array([4000000000, 1, 2, None], pa.uint32()),
            "u64": pa.array([18000000000000000000, 3, None, 4], pa.uint64()),
            "f32": pa.array([1.5, None, -0.25, 8.0], pa.float32()),
            "dec": pa.array([decimal.Decimal("1.005"), decimal.Decimal("-2.500"), None, decimal.Decimal("0.001")], pa.decimal128(9, 3)),
            "big_text": pa.array(["alpha", None, "Gamma", "beta"], pa.large_string()),
            "view_text": pa.array(["x", "a somewhat longer string value", None, "x"], pa.string_view()),
            "flag": pa.array([True, False, None, True], pa.bool_()),
            "day": pa.array([datetime.date(2024, 2, 29), None, datetime.date(1999, 12, 31), datetime.date(2000, 1, 1)], pa.date32()),
            "ts_ms": pa.array([datetime.datetime(2024, 1, 1, 12, 30), None, datetime.datetime(2023, 6, 1), datetime.datetime(2024, 1, 1)], pa.timestamp("ms")),
        }
    )
    pq.write_table(table, HERE / "types.parquet")


if __name__ == "__main__":
    write_cities()
    write_trips()
    write_types()
