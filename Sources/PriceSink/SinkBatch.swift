import Kafka
import PriceModel

/// A record the sink could not store, on its way to the dead-letter topic.
public struct DeadLetter: Sendable {
    public var record: KafkaRecord
    public var reason: DeadLetterReason
}

/// What one batch of consumed records turns into: rows to write, records to dead-letter,
/// and the offsets to store. Built without I/O.
public struct SinkBatch: Sendable {
    /// One candle per key (`source, base, quote, interval, open_time`): the last by `fetched_at`,
    /// then by offset.
    public var candles: [Candle] = []
    /// One rate per `(base, quote, date, source)`: the last by offset.
    public var rates: [FxRate] = []
    public var deadLetters: [DeadLetter] = []
    /// Per partition: the last consumed offset + 1.
    public var nextOffsets: [KafkaTopicPartition: Int64] = [:]
    /// Records read (before deduplication).
    public var recordCount = 0
    /// The oldest and newest record timestamps (milliseconds), for end-to-end latency.
    public var timestamps: ClosedRange<Int64>?

    public init() {}

    /// A decoded record.
    public enum Decoded: Sendable {
        case candle(Candle)
        case rate(FxRate)
    }

    struct CandleKey: Hashable {
        var source: String, base: String, quote: String, interval: String, openTime: Int64
    }
    struct RateKey: Hashable {
        var base: String, quote: String, date: Int32, source: String
    }

    /// Builds a batch from records in consumption order with their decoding outcome.
    /// Candles and rates are normalised and validated here; invalid ones become dead letters.
    /// - Parameter positions: the consumer's positions after the batch; where one is past the
    ///   last record (skipped transaction markers) it is the offset stored.
    public static func build(_ items: [(KafkaRecord, Result<Decoded, DeadLetterReason>)], now: Int64,
                             positions: [KafkaTopicPartition: Int64] = [:]) -> SinkBatch {
        var batch = SinkBatch()
        batch.recordCount = items.count
        var candleIndex: [CandleKey: Int] = [:]
        var rateIndex: [RateKey: Int] = [:]
        for (record, outcome) in items {
            let tp = record.topicPartition
            batch.nextOffsets[tp] = max(batch.nextOffsets[tp] ?? 0, record.offset + 1)
            if let t = record.timestampMilliseconds {
                batch.timestamps = batch.timestamps.map { min($0.lowerBound, t)...max($0.upperBound, t) } ?? t...t
            }
            switch outcome {
            case .failure(let reason):
                batch.deadLetters.append(DeadLetter(record: record, reason: reason))
            case .success(.candle(let raw)):
                let c = CandleRules.normalised(raw)
                if let problem = CandleRules.problem(with: c, now: now) {
                    batch.deadLetters.append(DeadLetter(record: record, reason: problem))
                    continue
                }
                let key = CandleKey(source: c.source, base: c.base, quote: c.quote, interval: c.interval, openTime: c.openTime)
                if let i = candleIndex[key] {
                    if c.fetchedAt >= batch.candles[i].fetchedAt { batch.candles[i] = c }
                } else {
                    candleIndex[key] = batch.candles.count
                    batch.candles.append(c)
                }
            case .success(.rate(let raw)):
                let r = CandleRules.normalised(raw)
                if let problem = CandleRules.problem(with: r) {
                    batch.deadLetters.append(DeadLetter(record: record, reason: problem))
                    continue
                }
                let key = RateKey(base: r.base, quote: r.quote, date: r.date, source: r.source)
                if let i = rateIndex[key] {
                    batch.rates[i] = r
                } else {
                    rateIndex[key] = batch.rates.count
                    batch.rates.append(r)
                }
            }
        }
        for (tp, next) in batch.nextOffsets {
            if let position = positions[tp], position > next { batch.nextOffsets[tp] = position }
        }
        return batch
    }
}
