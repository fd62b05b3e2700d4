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

    /// One consumed record, decoded, normalised and checked: a row to write or a dead letter.
    /// Only a dead letter keeps the record itself (its bytes and headers go to the DLQ).
    public struct Item: Sendable {
        public enum Outcome: Sendable {
            case candle(Candle)
            case rate(FxRate)
            case deadLetter(DeadLetter)
        }
        public var topicPartition: KafkaTopicPartition
        public var offset: Int64
        public var timestamp: Int64?
        public var outcome: Outcome

        /// Normalises and validates a decoded record.
        /// - Parameter now: the current time, milliseconds since the epoch.
        public init(record: KafkaRecord, decoded: Result<Decoded, DeadLetterReason>, now: Int64) {
            topicPartition = record.topicPartition
            offset = record.offset
            timestamp = record.timestampMilliseconds
            switch decoded {
            case .failure(let reason):
                outcome = .deadLetter(DeadLetter(record: record, reason: reason))
            case .success(.candle(let raw)):
                let c = CandleRules.normalised(raw)
                if let problem = CandleRules.problem(with: c, now: now) {
                    outcome = .deadLetter(DeadLetter(record: record, reason: problem))
                } else {
                    outcome = .candle(c)
                }
            case .success(.rate(let raw)):
                let r = CandleRules.normalised(raw)
                if let problem = CandleRules.problem(with: r) {
                    outcome = .deadLetter(DeadLetter(record: record, reason: problem))
                } else {
                    outcome = .rate(r)
                }
            }
        }
    }

    /// The deduplication key of a candle. Compared and hashed by bytes, as Postgres compares
    /// the key's text columns (and cheaper than Unicode-aware string hashing).
    struct CandleKey: Hashable {
        var source: String, base: String, quote: String, interval: String, openTime: Int64

        static func == (a: CandleKey, b: CandleKey) -> Bool {
            a.openTime == b.openTime && a.base.utf8.elementsEqual(b.base.utf8) && a.quote.utf8.elementsEqual(b.quote.utf8)
                && a.source.utf8.elementsEqual(b.source.utf8) && a.interval.utf8.elementsEqual(b.interval.utf8)
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(openTime)
            Self.combine(source, into: &hasher)
            Self.combine(base, into: &hasher)
            Self.combine(quote, into: &hasher)
            Self.combine(interval, into: &hasher)
        }

        private static func combine(_ text: String, into hasher: inout Hasher) {
            var text = text
            text.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
            hasher.combine(UInt8(0xFF))
        }
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
        build(items.map { Item(record: $0.0, decoded: $0.1, now: now) }, positions: positions)
    }

    /// Splits items into at most `count` groups of whole partitions, balanced by items, each in
    /// consumption order: the groups can be written by parallel transactions, since every
    /// partition's offsets and keys stay in one of them.
    public static func split(_ items: [Item], into count: Int) -> [[Item]] {
        var perPartition: [KafkaTopicPartition: Int] = [:]
        for item in items { perPartition[item.topicPartition, default: 0] += 1 }
        guard count > 1, perPartition.count > 1 else { return items.isEmpty ? [] : [items] }
        var load = [Int](repeating: 0, count: min(count, perPartition.count))
        var groupOf: [KafkaTopicPartition: Int] = [:]
        let largestFirst = perPartition.sorted { ($0.value, $1.key.topic, $1.key.partition) > ($1.value, $0.key.topic, $0.key.partition) }
        for (tp, n) in largestFirst {
            let lightest = load.indices.min { load[$0] < load[$1] }!
            groupOf[tp] = lightest
            load[lightest] += n
        }
        var groups = load.map { n -> [Item] in var g: [Item] = []; g.reserveCapacity(n); return g }
        for item in items { groups[groupOf[item.topicPartition]!].append(item) }
        return groups
    }

    /// Builds a batch from checked items in consumption order: deduplicates, collects the dead
    /// letters and the offsets to store.
    public static func build(_ items: [Item], positions: [KafkaTopicPartition: Int64] = [:]) -> SinkBatch {
        var batch = SinkBatch()
        batch.recordCount = items.count
        batch.candles.reserveCapacity(items.count)
        var candleIndex: [CandleKey: Int] = [:]
        candleIndex.reserveCapacity(items.count)
        var rateIndex: [RateKey: Int] = [:]
        var lastPartition: KafkaTopicPartition?
        var lastNext: Int64 = 0
        for item in items {
            // Records come in runs of one partition: update the map once per run.
            if item.topicPartition != lastPartition {
                if let tp = lastPartition { batch.nextOffsets[tp] = max(batch.nextOffsets[tp] ?? 0, lastNext) }
                lastPartition = item.topicPartition
                lastNext = 0
            }
            lastNext = max(lastNext, item.offset + 1)
            if let t = item.timestamp {
                batch.timestamps = batch.timestamps.map { min($0.lowerBound, t)...max($0.upperBound, t) } ?? t...t
            }
            switch item.outcome {
            case .deadLetter(let letter):
                batch.deadLetters.append(letter)
            case .candle(let c):
                let key = CandleKey(source: c.source, base: c.base, quote: c.quote, interval: c.interval, openTime: c.openTime)
                if let i = candleIndex[key] {
                    if c.fetchedAt >= batch.candles[i].fetchedAt { batch.candles[i] = c }
                } else {
                    candleIndex[key] = batch.candles.count
                    batch.candles.append(c)
                }
            case .rate(let r):
                let key = RateKey(base: r.base, quote: r.quote, date: r.date, source: r.source)
                if let i = rateIndex[key] {
                    batch.rates[i] = r
                } else {
                    rateIndex[key] = batch.rates.count
                    batch.rates.append(r)
                }
            }
        }
        if let tp = lastPartition { batch.nextOffsets[tp] = max(batch.nextOffsets[tp] ?? 0, lastNext) }
        for (tp, next) in batch.nextOffsets {
            if let position = positions[tp], position > next { batch.nextOffsets[tp] = position }
        }
        return batch
    }
}
