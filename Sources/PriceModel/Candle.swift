/// One daily (or other interval) OHLCV candle of an asset quoted in a currency: the
/// `Candle` record of `schemas/avro/Candle.avsc`.
public struct Candle: Sendable, Hashable {
    public var source: String
    public var base: String
    public var quote: String
    public var interval: String
    /// Start of the candle, milliseconds since the epoch (00:00 UTC for daily candles).
    public var openTime: Int64
    public var open: Double
    public var high: Double
    public var low: Double
    public var close: Double
    public var volume: Double
    public var marketCap: Double?
    /// When the producer fetched it, milliseconds since the epoch.
    public var fetchedAt: Int64

    public init(source: String, base: String, quote: String, interval: String = "1d", openTime: Int64,
                open: Double, high: Double, low: Double, close: Double, volume: Double,
                marketCap: Double? = nil, fetchedAt: Int64) {
        self.source = source
        self.base = base
        self.quote = quote
        self.interval = interval
        self.openTime = openTime
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
        self.marketCap = marketCap
        self.fetchedAt = fetchedAt
    }

    /// The Kafka key: `source|base|quote|interval`.
    public var key: String { "\(source)|\(base)|\(quote)|\(interval)" }
}

/// A daily reference exchange rate: 1 `base` = `rate` `quote` on `date` (the `FxRate` record).
public struct FxRate: Sendable, Hashable {
    public var base: String
    public var quote: String
    /// The fixing date, days since 1970-01-01.
    public var date: Int32
    public var rate: Double
    public var source: String

    public init(base: String, quote: String, date: Int32, rate: Double, source: String) {
        self.base = base
        self.quote = quote
        self.date = date
        self.rate = rate
        self.source = source
    }

    /// The Kafka key: `base|quote`.
    public var key: String { "\(base)|\(quote)" }
}

/// Default topic names (architecture.md).
public enum PipelineTopics {
    public static let candles = "prices.candles"
    public static let candlesDLQ = "prices.candles.dlq"
    public static let fxRates = "fx.rates"
    public static let producerState = "prices.producer-state"
    /// Partition count of `prices.candles` when it is created.
    public static let candlePartitions = 12
    /// Partition count of `fx.rates` when it is created.
    public static let fxPartitions = 1
}

/// The dead-letter headers (architecture.md).
public enum DeadLetterHeaders {
    public static let reason = "error.reason"
    public static let stage = "error.stage"
    public static let sourceTopic = "source.topic"
    public static let sourcePartition = "source.partition"
    public static let sourceOffset = "source.offset"
}

/// Milliseconds in a day.
public let millisecondsPerDay: Int64 = 86_400_000
