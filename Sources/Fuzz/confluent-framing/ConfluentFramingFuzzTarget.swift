import Avro
import PriceModel

/// A Kafka record value as the sink reads it: Confluent framing, then the payload decoded
/// whole with the writer schema its id names (1: `Candle`, 2: `FxRate`; others are unknown).
///
/// The input is the record value. A value that unframes must frame back to the same bytes.
let codecs: [Int32: AvroBinaryCodec] = {
    do {
        return [1: try AvroBinaryCodec(schema: RecordSchemas.candle), 2: try AvroBinaryCodec(schema: RecordSchemas.fxRate)]
    } catch {
        fatalError("avro-c rejects a record schema: \(error)")
    }
}()

/// libFuzzer's entry point: one record value.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let (schemaID, payload) = try? ConfluentFraming.unframe(bytes) else { return 0 }
    precondition(ConfluentFraming.frame(schemaID: schemaID, payload: Array(payload)) == bytes, "frame(unframe(bytes)) differs from bytes")
    guard let codec = codecs[schemaID], let value = try? codec.decode(payload) else { return 0 }
    switch schemaID {
    case 1: precondition((try? Candle(avro: value)) != nil, "a decoded Candle record does not read as a Candle")
    default: precondition((try? FxRate(avro: value)) != nil, "a decoded FxRate record does not read as an FxRate")
    }
    return 0
}
