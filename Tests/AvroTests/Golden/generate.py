"""Writes the golden files AvroGoldenTests.swift checks our Avro code against.

fastavro is the independent reference: it computes each schema's Parsing Canonical
Form and CRC-64-AVRO fingerprint, the binary encoding of each value, and the Avro
JSON encoding (tagged unions, bytes as code points 0-255) of each value.

Run from anywhere with the project's venv:
    /work/main/.venv/bin/python Tests/AvroTests/Golden/generate.py
"""

import datetime
import decimal
import io
import json
import os
import uuid

import fastavro
from fastavro.schema import fingerprint, parse_schema, to_parsing_canonical_form

HERE = os.path.dirname(os.path.abspath(__file__))
NS = "io.pricepipeline"
UTC = datetime.timezone.utc

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def ts(*args):
    """A UTC datetime, which fastavro writes as timestamp-millis."""
    return datetime.datetime(*args, tzinfo=UTC)


CANDLE = {
    "type": "record", "name": "Candle", "namespace": NS,
    "fields": [
        {"name": "source", "type": "string"},
        {"name": "base", "type": "string"},
        {"name": "quote", "type": "string"},
        {"name": "interval", "type": "string"},
        {"name": "open_time", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "open", "type": "double"},
        {"name": "high", "type": "double"},
        {"name": "low", "type": "double"},
        {"name": "close", "type": "double"},
        {"name": "volume", "type": "double"},
        {"name": "market_cap", "type": ["null", "double"], "default": None},
        {"name": "fetched_at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    ],
}

INNER = {
    "type": "record", "name": "Inner",
    "fields": [
        {"name": "name", "type": "string"},
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "counts", "type": {"type": "map", "values": "int"}},
    ],
}

# (case name, schema, values as fastavro datums). Map datums list keys in sorted
# order because our encoder writes map keys sorted.
CASES = [
    ("candle", CANDLE, [
        {"source": "binance", "base": "BTC", "quote": "USDT", "interval": "1m",
         "open_time": ts(2024, 5, 1, 12, 0), "open": 64000.5, "high": 64100.25,
         "low": 63950.0, "close": 64050.75, "volume": 12.5, "market_cap": None,
         "fetched_at": ts(2024, 5, 1, 12, 1, 0, 125000)},
        {"source": "coingecko", "base": "ETH", "quote": "EUR", "interval": "1d",
         "open_time": ts(1970, 1, 1), "open": 0.0, "high": 3000.0, "low": -0.0,
         "close": 2999.875, "volume": 1e300, "market_cap": 366000000000.0,
         "fetched_at": ts(2038, 1, 19, 3, 14, 8)},
    ]),
    ("null", "null", [None]),
    ("boolean", "boolean", [True, False]),
    ("int", "int", [0, -1, 1, -64, 64, -65, 63, 300, INT32_MIN, INT32_MAX]),
    ("long", "long", [0, -1, 1, -64, 64, INT32_MIN - 1, INT32_MAX + 1, INT64_MIN, INT64_MAX]),
    ("float", "float", [0.0, -0.0, 1.5, -0.25, 16777216.0, 3.4028234663852886e38,
                        1.401298464324817e-45]),
    ("double", "double", [0.0, -0.0, 1.5, -0.25, 9007199254740992.0, 1e300,
                          -1.7976931348623157e308, 5e-324]),
    ("string", "string", ["", "a", "héllo", "日本語", "😀 emoji 🚀", "tab\tnl\n\"q\"\\",
                          "x" * 64]),
    ("bytes", "bytes", [b"", b"\x00", b"\x00\xff\x7f\x80", bytes(range(0, 256, 17))]),
    ("enum", {"type": "enum", "name": "Side", "namespace": NS, "symbols": ["BUY", "SELL", "HOLD"]},
     ["BUY", "SELL", "HOLD"]),
    ("fixed", {"type": "fixed", "name": "Hash4", "namespace": NS, "size": 4},
     [b"\x00\xff\x10\x80", b"\x00\x00\x00\x00"]),
    ("array", {"type": "array", "items": "long"}, [[], [0], [1, -1, INT64_MAX, INT64_MIN]]),
    ("map", {"type": "map", "values": "long"},
     [{}, {"only": -2}, {"a": 1, "b": 2, "c": INT64_MIN, "zz": 0}]),
    ("union_null", ["null", "string"], [None, "", "value"]),
    ("union_records", [
        "null",
        {"type": "record", "name": "Point", "namespace": NS,
         "fields": [{"name": "x", "type": "int"}, {"name": "y", "type": "int"}]},
        {"type": "record", "name": "Label", "namespace": "other.ns",
         "fields": [{"name": "text", "type": "string"}]},
        "long",
        {"type": "array", "items": "int"},
    ], [None, {"x": 1, "y": -2}, {"text": "hi"}, 42, [7, 8]]),
    ("nested_record", {
        "type": "record", "name": "Outer", "namespace": NS,
        "fields": [
            {"name": "id", "type": "long"},
            {"name": "inner", "type": INNER},
            {"name": "maybe", "type": ["null", "Inner"], "default": None},
            {"name": "many", "type": {"type": "array", "items": "Inner"}},
            {"name": "side", "type": {"type": "enum", "name": "Side", "symbols": ["BUY", "SELL"]}},
        ],
    }, [
        {"id": 1, "inner": {"name": "n", "tags": [], "counts": {}}, "maybe": None, "many": [],
         "side": "BUY"},
        {"id": -7, "inner": {"name": "a", "tags": ["x", "y"], "counts": {"k": 3}},
         "maybe": {"name": "b", "tags": ["z"], "counts": {"a": 1, "b": -1}},
         "many": [{"name": "c", "tags": [], "counts": {}}], "side": "SELL"},
    ]),
    ("linked_list", {
        "type": "record", "name": "LongList",
        "fields": [{"name": "value", "type": "long"}, {"name": "next", "type": ["null", "LongList"]}],
    }, [
        {"value": 1, "next": None},
        {"value": 1, "next": {"value": -2, "next": {"value": 3, "next": None}}},
    ]),
    ("logical_types", {
        "type": "record", "name": "Logical", "namespace": NS,
        "fields": [
            {"name": "amount", "type": {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}},
            {"name": "day", "type": {"type": "int", "logicalType": "date"}},
            {"name": "id", "type": {"type": "string", "logicalType": "uuid"}},
            {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        ],
    }, [
        {"amount": decimal.Decimal("123.45"), "day": datetime.date(2024, 2, 29),
         "id": uuid.UUID("123e4567-e89b-12d3-a456-426614174000"), "at": ts(2024, 2, 29, 23, 59, 59)},
        {"amount": decimal.Decimal("-0.01"), "day": datetime.date(1969, 12, 31),
         "id": uuid.UUID(int=0), "at": ts(1969, 12, 31, 23, 59, 59, 999000)},
        {"amount": decimal.Decimal("99999999.99"), "day": datetime.date(1970, 1, 1),
         "id": uuid.UUID(int=2**128 - 1), "at": ts(1970, 1, 1)},
    ]),
]


# Cases whose schema is recursive (fastavro's JSON codec cannot handle them).
RECURSIVE = {"linked_list"}


def rec(name, fields):
    return {"type": "record", "name": name, "namespace": NS, "fields": fields}


# (case name, writer schema, reader schema, value as a writer datum).
RESOLUTIONS = [
    ("resolve_promotions",
     rec("Prices", [
         {"name": "i", "type": "int"}, {"name": "l", "type": "long"}, {"name": "f", "type": "float"},
         {"name": "n", "type": "int"}, {"name": "s", "type": "string"}, {"name": "b", "type": "bytes"},
     ]),
     rec("Prices", [
         {"name": "i", "type": "long"}, {"name": "l", "type": "double"}, {"name": "f", "type": "double"},
         {"name": "n", "type": "float"}, {"name": "s", "type": "bytes"}, {"name": "b", "type": "string"},
     ]),
     {"i": -5, "l": 2**40 + 1, "f": -0.25, "n": 1024, "s": "hé", "b": b"ok"}),
    ("resolve_added_fields",
     rec("Quote", [{"name": "price", "type": "double"}, {"name": "gone", "type": "string"}]),
     rec("Quote", [
         {"name": "currency", "type": "string", "default": "USD"},
         {"name": "price", "type": "double"},
         {"name": "market_cap", "type": ["null", "double"], "default": None},
         {"name": "levels", "type": {"type": "array", "items": "int"}, "default": [1, 2]},
         {"name": "meta", "type": {"type": "map", "values": "string"}, "default": {"k": "v"}},
     ]),
     {"price": 1.5, "gone": "dropped"}),
    ("resolve_enum_default",
     {"type": "enum", "name": "Venue", "namespace": NS, "symbols": ["BINANCE", "KRAKEN", "COINBASE"]},
     {"type": "enum", "name": "Venue", "namespace": NS, "symbols": ["BINANCE", "KRAKEN", "OTHER"],
      "default": "OTHER"},
     "COINBASE"),
    ("resolve_unions",
     rec("U", [
         {"name": "a", "type": "int"},
         {"name": "b", "type": ["null", "int"]},
         {"name": "c", "type": ["string", "null"]},
         {"name": "old_name", "type": "float"},
     ]),
     rec("U", [
         {"name": "a", "type": ["null", "long"]},
         {"name": "b", "type": ["null", "double"]},
         {"name": "c", "type": "string"},
         {"name": "new_name", "aliases": ["old_name"], "type": "double"},
     ]),
     {"a": 7, "b": -3, "c": "kept", "old_name": 2.5}),
]


def binary(parsed, datum):
    """fastavro's binary encoding of a datum (no container header)."""
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, parsed, datum)
    return buf.getvalue()


def read_plain(encoded, writer, reader=None):
    """Reads binary with fastavro, records in unions as (full name, fields) pairs."""
    return fastavro.schemaless_reader(io.BytesIO(encoded), writer, reader, return_record_name=True)


def to_json(schema, datum, named):
    """Avro's JSON encoding of a plain datum (no logical-type objects).

    `schema` is a parsing canonical form (every name full, no logical types), so
    named types are looked up by full name. fastavro's json_writer cannot encode
    recursive types, so the encoding is built here and cross-checked against it.
    """
    if isinstance(schema, str):
        if schema in named:
            return to_json(named[schema], datum, named)
        if schema == "bytes":
            return datum.decode("latin-1")
        if schema in ("float", "double"):
            return float(datum)
        return datum
    if isinstance(schema, list):
        if datum is None:
            return None
        if isinstance(datum, tuple):
            tag, inner = datum
            return {tag: to_json(named[tag], inner, named)}
        for branch in schema:
            tag = branch if isinstance(branch, str) else branch.get("name", branch["type"])
            if branch_accepts(named.get(tag, branch), datum):
                return {tag: to_json(branch, datum, named)}
        raise ValueError(f"no branch of {schema} for {datum!r}")
    kind = schema["type"]
    if kind == "record":
        return {f["name"]: to_json(f["type"], datum[f["name"]], named) for f in schema["fields"]}
    if kind == "fixed":
        return datum.decode("latin-1")
    if kind == "array":
        return [to_json(schema["items"], v, named) for v in datum]
    if kind == "map":
        return {k: to_json(schema["values"], v, named) for k, v in datum.items()}
    return datum  # enum


def branch_accepts(branch, datum):
    """Whether a plain datum (not a record) belongs to this union branch."""
    kind = branch if isinstance(branch, str) else branch["type"]
    if isinstance(datum, bool):
        return kind == "boolean"
    if isinstance(datum, int):
        return kind in ("int", "long")
    if isinstance(datum, float):
        return kind in ("float", "double")
    if isinstance(datum, str):
        return kind in ("string", "enum")
    if isinstance(datum, bytes):
        return kind in ("bytes", "fixed")
    if isinstance(datum, list):
        return kind == "array"
    return kind == "map"


def collect_named(schema, named):
    """Indexes every named type of a canonical-form schema by full name."""
    if isinstance(schema, list):
        for branch in schema:
            collect_named(branch, named)
    elif isinstance(schema, dict):
        if "name" in schema:
            named[schema["name"]] = schema
        for field in schema.get("fields", []):
            collect_named(field["type"], named)
        for key in ("items", "values"):
            if key in schema:
                collect_named(schema[key], named)
    return named


def avro_json(schema, encoded, reader=None, cross_check=True):
    """The Avro JSON encoding of `encoded` read as `schema`, or resolved to `reader`.

    With cross_check, it must equal fastavro.json_writer's output, and
    fastavro.json_reader must read it back to a value with the same binary encoding
    (fastavro's JSON codec fails on recursive types, so those cases skip this).
    """
    target = schema if reader is None else reader
    parsed = parse_schema(target)
    canonical = json.loads(to_parsing_canonical_form(target))
    if reader is None:
        plain = read_plain(encoded, parse_schema(canonical))
        rich = fastavro.schemaless_reader(io.BytesIO(encoded), parsed, None)
    else:
        plain = read_plain(encoded, parse_schema(schema), parsed)
        rich = fastavro.schemaless_reader(io.BytesIO(encoded), parse_schema(schema), parsed)
    value = to_json(canonical, plain, collect_named(canonical, {}))
    if not cross_check:
        return value
    out = io.StringIO()
    fastavro.json_writer(out, parsed, [rich])
    assert json.loads(out.getvalue()) == value, (value, out.getvalue())
    reread = next(iter(fastavro.json_reader(io.StringIO(json.dumps(value)), parsed)))
    assert binary(parsed, reread) == binary(parsed, rich), value
    return value


def dump(value):
    """Compact JSON, UTF-8 except that invisible characters (DEL, C1 controls) are escaped."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return "".join(f"\\u{ord(c):04x}" if 0x7F <= ord(c) <= 0x9F else c for c in text)


def write(name, members):
    """Writes one golden file: top-level members one per line, each value compact."""
    lines = []
    for key, value in members:
        if key == "values":
            items = ",\n  ".join(dump(v) for v in value)
            lines.append(f' "values": [\n  {items}\n ]')
        else:
            lines.append(f" {dump(key)}: {dump(value)}")
    with open(os.path.join(HERE, f"{name}.json"), "w", encoding="utf-8") as f:
        f.write("{\n" + ",\n".join(lines) + "\n}\n")


def main():
    for old in os.listdir(HERE):
        if old.endswith(".json"):
            os.remove(os.path.join(HERE, old))
    for name, schema, datums in CASES:
        parsed = parse_schema(schema)
        canonical = to_parsing_canonical_form(schema)
        values = []
        for datum in datums:
            encoded = binary(parsed, datum)
            value = avro_json(schema, encoded, cross_check=name not in RECURSIVE)
            values.append({"json": value, "binary": encoded.hex()})
        write(name, [
            ("schema", schema), ("canonical", canonical),
            ("fingerprint", fingerprint(canonical, "CRC-64-AVRO")), ("values", values),
        ])
    for name, writer, reader, datum in RESOLUTIONS:
        encoded = binary(parse_schema(writer), datum)
        write(name, [
            ("writer", writer), ("reader", reader), ("binary", encoded.hex()),
            ("resolved_json", avro_json(writer, encoded, reader)),
        ])


if __name__ == "__main__":
    main()
