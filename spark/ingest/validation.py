"""The event contract as Spark column expressions: a record's problems, in the order contract.validate
lists them, computed without a Python UDF.

`check_records(messages)` takes raw Kafka records (`raw_value` binary) and adds `parsed` (the JSON
fields), `problems` (array of "reason:field" or "reason" strings, empty when valid) and `reason` (the
first problem's code, null when valid). Every rule comes from game_events.contract (ALL_FIELDS with
kind/required/enum/pattern/min/max/max_length, fields_for), so a rule changed there changes here.

Why two paths. `from_json` is the fast parser but is lenient about types: a JSON number in a string
field comes back as its text, and a bad integer only shows as null plus the corrupt-record column.
Rows that could hide such a case ("needs_exact": corrupt record, not valid UTF-8, not {...}, or a string
field whose text looks like a JSON number/boolean/object) are re-read with `try_parse_json` (VARIANT),
whose `schema_of_variant` tells the real JSON type of each field. Clean rows (nearly all) never pay
for it. Run with spark.sql.optimizer.enableJsonExpressionOptimization=false (filtered_writes sets it):
that rule would rewrite every `parsed.field` into a separate from_json call. Known gaps against orjson: a record made of two concatenated objects ({..}{..}) and integers
beyond 64 bits are refused with other reason codes than contract.validate gives (still refused).
"""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F
from pyspark.sql import types as T

from game_events.contract import (_TIMESTAMP_PATTERN, ALL_FIELDS, COMMON_FIELDS, EVENT_TYPES, TYPE_FIELDS,
                                  Field, Kind, Reason, fields_for)

CORRUPT = "_corrupt_record"
# Timestamps stay text here: the contract's pattern is checked first, then the value is parsed.
PARSE_SCHEMA = T.StructType(
    [T.StructField(f.name, T.LongType() if f.kind is Kind.INTEGER else T.StringType()) for f in ALL_FIELDS]
    + [T.StructField(CORRUPT, T.StringType())])
# Strict JSON like orjson: no 'single quotes', no NaN.
JSON_OPTIONS = {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT,
                "allowSingleQuotes": "false", "allowNonNumericNumbers": "false"}
# What from_json makes of a non-string token in a string field: a number, true/false, {..} or [..].
_LOOKS_NON_STRING = r"^(?:-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$|true$|false$|[\[{])"
_INTEGER_VARIANT_TYPES = ("BIGINT", "INT", "SMALLINT", "TINYINT")
_JSON_WHITESPACE = " \t\r\n"
_SEPARATOR = "\x1f"  # joins problems; unlike a comma it cannot occur in a field name a client would send
_TS_DATE = r"^\d{4}-\d{2}-\d{2}"


def _field(name: str) -> Column:
    return F.col("parsed").getField(name)


def _variant_type(name: str) -> Column:
    return F.schema_of_variant(F.variant_get(F.col("variant"), f"$.{name}", "variant"))


def _json_kinds(f: Field) -> tuple[Column, Column]:
    """(is present and not null, has the JSON type the contract wants) for one field."""
    fast_present = _field(f.name).isNotNull()
    variant_type = _variant_type(f.name)
    exact_present = variant_type.isNotNull() & (variant_type != "VOID")
    exact_typed = (variant_type.isin(*_INTEGER_VARIANT_TYPES) if f.kind is Kind.INTEGER
                   else variant_type == "STRING")
    present = F.when(F.col("needs_exact"), F.coalesce(exact_present, F.lit(False))).otherwise(fast_present)
    typed = F.when(F.col("needs_exact"), F.coalesce(exact_typed, F.lit(False))).otherwise(fast_present)
    return present, typed


def _value_problems(f: Field, typed: Column) -> list[tuple[Column, str]]:
    """(condition, reason) pairs for a present value, in contract._check_value order."""
    value = _field(f.name)
    checks: list[tuple[Column, str]] = [(~typed, Reason.WRONG_TYPE)]
    if f.kind is Kind.INTEGER:
        if f.minimum is not None:
            checks.append((value < f.minimum, Reason.BAD_VALUE))
        if f.maximum is not None:
            checks.append((value > f.maximum, Reason.BAD_VALUE))
        return checks
    if f.kind is Kind.TIMESTAMP:
        parses = value.rlike(_TIMESTAMP_PATTERN) & F.try_to_timestamp(value).isNotNull()
        return checks + [(~parses, Reason.BAD_VALUE)]
    if f.required:
        checks.append((value == "", Reason.MISSING_FIELD))
    if f.max_length is not None:
        checks.append((F.length(value) > f.max_length, Reason.BAD_VALUE))
    if f.enum is not None:
        checks.append((~value.isin(*f.enum), Reason.BAD_VALUE))
    if f.pattern is not None:
        checks.append((~value.rlike(f.pattern), Reason.BAD_VALUE))
    return checks


def _field_problem(f: Field, applies: Column) -> Column:
    """The first problem of one field as "reason:field", or null."""
    present, typed = _json_kinds(f)
    outcome = F.when(~applies, F.lit(None))
    if f.name == "event_type":  # an unknown type is reported once, before the fields (see validate)
        outcome = outcome.when(present, F.lit(None))
    if f.required:
        outcome = outcome.when(~present, F.lit(f"{Reason.MISSING_FIELD}:{f.name}"))
    else:
        outcome = outcome.when(~present, F.lit(None))
    for condition, reason in _value_problems(f, typed):
        outcome = outcome.when(condition, F.lit(f"{reason}:{f.name}"))
    return outcome


def _needs_exact(text: Column, is_utf8: Column) -> Column:
    trimmed = F.btrim(text, F.lit(_JSON_WHITESPACE))
    is_braced = trimmed.startswith("{") & trimmed.endswith("}")
    string_fields = [f for f in ALL_FIELDS if f.kind is not Kind.INTEGER]
    looks_non_string = [F.coalesce(_field(f.name).rlike(_LOOKS_NON_STRING), F.lit(False)) for f in string_fields]
    suspicious = looks_non_string[0]
    for flag in looks_non_string[1:]:
        suspicious = suspicious | flag
    return _field(CORRUPT).isNotNull() | ~is_utf8 | ~is_braced | suspicious


def _record_problem(text: Column) -> Column:
    """malformed_json / not_an_object for the whole record, else null. Only rows needing exact look."""
    trimmed = F.btrim(text, F.lit(_JSON_WHITESPACE))
    malformed = (~F.is_valid_utf8(text) | F.col("variant").isNull()
                 | (trimmed.startswith("{") & ~trimmed.endswith("}")))
    return (F.when(~F.col("needs_exact"), F.lit(None))
            .when(malformed, F.lit(str(Reason.MALFORMED_JSON)))
            .when(~trimmed.startswith("{"), F.lit(str(Reason.NOT_AN_OBJECT))))


def _unknown_fields(known_type: Column) -> Column:
    """"unknown_field:a", "unknown_field:b" (joined) for the keys the event's type does not define (record order), or null."""
    allowed_for_type = F.lit(None).cast("array<string>")
    for event_type in EVENT_TYPES:
        names = F.array(*[F.lit(f.name) for f in fields_for(event_type)])
        allowed_for_type = F.when(_field("event_type") == event_type, names).otherwise(allowed_for_type)
    unknown = F.array_except(F.json_object_keys(F.col("value_text")), allowed_for_type)
    prefix = f"{Reason.UNKNOWN_FIELD}:"
    return F.when(known_type & (F.size(unknown) > 0),
                  F.concat(F.lit(prefix), F.array_join(unknown, _SEPARATOR + prefix)))


def _problems_text() -> Column:
    """Every problem as "reason:field" (or "reason" for the whole record), _SEPARATOR-joined, "" if none.

    Built with concat_ws (which skips nulls) rather than higher-order functions over arrays: those are
    interpreted, not code-generated, and would drag this whole expression tree into slow evaluation.
    """
    event_type_present, event_type_is_string = _json_kinds(ALL_FIELDS[1])
    known_type = event_type_is_string & F.coalesce(_field("event_type").isin(*EVENT_TYPES), F.lit(False))
    unknown_type = F.when(event_type_present & ~known_type, F.lit(f"{Reason.UNKNOWN_EVENT_TYPE}:event_type"))
    type_of_field = {f.name: t for t, fs in TYPE_FIELDS.items() for f in fs}
    per_field = []
    for f in ALL_FIELDS:
        applies = F.lit(True) if f in COMMON_FIELDS else known_type & (_field("event_type") == type_of_field[f.name])
        per_field.append(_field_problem(f, applies))
    record_problem = F.col("record_problem")
    return F.coalesce(record_problem, F.concat_ws(_SEPARATOR, unknown_type, *per_field, _unknown_fields(known_type)))


def check_records(messages):
    """Add parsed, problems and reason to raw records (a `raw_value` binary column)."""
    text = F.col("value_text")
    with_text = messages.withColumn("value_text", F.col("raw_value").cast("string"))
    parsed = with_text.withColumn("parsed", F.from_json(text, PARSE_SCHEMA, JSON_OPTIONS))
    flagged = parsed.withColumn("needs_exact", _needs_exact(text, F.is_valid_utf8(text)))
    # VARIANT parsing is several times dearer than from_json, so only flagged rows get it.
    with_variant = flagged.withColumn("variant", F.when(F.col("needs_exact"), F.try_parse_json(text)))
    with_record = with_variant.withColumn("record_problem", _record_problem(text))
    checked = with_record.withColumn("problems_text", _problems_text())
    no_problem = F.col("problems_text") == ""
    return (checked
            .withColumn("problems", F.when(no_problem, F.array().cast("array<string>"))
                        .otherwise(F.split(F.col("problems_text"), _SEPARATOR)))
            .withColumn("reason", F.when(~no_problem, F.substring_index(F.col("problems_text"), ":", 1)))
            .drop("variant", "record_problem", "needs_exact"))


def event_ts_date(parsed_ts_text: Column) -> Column:
    """The UTC date of a contract timestamp text (its first ten characters), null if it has none."""
    return F.when(parsed_ts_text.rlike(_TS_DATE), F.try_to_date(F.substring(parsed_ts_text, 1, 10)))
