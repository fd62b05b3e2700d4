"""Writes the seed corpora of the fuzz targets (Sources/Fuzz/<target>) from real inputs.

- price APIs: every recorded answer of Tests/Fixtures/price-apis, behind the flags byte that
  FuzzedResponse reads (status, INR, headers from index.json);
- avro-decoder: values encoded by fastavro (the independent reference) for each schema of
  AvroDecoderFuzzTarget.swift, behind its index byte; candles and rates come from the fixtures;
- confluent-framing: the same Candle and FxRate values in Confluent framing;
- avro-schema and avro-compatibility: schemas/avro/*.avsc and the schemas of
  Tests/AvroTests/Golden (compatibility: reader line, writer after it);
- registry-request: an Accept/version line and the bodies the registry's routes accept;

and the inputs of the problems found while fuzzing, each named in its regression test.
Run from anywhere with the project's venv:
    /work/main/.venv/bin/python Tests/FuzzCorpus/generate.py
"""

import csv
import datetime
import glob
import hashlib
import io
import json
import os
import struct

import fastavro

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FIXTURES = os.path.join(ROOT, "Tests", "Fixtures", "price-apis")
GOLDEN = os.path.join(ROOT, "Tests", "AvroTests", "Golden")
UTC = datetime.timezone.utc

# FuzzedResponse.statuses, in order: the low four bits of the flags byte index it.
STATUSES = [200, 400, 401, 403, 404, 408, 418, 422, 429, 451, 500, 502, 503, 504, 301, 204]
INR, WHOLE_HISTORY, HEADER_LINE = 0x10, 0x20, 0x40

# The fixtures' `api` in index.json -> fuzz target.
PRICE_TARGETS = {
    "cryptocompare": "cryptocompare", "binance": "binance", "coinbase": "coinbase",
    "coingecko": "coingecko", "kraken": "kraken", "alphavantage": "alphavantage",
    "frankfurter": "frankfurter", "fred": "fred", "fred_api": "fred",
}


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def write(target, name, data):
    directory = os.path.join(HERE, target)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)


def price_api_seeds():
    index = load(os.path.join(FIXTURES, "index.json"))
    for entry in index["fixtures"]:
        target = PRICE_TARGETS[entry["api"]]
        with open(os.path.join(FIXTURES, entry["file"]), "rb") as f:
            body = f.read()
        flags = STATUSES.index(entry["status"])
        if "INR" in entry["file"] or "_inr" in entry["file"]:
            flags |= INR
        if "start_of_history" in entry["file"] or "first_page" in entry["file"] or "_2010" in entry["file"]:
            flags |= WHOLE_HISTORY
        headers = {k.lower(): v for k, v in entry["headers"].items()}
        value = headers.get("retry-after") or headers.get("x-mbx-used-weight-1m")
        if value is not None:
            flags |= HEADER_LINE
            body = value.encode() + b"\n" + body
        write(target, entry["file"], bytes([flags]) + body)
    # Answers no fixture has: an HTML error page with an HTTP-date Retry-After, for every API.
    page = b"<!DOCTYPE html><html><head><title>503 Service Unavailable</title></head><body>busy</body></html>"
    for target in sorted(set(PRICE_TARGETS.values())):
        flags = STATUSES.index(503) | HEADER_LINE
        write(target, "html_503_retry_after_http_date", bytes([flags]) + b"Mon, 11 Mar 2024 06:01:00 GMT\n" + page)
        # ModelTests.retryAfterWithAnImpossibleTimeIsIgnored: an 18-digit hour crashed the parser.
        flags = STATUSES.index(429) | HEADER_LINE
        write(target, "retry_after_hour_overflow",
              bytes([flags]) + b"Mon, 11 Mar 2024 999999999999999999:00:00 GMT\n" + b'{"message":"Public rate limit exceeded"}')


CANDLE = load(os.path.join(ROOT, "schemas", "avro", "Candle.avsc"))
FX_RATE = load(os.path.join(ROOT, "schemas", "avro", "FxRate.avsc"))
LINKED_LIST = {"type": "record", "name": "LongList",
               "fields": [{"name": "value", "type": "long"}, {"name": "next", "type": ["null", "LongList"]}]}
# AvroDecoderFuzzTarget.everyType.
EVERY_TYPE = {
    "type": "record", "name": "Everything", "namespace": "fuzz",
    "fields": [
        {"name": "flag", "type": "boolean"}, {"name": "count", "type": "int"}, {"name": "total", "type": "long"},
        {"name": "ratio", "type": "float"}, {"name": "price", "type": "double"}, {"name": "blob", "type": "bytes"},
        {"name": "label", "type": "string"},
        {"name": "side", "type": {"type": "enum", "name": "Side", "symbols": ["BUY", "SELL"]}},
        {"name": "hash", "type": {"type": "fixed", "name": "Hash", "size": 4}},
        {"name": "nothing", "type": {"type": "fixed", "name": "Empty", "size": 0}},
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "nulls", "type": {"type": "array", "items": "null"}},
        {"name": "units", "type": {"type": "array", "items": {"type": "record", "name": "Unit", "fields": []}}},
        {"name": "counts", "type": {"type": "map", "values": "long"}},
        {"name": "choice", "type": ["null", "string", "Side",
                                    {"type": "record", "name": "Point", "fields": [{"name": "x", "type": "double"}]},
                                    {"type": "array", "items": "Point"}]},
        {"name": "nested", "type": {"type": "map", "values": {"type": "array", "items": ["null", "Hash", "Empty"]}}},
    ],
}
UNION_OF_RECORDS = load(os.path.join(GOLDEN, "union_records.json"))["schema"]
# AvroDecoderFuzzTarget.schemas, in order: the first byte of an input indexes it.
DECODER_SCHEMAS = [CANDLE, FX_RATE, LINKED_LIST, EVERY_TYPE, UNION_OF_RECORDS]


def encode(schema, datum):
    out = io.BytesIO()
    fastavro.schemaless_writer(out, fastavro.parse_schema(schema), datum)
    return out.getvalue()


def millis(day):
    return int(datetime.datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC).timestamp() * 1000)


FETCHED_AT = datetime.datetime(2024, 3, 11, 6, 0, 12, tzinfo=UTC)


def fixture_candles():
    """(name, Candle datum) from recorded Binance, CryptoCompare and CoinGecko answers."""
    klines = load(os.path.join(FIXTURES, "binance_klines_BTCUSDT_1d.json"))
    for row in klines[:2]:
        opened = datetime.datetime.fromtimestamp(row[0] / 1000, UTC)
        yield f"candle_binance_{opened:%Y-%m-%d}", {
            "source": "binance", "base": "BTC", "quote": "USDT", "interval": "1d", "open_time": opened,
            "open": float(row[1]), "high": float(row[2]), "low": float(row[3]), "close": float(row[4]),
            "volume": float(row[5]), "market_cap": None, "fetched_at": FETCHED_AT}
    history = load(os.path.join(FIXTURES, "cryptocompare_histoday_BTC_INR.json"))["Data"]["Data"]
    row = history[-1]
    opened = datetime.datetime.fromtimestamp(row["time"], UTC)
    yield f"candle_cryptocompare_inr_{opened:%Y-%m-%d}", {
        "source": "cryptocompare", "base": "BTC", "quote": "INR", "interval": "1d", "open_time": opened,
        "open": row["open"], "high": row["high"], "low": row["low"], "close": row["close"],
        "volume": row["volumefrom"], "market_cap": None, "fetched_at": FETCHED_AT}
    chart = load(os.path.join(FIXTURES, "coingecko_market_chart_bitcoin_usd_days10_daily.json"))
    (at, price), (_, cap), (_, volume) = chart["prices"][0], chart["market_caps"][0], chart["total_volumes"][0]
    opened = datetime.datetime.fromtimestamp(at / 1000, UTC)
    yield f"candle_coingecko_{opened:%Y-%m-%d}", {
        "source": "coingecko", "base": "BTC", "quote": "USD", "interval": "1d", "open_time": opened,
        "open": price, "high": price, "low": price, "close": price, "volume": volume, "market_cap": cap,
        "fetched_at": FETCHED_AT}


def fixture_rates():
    """(name, FxRate datum) from recorded Frankfurter and FRED answers."""
    series = load(os.path.join(FIXTURES, "frankfurter_timeseries_USD_INR_2010.json"))["rates"]
    for day in sorted(series)[:2]:
        yield f"fxrate_frankfurter_{day}", {
            "base": "USD", "quote": "INR", "date": datetime.date.fromisoformat(day),
            "rate": series[day]["INR"], "source": "frankfurter"}
    with open(os.path.join(FIXTURES, "fred_DEXINUS.csv"), encoding="utf-8") as f:
        row = next(r for r in csv.DictReader(f) if r["DEXINUS"] not in ("", "."))
    day = row.get("observation_date") or row.get("DATE")
    yield f"fxrate_fred_{day}", {
        "base": "USD", "quote": "INR", "date": datetime.date.fromisoformat(day),
        "rate": float(row["DEXINUS"]), "source": "fred"}


def avro_value_seeds():
    candles = list(fixture_candles())
    rates = list(fixture_rates())
    values = [(0, name, datum) for name, datum in candles] + [(1, name, datum) for name, datum in rates] + [
        (2, "longlist_one", {"value": 1, "next": None}),
        (2, "longlist_three", {"value": 1, "next": {"value": -2, "next": {"value": 3, "next": None}}}),
        (3, "everything", {
            "flag": True, "count": -64, "total": 2**40, "ratio": 1.5, "price": 64000.25, "blob": b"\x00\xff",
            "label": "héllo", "side": "SELL", "hash": b"\x01\x02\x03\x04", "nothing": b"",
            "tags": ["a", "bc"], "nulls": [None, None], "units": [{}, {}, {}], "counts": {"a": 1, "b": -2},
            "choice": [{"x": 1.0}, {"x": -2.5}], "nested": {"k": [None, b"abcd", b""]}}),
        (3, "everything_empty", {
            "flag": False, "count": 0, "total": 0, "ratio": 0.0, "price": 0.0, "blob": b"", "label": "",
            "side": "BUY", "hash": b"\x00\x00\x00\x00", "nothing": b"", "tags": [], "nulls": [], "units": [],
            "counts": {}, "choice": None, "nested": {}}),
    ]
    # AvroCorruptInputTests.nulInAMapKey: keys cut short at the NUL merged these two entries.
    values.append((3, "nul_in_map_key", dict(values[-1][2], counts={"a\x00x": 1, "a\x00y": 2})))
    for case in load(os.path.join(GOLDEN, "union_records.json"))["values"]:
        values.append((4, f"union_{hashlib.sha1(case['binary'].encode()).hexdigest()[:8]}", bytes.fromhex(case["binary"])))
    for index, name, datum in values:
        payload = datum if isinstance(datum, bytes) else encode(DECODER_SCHEMAS[index], datum)
        write("avro-decoder", name, bytes([index]) + payload)
        if index in (0, 1):
            write("confluent-framing", name, b"\x00" + struct.pack(">i", index + 1) + payload)
    write("confluent-framing", "unknown_schema_id", b"\x00" + struct.pack(">i", 7) + encode(CANDLE, candles[0][1]))
    write("confluent-framing", "header_only", b"\x00\x00\x00\x00\x01")


def golden_schemas():
    """(name, schema) of every golden case: schemas, and writer and reader of resolutions."""
    for path in sorted(glob.glob(os.path.join(GOLDEN, "*.json"))):
        case = load(path)
        name = os.path.splitext(os.path.basename(path))[0]
        for key in ("schema", "writer", "reader"):
            if key in case:
                yield f"{name}_{key}" if key != "schema" else name, case[key]


def compact(schema):
    return json.dumps(schema, separators=(",", ":"), ensure_ascii=False)


def schema_seeds():
    for path in sorted(glob.glob(os.path.join(ROOT, "schemas", "avro", "*.avsc"))):
        with open(path, "rb") as f:
            write("avro-schema", os.path.basename(path), f.read())
    for name, schema in golden_schemas():
        write("avro-schema", name, compact(schema).encode())
    # AvroCodecTests.enumsWithoutSymbolsAndUnionsWithoutBranchesAreAccepted: avro-c refused these.
    write("avro-schema", "enum_without_symbols", b'{"type":"enum","name":"Venue","namespace":"io.pricepipeline","symbols":[]}')
    write("avro-schema", "union_without_branches", b'{"type":"array","items":[]}')
    pairs = []
    for path in sorted(glob.glob(os.path.join(GOLDEN, "resolve_*.json"))):
        case = load(path)
        name = os.path.splitext(os.path.basename(path))[0]
        pairs += [(name, case["reader"], case["writer"]), (name + "_reversed", case["writer"], case["reader"])]
    candle_v2 = json.loads(json.dumps(CANDLE))
    candle_v2["fields"].insert(-1, {"name": "vwap", "type": ["null", "double"], "default": None})
    pairs += [("candle_v2_reads_v1", candle_v2, CANDLE), ("candle_v1_reads_v2", CANDLE, candle_v2),
              ("fxrate_reads_candle", FX_RATE, CANDLE)]
    for name, reader, writer in pairs:
        write("avro-compatibility", name, compact(reader).encode() + b"\n" + json.dumps(writer, indent=1).encode())


def registry_seeds():
    money = {"type": "record", "name": "Money", "namespace": "io.pricepipeline",
             "fields": [{"name": "amount", "type": "double"}, {"name": "currency", "type": "string"}]}
    priced = {"type": "record", "name": "Priced", "namespace": "io.pricepipeline",
              "fields": [{"name": "at", "type": "long"}, {"name": "price", "type": "Money"}]}
    bodies = [
        ("register_candle", "application/vnd.schemaregistry.v1+json", {"schema": compact(CANDLE)}),
        ("register_fxrate_avro", "application/json;q=0.9, */*;q=0.1", {"schema": compact(FX_RATE), "schemaType": "AVRO"}),
        ("register_with_reference", "latest", {
            "schema": compact(priced), "references": [{"name": "io.pricepipeline.Money", "subject": "money-value", "version": 1}]}),
        ("register_json_schema", "1", {"schemaType": "JSON", "schema": "{\"type\":\"object\"}"}),
        ("import_with_id_and_version", "application/vnd.schemaregistry+json", {"schema": compact(money), "id": 100, "version": 3}),
        ("import_with_id", "-1", {"schema": compact(candle_with_doc()), "id": 7}),
        ("config_full_transitive", "", {"compatibility": "FULL_TRANSITIVE"}),
        ("config_level_lower_case", "*/*", {"compatibilityLevel": "backward"}),
        ("mode_import", "application/*;q=0.5", {"mode": "IMPORT"}),
    ]
    for name, header, body in bodies:
        write("registry-request", name, header.encode() + b"\n" + json.dumps(body).encode())


def candle_with_doc():
    schema = json.loads(json.dumps(CANDLE))
    schema["doc"] = "Candle, as a client might send it: with a doc and aliases."
    schema["aliases"] = ["io.pricepipeline.Ohlcv"]
    return schema


if __name__ == "__main__":
    price_api_seeds()
    avro_value_seeds()
    schema_seeds()
    registry_seeds()
    for target in sorted(os.listdir(HERE)):
        if os.path.isdir(os.path.join(HERE, target)):
            print(f"{target}: {len(os.listdir(os.path.join(HERE, target)))} seeds")
