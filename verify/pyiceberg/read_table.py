"""Reads demo.sales_by_product with PyIceberg, a second engine beside Trino.

It opens the Iceberg JDBC catalog the Flink job writes (same MySQL database, same catalog name, so
the same row of iceberg_tables) as PyIceberg's SQL catalog, scans the table (the current snapshot,
or --snapshot-id), and prints one JSON object on stdout:

  {"ok": true, "snapshot_id": "...", "files": {...}, "manifests": [...], "rows": [...], "versions": {...}}
  {"ok": false, "stage": "load" | "files" | "scan", "error_type": ..., "error": ..., "snapshot_id": ...,
   "files": ..., "manifests": ..., "versions": {...}}

"files" counts the snapshot's live data, position-delete and equality-delete files, "manifests"
lists its manifests with their sequence numbers and live entries; both are there whenever the scan
was reached, so a refused scan still says what it refused.

Rows carry the columns of verify/rows.ts as strings (decimals in fixed point, timestamps with
microseconds), so the TypeScript side canonicalises them exactly as it does Trino's.
A reader failure is an answer, not a crash: the caller asserts on the message.

Settings come from the environment under the names the Flink job uses (components/flinkSql.ts
pipelineEnv), so secrets never reach a command line:
  ICEBERG_CATALOG_NAME, ICEBERG_JDBC_URL, ICEBERG_JDBC_USER, ICEBERG_JDBC_PASSWORD,
  S3_ENDPOINT, S3_REGION, S3_PATH_STYLE_ACCESS, and AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY if any.
"""

import argparse
import datetime
import decimal
import json
import os
import sys
from importlib.metadata import version
from urllib.parse import urlsplit

COLUMNS = ["product_id", "product_sku", "product_name", "total_qty", "total_revenue", "sale_count", "last_sale_ts"]


def versions() -> dict:
    return {p: version(p) for p in ("pyiceberg", "pyarrow", "sqlalchemy", "pymysql")}


def env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise SystemExit(f"read_table.py: {name} is not set")
    return value


def sqlalchemy_uri(jdbc_url: str, user: str, password: str) -> str:
    """The job's jdbc:mysql://host:port/db as a SQLAlchemy URL for PyMySQL."""
    from sqlalchemy.engine import URL

    if not jdbc_url.startswith("jdbc:mysql://"):
        raise SystemExit("read_table.py: ICEBERG_JDBC_URL is not a jdbc:mysql:// URL")
    parts = urlsplit(jdbc_url[len("jdbc:"):])
    database = parts.path.lstrip("/")
    if not database:
        raise SystemExit("read_table.py: ICEBERG_JDBC_URL names no database")
    # Connector/J's query options (SSL, time zone) have no PyMySQL equivalent by the same name; the
    # catalog tables hold only strings, so none of them changes what is read.
    url = URL.create("mysql+pymysql", username=user, password=password, host=parts.hostname, port=parts.port or 3306, database=database)
    return url.render_as_string(hide_password=False)


def catalog_properties() -> dict:
    path_style = env("S3_PATH_STYLE_ACCESS").lower() == "true"
    # Without static keys pyarrow's S3 client takes the AWS default chain, as the job's S3FileIO does.
    keys = {}
    if os.environ.get("AWS_ACCESS_KEY_ID"):
        keys = {"s3.access-key-id": env("AWS_ACCESS_KEY_ID"), "s3.secret-access-key": env("AWS_SECRET_ACCESS_KEY")}
    return {
        "uri": sqlalchemy_uri(env("ICEBERG_JDBC_URL"), env("ICEBERG_JDBC_USER"), env("ICEBERG_JDBC_PASSWORD")),
        # The writer owns the catalog tables: a reader must never create or migrate them.
        "init_catalog_tables": "false",
        # pyarrow's own S3 client, not fsspec: one less library between the files and the answer.
        "py-io-impl": "pyiceberg.io.pyarrow.PyArrowFileIO",
        "s3.endpoint": env("S3_ENDPOINT"),
        "s3.region": env("S3_REGION"),
        "s3.force-virtual-addressing": "false" if path_style else "true",
        **keys,
    }


def cell(v):
    if v is None:
        return None
    if isinstance(v, decimal.Decimal):
        return format(v, "f")
    if isinstance(v, datetime.datetime):
        return v.isoformat(sep=" ", timespec="microseconds")
    return str(v)


def live_files(table, snapshot) -> tuple[dict, list]:
    """Live files of the snapshot by content, and its manifests, read as this reader sees them.

    Sequence numbers say which deletes can still apply: an equality delete removes rows only from
    data files with a lower data sequence number, and a scan may skip a delete manifest older than
    every data file.
    """
    names = {0: "data", 1: "position_deletes", 2: "equality_deletes"}
    counts = {n: 0 for n in names.values()}
    manifests = []
    for manifest in snapshot.manifests(table.io):
        live = []
        for entry in manifest.fetch_manifest_entry(table.io, discard_deleted=True):
            kind = names[int(entry.data_file.content)]
            counts[kind] += 1
            live.append({"content": kind, "sequence_number": entry.sequence_number})
        manifests.append({
            "content": "deletes" if int(manifest.content) == 1 else "data",
            "sequence_number": manifest.sequence_number,
            "min_sequence_number": manifest.min_sequence_number,
            "live": live,
        })
    return counts, manifests


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", default="demo.sales_by_product")
    parser.add_argument("--snapshot-id", type=int, default=None)
    args = parser.parse_args()

    from pyiceberg.catalog.sql import SqlCatalog

    out: dict = {"versions": versions()}
    stage = "load"
    try:
        catalog = SqlCatalog(env("ICEBERG_CATALOG_NAME"), **catalog_properties())
        table = catalog.load_table(args.table)
        snapshot = table.snapshot_by_id(args.snapshot_id) if args.snapshot_id is not None else table.current_snapshot()
        if snapshot is None:
            raise LookupError(f"snapshot {args.snapshot_id} not found" if args.snapshot_id is not None else "the table has no snapshot")
        out["snapshot_id"] = str(snapshot.snapshot_id)
        stage = "files"
        out["files"], out["manifests"] = live_files(table, snapshot)
        stage = "scan"
        arrow = table.scan(selected_fields=tuple(COLUMNS), snapshot_id=snapshot.snapshot_id).to_arrow()
        rows = [{c: cell(r[c]) for c in COLUMNS} for r in arrow.sort_by("product_id").to_pylist()]
        out.update(ok=True, rows=rows)
    except Exception as e:  # noqa: BLE001 - every reader failure is reported, the caller decides
        out.update(ok=False, stage=stage, error_type=type(e).__name__, error=str(e))
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
