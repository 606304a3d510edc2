"""End to end: a curated table read by Apache Spark with no options (DESIGN.md §6).

PySpark in local mode (two threads, small memory, no UI) reads the table folder with
`spark.read.parquet` as a consumer would: no schema, no options. It needs a Java runtime
(scripts/bootstrap.sh installs one); without java the test is skipped, saying so.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sys

import pytest

from promotion_helpers import Home, parse_iso

RECORDS = [
    {"id": i, "amount": round(i * 1.75, 2), "when": f"2024-06-{1 + i % 28:02d}T08:30:00.25+02:00",
     "day": f"2024-07-{1 + i % 28:02d}",
     "user": {"name": f"u{i}", "address": {"city": ["Oslo", "Lyon"][i % 2]}},
     "tags": [f"t{j}" for j in range(i % 4)],
     "items": [{"sku": f"S{i}-{j}", "n": j} for j in range(i % 3)]}
    for i in range(1, 301)
]


@pytest.fixture(scope="module")
def spark(tmp_path_factory):
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("no Java runtime (java not on PATH, JAVA_HOME unset): Spark cannot start; "
                    "scripts/bootstrap.sh installs openjdk-17-jre-headless")
    from pyspark.sql import SparkSession  # in scripts/requirements.txt

    scratch = tmp_path_factory.mktemp("spark")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (SparkSession.builder.master("local[2]").appName("latebind-e2e")
               .config("spark.ui.enabled", "false")
               .config("spark.driver.memory", "512m")
               .config("spark.sql.shuffle.partitions", "2")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.local.dir", str(scratch))
               .config("spark.sql.warehouse.dir", str(scratch / "warehouse"))
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def test_spark_reads_a_curated_table_with_no_options(latebind, tmp_path, spark):
    """spark.read.parquet(<table folder>) with no options counts every row of a table made
    by two runs; struct members, list columns (also of structs), timestamps (UTC
    microseconds), dates and the ingest_date partition read back as promoted."""
    from pyspark.sql import functions as F

    home = Home(latebind, tmp_path / "home")
    first = "".join(json.dumps(r) + "\n" for r in RECORDS[:200])
    second = "".join(json.dumps(r) + "\n" for r in RECORDS[200:])
    key = home.ingest("sparky", "a.ndjson", first)["landed"]
    home.promote()
    home.ingest("sparky", "b.ndjson", second)
    home.promote()
    entry = home.tables()["sparky"]
    assert entry["files"] == 2 and entry["rows"] == len(RECORDS)

    df = spark.read.parquet(entry["path"])
    assert df.count() == len(RECORDS)
    fields = {f.name: f.dataType.simpleString() for f in df.schema.fields}
    assert fields["user"] == "struct<name:string,address:struct<city:string>>"
    assert fields["tags"] == "array<string>"
    assert fields["items"] == "array<struct<sku:string,n:bigint>>"
    assert fields["when"] == "timestamp" and fields["day"] == "date"
    assert fields["ingest_date"] == "date"

    rows = {r["id"]: r for r in df.select(
        "id", "amount", F.col("user.name").alias("name"), F.col("user.address.city").alias("city"),
        "tags", F.try_element_at("items", F.lit(2)).getField("sku").alias("sku1"), F.size("items").alias("n_items"),
        F.unix_micros("when").alias("when_us"), F.col("day").cast("string").alias("day"),
        F.col("ingest_date").cast("string").alias("ingest_date"), "_source_object",
        "_rescued_data").collect()}
    assert sorted(rows) == [r["id"] for r in RECORDS]
    for rec in RECORDS:
        row = rows[rec["id"]]
        assert row["amount"] == rec["amount"]
        assert (row["name"], row["city"]) == (rec["user"]["name"], rec["user"]["address"]["city"])
        assert list(row["tags"]) == rec["tags"]
        assert row["n_items"] == len(rec["items"])
        assert row["sku1"] == (rec["items"][1]["sku"] if len(rec["items"]) > 1 else None)
        when = parse_iso(rec["when"])
        assert row["when_us"] == (when - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)) // dt.timedelta(microseconds=1)
        assert row["day"] == rec["day"]
        assert row["_rescued_data"] is None
        assert row["ingest_date"] == row["_source_object"].split("/date=")[1][:10]
    assert rows[1]["_source_object"] == key


def test_spark_reads_a_table_whose_column_was_widened(latebind, tmp_path, spark):
    """DESIGN.md §6: readable by Spark with no options, also after an int64 → float64
    widening (an ACTIVE version), when the table holds files of both runs: qty reads as
    the widened type for every row."""
    home = Home(latebind, tmp_path / "home")
    home.ingest("wide", "a.ndjson", '{"id": 1, "qty": 2}\n{"id": 2, "qty": 3}\n')
    home.promote()
    assert home.ingest("wide", "b.ndjson", '{"id": 3, "qty": 2.5}\n')["schema_status"] == "ACTIVE"
    home.promote()
    entry = home.tables()["wide"]
    rows = spark.read.parquet(entry["path"]).select("id", "qty").collect()
    assert sorted((r["id"], r["qty"]) for r in rows) == [(1, 2.0), (2, 3.0), (3, 2.5)]
