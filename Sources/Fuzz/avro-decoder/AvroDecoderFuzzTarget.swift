import Avro
import Foundation
import PriceModel

/// Whole-value decoding of Avro binary by `AvroBinaryCodec` (the validator, then avro-c).
///
/// The input's first byte picks the writer schema from `schemas`; the rest is the value.
/// Bytes the validator accepts must decode; a decoded value must encode again, and that
/// encoding must decode to a value that encodes to the same bytes; a decoded `Candle` must
/// resolve to a later Candle version and back and read as a `Candle`, as the sink does.
let schemas: [AvroParsedSchema] = [RecordSchemas.candle, RecordSchemas.fxRate] + [linkedList, everyType, unionOfRecords].map(parse)
let codecs = schemas.map { schema in
    do { return try AvroBinaryCodec(schema: schema) } catch { fatalError("avro-c rejects a fuzz schema: \(error)") }
}
let validators = schemas.map { AvroBinaryValidator(schema: $0) }

/// A recursive record: `next` is null or another list.
let linkedList = #"{"type":"record","name":"LongList","fields":[{"name":"value","type":"long"},{"name":"next","type":["null","LongList"]}]}"#

/// Every kind of type, including zero-size items (`null`, an empty record, a zero-size fixed).
let everyType = """
    {"type":"record","name":"Everything","namespace":"fuzz","fields":[\
    {"name":"flag","type":"boolean"},{"name":"count","type":"int"},{"name":"total","type":"long"},\
    {"name":"ratio","type":"float"},{"name":"price","type":"double"},{"name":"blob","type":"bytes"},\
    {"name":"label","type":"string"},\
    {"name":"side","type":{"type":"enum","name":"Side","symbols":["BUY","SELL"]}},\
    {"name":"hash","type":{"type":"fixed","name":"Hash","size":4}},\
    {"name":"nothing","type":{"type":"fixed","name":"Empty","size":0}},\
    {"name":"tags","type":{"type":"array","items":"string"}},\
    {"name":"nulls","type":{"type":"array","items":"null"}},\
    {"name":"units","type":{"type":"array","items":{"type":"record","name":"Unit","fields":[]}}},\
    {"name":"counts","type":{"type":"map","values":"long"}},\
    {"name":"choice","type":["null","string","Side",{"type":"record","name":"Point","fields":[{"name":"x","type":"double"}]},\
    {"type":"array","items":"Point"}]},\
    {"name":"nested","type":{"type":"map","values":{"type":"array","items":["null","Hash","Empty"]}}}]}
    """

/// A union at the top: records of two namespaces, a long and an array.
let unionOfRecords = """
    ["null",{"type":"record","name":"Point","namespace":"io.pricepipeline","fields":[{"name":"x","type":"int"},{"name":"y","type":"int"}]},\
    {"type":"record","name":"Label","namespace":"other.ns","fields":[{"name":"text","type":"string"}]},"long",{"type":"array","items":"int"}]
    """

/// A later Candle: one more field, with a default.
let candleV2 = parse(RecordSchemas.candleText.replacingOccurrences(
    of: #"{"name":"fetched_at""#, with: #"{"name":"vwap","type":["null","double"],"default":null},{"name":"fetched_at""#))
let candleToV2 = AvroResolver(writer: RecordSchemas.candle, reader: candleV2)
let candleToV1 = AvroResolver(writer: candleV2, reader: RecordSchemas.candle)

/// One of the schemas above, parsed (they are constants: a failure is a bug of this file).
func parse(_ text: String) -> AvroParsedSchema {
    do { return try AvroParsedSchema(parsing: text) } catch { fatalError("a fuzz schema does not parse: \(error)") }
}

/// libFuzzer's entry point: a schema choice and a value.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let choice = Int(data[0]) % codecs.count
    let codec = codecs[choice]
    let bytes = UnsafeBufferPointer(start: data + 1, count: size - 1)
    guard (try? validators[choice].validate(UnsafeRawBufferPointer(bytes))) != nil else { return 0 }
    let value: AvroValue
    do {
        value = try codec.decode(bytes)
    } catch {
        fatalError("bytes the validator accepts do not decode: \(error)")
    }
    let encoded: [UInt8]
    let reencoded: [UInt8]
    do {
        encoded = try codec.encode(value)
        reencoded = try codec.encode(try codec.decode(encoded))
    } catch {
        fatalError("a decoded value does not round-trip: \(error)")
    }
    precondition(encoded == reencoded, "encode(decode(encode(value))) differs from encode(value)")
    if choice == 0 {
        do {
            _ = try Candle(avro: candleToV1.resolve(candleToV2.resolve(value)))
        } catch {
            fatalError("a decoded Candle does not resolve to v2 and back: \(error)")
        }
    }
    return 0
}
