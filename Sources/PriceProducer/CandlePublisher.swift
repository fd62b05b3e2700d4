import Avro
import Foundation
import Kafka
import Logging
import Metrics
import PriceModel
import PriceSources

/// Where the producer writes.
public struct ProducerTopics: Sendable {
    public var candles = PipelineTopics.candles
    public var fxRates = PipelineTopics.fxRates
    public var deadLetters = PipelineTopics.candlesDLQ
    public var state = PipelineTopics.producerState
    public init() {}
}

/// A row a source sent that is not a candle: dead-lettered with its raw text.
public struct SourceDeadLetter: Sendable {
    public var key: String
    public var raw: String
    public var reason: String
}

/// Publishes each page in one Kafka transaction: its candles (or rates), its dead letters
/// and the cursor that covers them. After a crash the next start resumes after the last
/// committed cursor, so nothing is published twice by the producer and nothing is skipped.
/// Transactions are serialised here; fetching runs concurrently elsewhere.
public actor CandlePublisher {
    private let producer: KafkaProducer
    private let topics: ProducerTopics
    private let candleSchemaID: Int32
    private let fxSchemaID: Int32
    private let candleCodec: AvroBinaryCodec
    private let fxCodec: AvroBinaryCodec
    private let logger: Logger
    /// One transaction at a time: `publish` suspends (sends, commit), and actor reentrancy
    /// would otherwise let a second page begin inside the first's transaction.
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    private func lock() async {
        if !busy { busy = true; return }
        await withCheckedContinuation { waiting.append($0) }
    }

    private func unlock() {
        if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
    }

    public init(producer: KafkaProducer, topics: ProducerTopics, candleSchemaID: Int32, fxSchemaID: Int32, logger: Logger) throws {
        self.producer = producer
        self.topics = topics
        self.candleSchemaID = candleSchemaID
        self.fxSchemaID = fxSchemaID
        candleCodec = try AvroBinaryCodec(schema: RecordSchemas.candle)
        fxCodec = try AvroBinaryCodec(schema: RecordSchemas.fxRate)
        self.logger = logger
    }

    /// Encodes a candle in the Confluent wire format.
    public func encode(_ candle: Candle) throws -> [UInt8] {
        ConfluentFraming.frame(schemaID: candleSchemaID, payload: try candleCodec.encode(candle.avroValue))
    }

    /// Publishes candles, dead letters and the cursor atomically.
    /// - Throws: a fatal `KafkaError` when this producer was fenced (another instance took over).
    public func publish(candles: [Candle], rates: [FxRate] = [], deadLetters: [SourceDeadLetter], cursor: ProducerCursor) async throws {
        var records: [KafkaProducerRecord] = []
        records.reserveCapacity(candles.count + rates.count + deadLetters.count + 1)
        for c in candles {
            records.append(KafkaProducerRecord(topic: topics.candles, key: Array(c.key.utf8), value: try encode(c), timestampMilliseconds: c.fetchedAt))
        }
        for r in rates {
            records.append(KafkaProducerRecord(topic: topics.fxRates, key: Array(r.key.utf8),
                                               value: ConfluentFraming.frame(schemaID: fxSchemaID, payload: try fxCodec.encode(r.avroValue))))
        }
        for d in deadLetters {
            records.append(KafkaProducerRecord(topic: topics.deadLetters, key: Array(d.key.utf8), value: Array(d.raw.utf8), headers: [
                KafkaHeader(key: DeadLetterHeaders.reason, value: Array(d.reason.utf8)),
                KafkaHeader(key: DeadLetterHeaders.stage, value: Array("source".utf8)),
                KafkaHeader(key: "source.api", value: Array(cursor.source.utf8)),
            ]))
        }
        records.append(KafkaProducerRecord(topic: topics.state, key: Array(cursor.key.utf8), value: cursor.encoded()))
        await lock()
        defer { unlock() }
        var attempt = 0
        while true {
            attempt += 1
            do {
                try producer.beginTransaction()
                _ = try await producer.send(records)
                try await commitWithRetries()
                Counter(label: "producer_candles_published_total", dimensions: [("source", cursor.source)]).increment(by: candles.count)
                if !rates.isEmpty { Counter(label: "producer_fx_rates_published_total", dimensions: [("source", cursor.source)]).increment(by: rates.count) }
                for d in deadLetters { Counter(label: "producer_dead_letters_total", dimensions: [("source", cursor.source), ("reason", d.reason.prefix { $0 != ":" }.description)]).increment() }
                return
            } catch let error as KafkaError where !error.isFatal && attempt < 10 {
                logger.warning("transaction failed, aborting and retrying: \(error)")
                do { try await producer.abortTransaction() } catch let abort as KafkaError where abort.isFatal { throw abort } catch {}
                try await Task.sleep(for: .milliseconds(200 * attempt))
            }
        }
    }

    private func commitWithRetries() async throws {
        for attempt in 1...5 {
            do {
                return try await producer.commitTransaction()
            } catch let error as KafkaError where error.isRetriable && !error.requiresAbort && attempt < 5 {
                try await Task.sleep(for: .milliseconds(100 * attempt))
            }
        }
    }
}

/// Reads the committed cursors of `prices.producer-state` (read_committed), after
/// `initTransactions` aborted whatever a predecessor left open.
public enum ProducerStateReader {
    public static func read(topic: String, kafka: KafkaClientConfiguration, logger: Logger) async throws -> [String: ProducerCursor] {
        let admin = try KafkaAdmin(configuration: kafka)
        guard let partitions = try await admin.listTopics()[topic] else { return [:] }
        var config = KafkaConsumerConfiguration(client: kafka, groupID: "price-producer-state-reader")
        config.isolationLevel = .readCommitted
        let consumer = try KafkaConsumer(configuration: config)
        var assignment: [KafkaTopicPartition: KafkaOffset] = [:]
        var ends: [KafkaTopicPartition: Int64] = [:]
        for p in 0..<Int32(partitions) {
            let tp = KafkaTopicPartition(topic: topic, partition: p)
            assignment[tp] = .beginning
            let marks = try await consumer.watermarks(tp)
            if marks.high > marks.low { ends[tp] = marks.high }
        }
        try consumer.assign(assignment)
        var cursors: [String: ProducerCursor] = [:]
        var reached: Set<KafkaTopicPartition> = []
        let clock = ContinuousClock()
        var idleSince = clock.now
        while reached.count < ends.count {
            let records = try await consumer.poll(maxRecords: 5000, timeout: .milliseconds(200))
            if records.isEmpty {
                // The last records of a transactional topic are commit markers, never delivered.
                if clock.now - idleSince > .seconds(3) { break }
                continue
            }
            idleSince = clock.now
            for r in records {
                if let key = r.key.map({ String(decoding: $0, as: UTF8.self) }) {
                    if let value = r.value, let cursor = ProducerCursor.decode(value) { cursors[key] = cursor } else if r.value == nil { cursors[key] = nil }
                }
                if let end = ends[r.topicPartition], r.offset + 2 >= end { reached.insert(r.topicPartition) }
            }
        }
        try await consumer.close()
        logger.info("read producer state", metadata: ["cursors": "\(cursors.count)"])
        return cursors
    }
}
