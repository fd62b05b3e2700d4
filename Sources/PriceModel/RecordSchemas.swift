import Avro

/// The pipeline's record schemas as the code reads and writes them. They are the files in
/// `schemas/avro/` (a test checks that both say the same).
public enum RecordSchemas {
    /// Subject names (TopicNameStrategy: `<topic>-value`).
    public static func valueSubject(topic: String) -> String { "\(topic)-value" }

    public static let candleText = """
    {"type":"record","name":"Candle","namespace":"io.pricepipeline","doc":"One OHLCV candle of an asset quoted in a currency, as fetched from a price API.","fields":[\
    {"name":"source","type":"string","doc":"Price API the candle came from, e.g. cryptocompare."},\
    {"name":"base","type":"string","doc":"Asset symbol, e.g. BTC."},\
    {"name":"quote","type":"string","doc":"Quote currency, e.g. USD or INR."},\
    {"name":"interval","type":"string","doc":"Candle length, e.g. 1d."},\
    {"name":"open_time","type":{"type":"long","logicalType":"timestamp-millis"}},\
    {"name":"open","type":"double"},{"name":"high","type":"double"},{"name":"low","type":"double"},\
    {"name":"close","type":"double"},{"name":"volume","type":"double"},\
    {"name":"market_cap","type":["null","double"],"default":null},\
    {"name":"fetched_at","type":{"type":"long","logicalType":"timestamp-millis"}}]}
    """

    public static let fxRateText = """
    {"type":"record","name":"FxRate","namespace":"io.pricepipeline","doc":"A daily reference exchange rate: 1 base = rate quote.","fields":[\
    {"name":"base","type":"string"},{"name":"quote","type":"string"},\
    {"name":"date","type":{"type":"int","logicalType":"date"}},\
    {"name":"rate","type":"double"},\
    {"name":"source","type":"string","doc":"e.g. frankfurter (ECB) or fred."}]}
    """

    // Both texts are constants checked by the tests: parsing cannot fail at run time.
    public static let candle: AvroParsedSchema = try! AvroParsedSchema(parsing: candleText)
    public static let fxRate: AvroParsedSchema = try! AvroParsedSchema(parsing: fxRateText)
}

/// Why an Avro value is not a record of the expected shape.
public struct RecordShapeError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension Candle {
    /// The value in the field order of `RecordSchemas.candle`.
    public var avroValue: AvroValue {
        .record([
            .string(source), .string(base), .string(quote), .string(interval), .long(openTime),
            .double(open), .double(high), .double(low), .double(close), .double(volume),
            marketCap.map { .union(branch: 1, .double($0)) } ?? .union(branch: 0, .null),
            .long(fetchedAt),
        ])
    }

    /// Reads a value of `RecordSchemas.candle` (after resolution to it).
    /// - Throws: `RecordShapeError` when the value has another shape.
    public init(avro value: AvroValue) throws {
        guard case .record(let f) = value, f.count == 12,
              case .string(let source) = f[0], case .string(let base) = f[1], case .string(let quote) = f[2],
              case .string(let interval) = f[3], case .long(let openTime) = f[4],
              case .double(let open) = f[5], case .double(let high) = f[6], case .double(let low) = f[7],
              case .double(let close) = f[8], case .double(let volume) = f[9], case .long(let fetchedAt) = f[11]
        else { throw RecordShapeError("not a Candle record") }
        var marketCap: Double?
        switch f[10] {
        case .union(_, .double(let d)): marketCap = d
        case .union(_, .null), .null: marketCap = nil
        case .double(let d): marketCap = d
        default: throw RecordShapeError("market_cap is neither null nor a double")
        }
        self.init(source: source, base: base, quote: quote, interval: interval, openTime: openTime, open: open, high: high,
                  low: low, close: close, volume: volume, marketCap: marketCap, fetchedAt: fetchedAt)
    }
}

extension Candle {
    /// Decodes the binary encoding of `RecordSchemas.candle` straight into a candle, with the
    /// checks of the generic decoder (whole value, lengths, UTF-8) and no intermediate value.
    public init(avroBinary bytes: UnsafeRawBufferPointer) throws(AvroCodecError) {
        var reader = AvroBinaryReader(bytes)
        let source = try reader.readString(), base = try reader.readString()
        let quote = try reader.readString(), interval = try reader.readString()
        let openTime = try reader.readLong()
        let open = try reader.readDouble(), high = try reader.readDouble(), low = try reader.readDouble()
        let close = try reader.readDouble(), volume = try reader.readDouble()
        let marketCap: Double? = try reader.readUnionBranch(of: 2) == 1 ? try reader.readDouble() : nil
        let fetchedAt = try reader.readLong()
        try reader.finish()
        self.init(source: source, base: base, quote: quote, interval: interval, openTime: openTime, open: open, high: high,
                  low: low, close: close, volume: volume, marketCap: marketCap, fetchedAt: fetchedAt)
    }
}

extension FxRate {
    /// The value in the field order of `RecordSchemas.fxRate`.
    public var avroValue: AvroValue {
        .record([.string(base), .string(quote), .int(date), .double(rate), .string(source)])
    }

    /// Reads a value of `RecordSchemas.fxRate`.
    /// - Throws: `RecordShapeError` when the value has another shape.
    public init(avro value: AvroValue) throws {
        guard case .record(let f) = value, f.count == 5,
              case .string(let base) = f[0], case .string(let quote) = f[1], case .int(let date) = f[2],
              case .double(let rate) = f[3], case .string(let source) = f[4]
        else { throw RecordShapeError("not an FxRate record") }
        self.init(base: base, quote: quote, date: date, rate: rate, source: source)
    }
}
