import Avro
import Benchmark
import Foundation

/// Avro encode and decode of one `Candle` (schemas/avro/Candle.avsc), with a byte-copy
/// baseline of the same size as the machine's ceiling in the same run.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal, .instructions],
        scalingFactor: .kilo,
        maxDuration: .seconds(5),
        maxIterations: 1_000_000
    )

    let schemaURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("schemas/avro/Candle.avsc")
    let schema = try! AvroParsedSchema(parsing: String(contentsOf: schemaURL, encoding: .utf8))
    let codec = try! AvroBinaryCodec(schema: schema)
    let candle = AvroValue.record([
        .string("cryptocompare"), .string("BTC"), .string("USD"), .string("1d"),
        .long(1_700_000_000_000), .double(37_123.45), .double(37_900.5), .double(36_800.25), .double(37_500.75),
        .double(12_345.678), .union(branch: 1, .double(7.3e11)), .long(1_700_000_123_456),
    ])
    let encoded = try! codec.encode(candle)
    let framed = ConfluentFraming.frame(schemaID: 1, payload: encoded)

    Benchmark("Candle encode (AvroValue to bytes)") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try codec.encode(candle)) }
    }
    Benchmark("Candle decode (bytes to AvroValue)") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try codec.decode(encoded)) }
    }
    Benchmark("Candle unframe and decode (Confluent wire format)") { benchmark in
        for _ in benchmark.scaledIterations {
            let (_, payload) = try ConfluentFraming.unframe(framed)
            blackHole(try codec.decode(payload))
        }
    }
    Benchmark("Baseline: allocate and copy the encoded Candle's bytes") { benchmark in
        for _ in benchmark.scaledIterations {
            let copy = [UInt8](unsafeUninitializedCapacity: encoded.count) { buffer, count in
                _ = buffer.initialize(from: encoded)
                count = encoded.count
            }
            blackHole(copy)
        }
    }
}
