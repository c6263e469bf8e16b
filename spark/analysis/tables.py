"""One analysis output table and its two files, `<name>.csv` and `<name>.json`. Pure Python, no Spark.

The JSON file is what the report reads back (it keeps column types and NULLs); the CSV is for people
and spreadsheets. Both are written with a fixed row and column order and no run-dependent content,
so re-running a day gives byte-identical files. Writes are atomic (temporary file, then rename).
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Table:
    name: str
    day: date
    columns: tuple[tuple[str, str], ...]  # (column name, Spark SQL type such as "bigint")
    rows: tuple[dict[str, Any], ...]  # in the SQL's ORDER BY order

    @property
    def column_names(self) -> list[str]:
        return [name for name, _ in self.columns]

    def column(self, name: str) -> list[Any]:
        return [row[name] for row in self.rows]


def _plain(value: Any) -> Any:
    """A JSON-ready value: dates as ISO text, timestamps as the contract's UTC text."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, date):
        return value.isoformat()
    return value


def make_table(name: str, day: date, columns: list[tuple[str, str]], rows: list[dict[str, Any]]) -> Table:
    """A Table with plain values, whatever Spark returned (date, datetime)."""
    names = [column for column, _ in columns]
    plain_rows = tuple({column: _plain(row[column]) for column in names} for row in rows)
    return Table(name, day, tuple(columns), plain_rows)


def to_json_text(table: Table) -> str:
    document = {
        "table": table.name,
        "date": table.day.isoformat(),
        "columns": [{"name": name, "type": kind} for name, kind in table.columns],
        "rows": list(table.rows),
    }
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def from_json_text(text: str) -> Table:
    document = json.loads(text)
    columns = tuple((column["name"], column["type"]) for column in document["columns"])
    return Table(document["table"], date.fromisoformat(document["date"]), columns, tuple(document["rows"]))


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def to_csv_text(table: Table) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(table.column_names)
    for row in table.rows:
        writer.writerow([_csv_cell(row[name]) for name in table.column_names])
    return buffer.getvalue()


def write_atomically(path: Path, data: bytes) -> None:
    """Write a whole file or nothing: readers never see a half-written one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_table(table: Table, folder: Path) -> tuple[Path, Path]:
    """`<folder>/<name>.csv` and `<folder>/<name>.json`; returns both paths."""
    csv_path, json_path = folder / f"{table.name}.csv", folder / f"{table.name}.json"
    write_atomically(csv_path, to_csv_text(table).encode())
    write_atomically(json_path, to_json_text(table).encode())
    return csv_path, json_path


def read_table(folder: Path, name: str) -> Table:
    return from_json_text((folder / f"{name}.json").read_text(encoding="utf-8"))
