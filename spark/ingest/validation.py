"""The event contract in Spark: which raw records are valid, and every problem of those that are not.

    gated   = gate_records(messages)     # + typed contract fields, `is_clean` (valid, decided in the JVM)
    checked = check_records(messages)    # + problems, reason: contract.validate's, record by record

Two routes, one answer. Nearly every record is what our producers write: compact JSON with the
contract's keys in the contract's order. For those, `gate_records` decides validity with Spark column
expressions alone (code-generated, no Python):
- the record re-serialises byte for byte from its parsed fields (`to_json` of the type's fields). That
  proves what `from_json` alone cannot: every string field held a JSON string (from_json turns a number or
  an object in a string field into its text), integers were integers, there was no unknown, repeated or
  null-vs-absent key and nothing around the object, and the bytes were valid UTF-8;
- every value passes the contract's rules (game_events.contract: required, enum, pattern, length,
  range), written to be as strict as Python's or stricter where Java and Python differ: patterns end in
  `\\z` (Java's `$` also matches before a final \\u2028), timestamps must be in the canonical form
  `format_ts` writes and re-format to the same text (so no Feb 30, hour 24 or year 0).
A clean record is therefore valid by contract.validate too. Every other record, valid or not, goes to
Python (`exact_records`: mapInArrow over those rows only), where serde.decode_event and
contract.validate themselves list its problems, so reason codes are exactly the contract's. The slow
route costs nothing when records are clean; a day of bad or hand-formatted records pays per record.

Run with spark.sql.optimizer.enableJsonExpressionOptimization=false (filtered_writes sets it): that
rule would rewrite every `parsed.field` reference into its own from_json call.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from game_events.contract import ALL_FIELDS, COMMON_FIELDS, EVENT_TYPES, TYPE_FIELDS, Field, Kind
from game_events.lake import SPARK_TYPES
from game_events.record_checks import COORDINATES, check_raw_batches
from game_events.record_checks import SPARK_DDL as RECORD_CHECKS_DDL

CORRUPT = "_corrupt_record"
# Timestamps stay text here; the gate checks their form, then they are parsed.
PARSE_SCHEMA = T.StructType(
    [T.StructField(f.name, T.LongType() if f.kind is Kind.INTEGER else T.StringType()) for f in ALL_FIELDS]
    + [T.StructField(CORRUPT, T.StringType())])
# Strict JSON like orjson: no 'single quotes', no NaN.
JSON_OPTIONS = {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT,
                "allowSingleQuotes": "false", "allowNonNumericNumbers": "false"}
# contract.format_ts's form (microseconds, 'Z'), year 0001 or later, ASCII digits only.
_CANONICAL_TS = r"^(?!0000)[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z\z"
_CANONICAL_TS_FORMAT = "yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'"
# What check_records adds, whichever route a record took.
CHECKED_DDL = ", ".join(
    ["topic string", "kafka_partition int", "kafka_offset bigint", "kafka_timestamp timestamp", "raw_value binary",
     "reason string", "problems array<string>"]
    + [f"{f.name} {SPARK_TYPES[f.kind]}" for f in ALL_FIELDS] + ["event_date date"])
# What filtered_writes stages after the gate (raw_value kept for the exact route's rows only).
GATED_COLUMNS = (*COORDINATES, "raw_value", *(f.name for f in ALL_FIELDS), "event_date")
GATED_DDL = ", ".join(
    ["topic string", "kafka_partition int", "kafka_offset bigint", "kafka_timestamp timestamp", "raw_value binary"]
    + [f"{f.name} {SPARK_TYPES[f.kind]}" for f in ALL_FIELDS] + ["event_date date"])


def _java_pattern(pattern: str) -> str:
    """The contract's anchored Python pattern for Java: `$` becomes `\\z` (end of input, nothing after)."""
    if not (pattern.startswith("^") and pattern.endswith("$")):
        raise ValueError(f"contract patterns are anchored ^...$; got {pattern!r}")
    return pattern[:-1] + r"\z"


def _sql_text(text: str) -> str:
    """A Spark SQL string literal holding exactly `text` (the parser unescapes backslash and quote)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _value_is_clean(f: Field) -> str:
    """SQL: a present value of field f passes every rule of the contract (stricter where Java differs)."""
    value = f"parsed.`{f.name}`"
    if f.kind is Kind.INTEGER:
        checks = [f"{value} IS NOT NULL"]
        if f.minimum is not None:
            checks.append(f"{value} >= {f.minimum}")
        if f.maximum is not None:
            checks.append(f"{value} <= {f.maximum}")
    elif f.kind is Kind.TIMESTAMP:
        parsed = f"try_to_timestamp({value})"
        checks = [f"{value} RLIKE {_sql_text(_CANONICAL_TS)}", f"{parsed} IS NOT NULL",
                  f"date_format({parsed}, {_sql_text(_CANONICAL_TS_FORMAT)}) = {value}"]
    else:
        checks = [f"{value} != ''"] if f.required else ["true"]
        if f.max_length is not None:
            checks.append(f"length({value}) <= {f.max_length}")
        if f.enum is not None:
            checks.append(f"{value} IN ({', '.join(_sql_text(option) for option in f.enum)})")
        if f.pattern is not None:
            checks.append(f"{value} RLIKE {_sql_text(_java_pattern(f.pattern))}")
    clean = f"coalesce({' AND '.join(checks)}, false)"
    # Optional fields may be null; required ones may not.
    return clean if f.required else f"({value} IS NULL OR {clean})"


def _is_canonical(event_type: str) -> str:
    """SQL: the raw bytes equal to_json of the type's fields, in the contract's order, nulls written."""
    fields = ", ".join(f"{_sql_text(f.name)}, parsed.`{f.name}`" for f in COMMON_FIELDS + TYPE_FIELDS[event_type])
    return f"encode(to_json(named_struct({fields}), map('ignoreNullFields', 'false')), 'UTF-8') = raw_value"


def _is_clean() -> str:
    """SQL: valid by the contract, decided in the JVM for canonical records; False means 'ask Python'.
    The common fields' rules are stated once, not once per type."""
    common = [_value_is_clean(f) for f in COMMON_FIELDS if f.name != "event_type"]
    per_type = " ".join(
        f"WHEN {_sql_text(event_type)} THEN {_is_canonical(event_type)} AND "
        + " AND ".join(_value_is_clean(f) for f in TYPE_FIELDS[event_type])
        for event_type in EVENT_TYPES)
    rules = " AND ".join([f"parsed.`{CORRUPT}` IS NULL", *common, f"(CASE parsed.event_type {per_type} ELSE false END)"])
    return f"coalesce({rules}, false)"


def gate_records(messages: DataFrame) -> DataFrame:
    """Raw records (coordinates + `raw_value`) -> coordinates, raw_value, `is_clean`, typed contract fields
    and event_date (the UTC date of event_ts). Typed fields and date are meaningful for clean rows only."""
    text = F.col("raw_value").cast("string")
    parsed = messages.withColumn("parsed", F.from_json(text, PARSE_SCHEMA, JSON_OPTIONS))
    # SQL text, parsed in the JVM: one Py4J call, where Column objects cost one per expression node.
    typed = [f"try_to_timestamp(parsed.`{f.name}`) AS `{f.name}`" if f.kind is Kind.TIMESTAMP
             else f"parsed.`{f.name}` AS `{f.name}`" for f in ALL_FIELDS]
    return parsed.selectExpr(*COORDINATES, "raw_value", f"{_is_clean()} AS is_clean", *typed,
                             "to_date(try_to_timestamp(parsed.event_ts)) AS event_date")


def clean_records(gated: DataFrame) -> DataFrame:
    """The clean rows of gate_records in check_records' columns (no problems, no raw bytes)."""
    return gated.where("is_clean").select(
        *COORDINATES, F.lit(None).cast("binary").alias("raw_value"), F.lit(None).cast("string").alias("reason"),
        F.array().cast("array<string>").alias("problems"), *(f.name for f in ALL_FIELDS), "event_date")


# --- the exact route: contract.validate in Python, for the records the gate did not clear ---------

def exact_records(unclean: DataFrame) -> DataFrame:
    """Rows the gate did not clear (coordinates + raw_value) -> check_records' columns, via contract.validate
    (game_events.record_checks, in Spark's Python workers).

    Refused records are dated by their event_ts when it is a sound timestamp, else by the Kafka timestamp
    (when the broker got them).
    """
    checked = unclean.select(*COORDINATES, "raw_value").mapInArrow(check_raw_batches, RECORD_CHECKS_DDL)
    event_date = F.when(F.col("reason").isNull(), F.to_date("event_ts")).otherwise(
        F.coalesce(F.col("event_ts_date"), F.to_date("kafka_timestamp")))
    return checked.select(*COORDINATES, "raw_value", "reason", "problems", *(f.name for f in ALL_FIELDS),
                          event_date.alias("event_date"))


def check_records(messages: DataFrame) -> DataFrame:
    """Raw records -> CHECKED_DDL's columns: coordinates, raw_value (refused only), reason (first problem's
    code, null when valid), problems ("reason:field" or "reason", contract.validate's order), typed fields,
    event_date. Missing coordinate columns (small test frames) are filled with nulls."""
    for name, kind in (("topic", "string"), ("kafka_partition", "int"), ("kafka_offset", "bigint"),
                       ("kafka_timestamp", "timestamp")):
        if name not in messages.columns:
            messages = messages.withColumn(name, F.lit(None).cast(kind))
    extra = [name for name in messages.columns if name not in (*COORDINATES, "raw_value")]
    gated = gate_records(messages)
    if not extra:
        return clean_records(gated).unionByName(exact_records(gated.where(~F.col("is_clean"))))
    return _with_extra_columns(messages, extra)


def _with_extra_columns(messages: DataFrame, extra: list[str]) -> DataFrame:
    """check_records for frames with columns of their own (tests label cases): carried by coordinates."""
    # Materialised, so both routes see the same ids.
    keyed = messages.withColumn("kafka_offset", F.monotonically_increasing_id()).localCheckpoint()
    checked = check_records(keyed.select(*COORDINATES, "raw_value"))
    return checked.join(keyed.select("kafka_offset", *extra), on="kafka_offset", how="inner")
