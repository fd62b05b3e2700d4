import Avro
import Foundation
import Kafka
import Logging
import Synchronization

/// One record read from the registry log.
public struct RegistryLogEntry: Sendable, Hashable {
    /// The record's offset in the log.
    public var offset: Int64
    /// The record's key; nil when it has none.
    public var key: [UInt8]?
    /// The record's value; nil for a tombstone.
    public var value: [UInt8]?

    /// An entry as read at `offset`.
    public init(offset: Int64, key: [UInt8]?, value: [UInt8]?) {
        self.offset = offset
        self.key = key
        self.value = value
    }
}

/// The ordered, durable log the registry's state is built from.
public protocol RegistryLog: Sendable {
    /// Appends a record; returns once the log has stored it.
    func append(_ record: RegistryLogRecord) async throws
    /// Returns the next records in log order (waiting briefly when there are none).
    func poll() async throws -> [RegistryLogEntry]
    /// The offset after the last record in the log, as last seen (for lag metrics).
    var endOffset: Int64? { get }
    /// The offset after the last record in the log, asked of the log now: a reader that has
    /// read up to it has seen every record appended before the call. nil when the log cannot
    /// tell (the registry then appends a marker record and waits for it instead).
    func fetchEndOffset() async throws -> Int64?
}

extension RegistryLog {
    /// This log cannot tell its end offset.
    public func fetchEndOffset() async throws -> Int64? { nil }
}

/// Record keys and values of the registry log.
enum RegistryLogCodec {
    /// What a log entry holds, as far as this registry is concerned.
    enum Decoded: Sendable {
        /// A record of ours in a format this code applies.
        case record(RegistryLogRecord)
        /// A record whose key is not one this registry writes: not ours, skipped.
        case foreign
        /// A record of ours written in a newer format than this code applies.
        case newerFormat(Int)
        /// A record of ours that cannot be read.
        case unreadable(String)
    }

    /// The key of a command record.
    static func commandKey(requestID: String) -> [UInt8] {
        Array(JSONValue.object([("keytype", .string("COMMAND")), ("request", .string(requestID))]).compactText.utf8)
    }

    /// The key of an instance's sync markers (one per instance, so compaction keeps only the latest).
    static func markerKey(instanceID: String) -> [UInt8] {
        Array(JSONValue.object([("keytype", .string("NOOP")), ("instance", .string(instanceID))]).compactText.utf8)
    }

    /// The key `record` is appended under by the instance `instanceID`.
    static func key(for record: RegistryLogRecord, instanceID: String) -> [UInt8] {
        if case .noop = record.command { return markerKey(instanceID: instanceID) }
        return commandKey(requestID: record.requestID)
    }

    /// Whether `key` is one this registry writes: a JSON object with `keytype` COMMAND and a
    /// `request`, or NOOP and an `instance`. Anything else (Confluent's own keys among them)
    /// is foreign.
    static func isOurs(key: [UInt8]?) -> Bool {
        guard let key, key.first == UInt8(ascii: "{"), let json = try? JSONValue(parsing: key, maxDepth: 4) else { return false }
        switch json["keytype"]?.stringValue {
        case "COMMAND": return json["request"]?.stringValue != nil
        case "NOOP": return json["instance"]?.stringValue != nil
        default: return false
        }
    }

    static func encode(_ record: RegistryLogRecord) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(record))
    }

    private struct Header: Decodable {
        var v: Int?
    }

    /// Classifies one entry: foreign records are told apart by their key, so that a record of
    /// ours that cannot be read is never skipped silently.
    static func decode(_ entry: RegistryLogEntry) -> Decoded {
        guard isOurs(key: entry.key) else { return .foreign }
        guard let value = entry.value else { return .unreadable("the record has no value") }
        let data = Data(value)
        let version: Int
        do {
            version = try JSONDecoder().decode(Header.self, from: data).v ?? 1
        } catch {
            return .unreadable("the value is not a JSON object with a numeric \"v\": \(error)")
        }
        guard version >= 1 else { return .unreadable("format version \(version) does not exist") }
        guard version <= RegistryLogRecord.currentFormatVersion else { return .newerFormat(version) }
        do {
            return .record(try JSONDecoder().decode(RegistryLogRecord.self, from: data))
        } catch {
            return .unreadable("the value is not a format \(version) record: \(error)")
        }
    }
}

/// The registry log in a compacted, single-partition Kafka topic. Every command has a unique
/// key (its request id), so compaction never drops one; the sync markers (`noop`) of an
/// instance share one key, so compaction keeps only the latest.
public final class KafkaRegistryLog: RegistryLog {
    private let producer: KafkaProducer
    private let consumer: KafkaConsumer
    private let partition: KafkaTopicPartition
    private let instanceID = UUID().uuidString

    /// Creates the topic if missing (1 partition, `cleanup.policy=compact`) and starts
    /// reading it from the beginning.
    public static func open(topic: String, client: KafkaClientConfiguration, replicationFactor: Int = 1) async throws -> KafkaRegistryLog {
        let admin = try KafkaAdmin(configuration: client)
        try await admin.createTopics([KafkaNewTopic(name: topic, partitions: 1, replicationFactor: replicationFactor,
                                                    configs: ["cleanup.policy": "compact"])])
        var producerConfig = KafkaProducerConfiguration(client: client)
        producerConfig.linger = .milliseconds(1)
        producerConfig.compression = .none
        let producer = try KafkaProducer(configuration: producerConfig)
        // Tail the log with short fetch waits: a write is answered only once it is read back.
        var tailing = client
        tailing.properties = ["fetch.wait.max.ms": "20"].merging(client.properties) { _, raw in raw }
        var consumerConfig = KafkaConsumerConfiguration(client: tailing, groupID: "schema-registry-\(UUID().uuidString)")
        consumerConfig.autoOffsetReset = .earliest
        let consumer = try KafkaConsumer(configuration: consumerConfig)
        let partition = KafkaTopicPartition(topic: topic, partition: 0)
        try consumer.assign([partition: .beginning])
        return KafkaRegistryLog(producer: producer, consumer: consumer, partition: partition)
    }

    private init(producer: KafkaProducer, consumer: KafkaConsumer, partition: KafkaTopicPartition) {
        self.producer = producer
        self.consumer = consumer
        self.partition = partition
    }

    /// Produces `record` (keyed by its request id, or this instance's marker key) and waits for the broker's ack.
    public func append(_ record: RegistryLogRecord) async throws {
        let key = RegistryLogCodec.key(for: record, instanceID: instanceID)
        _ = try await producer.send(KafkaProducerRecord(topic: partition.topic, partition: 0, key: key, value: try RegistryLogCodec.encode(record)))
    }

    /// The next records of the partition (up to 500, waiting at most 100 ms).
    public func poll() async throws -> [RegistryLogEntry] {
        try await consumer.poll(maxRecords: 500, timeout: .milliseconds(100)).map {
            RegistryLogEntry(offset: $0.offset, key: $0.key, value: $0.value)
        }
    }

    /// The high watermark the consumer last saw.
    public var endOffset: Int64? { consumer.cachedWatermarks(partition)?.high }

    /// The partition's high watermark, asked of the broker.
    public func fetchEndOffset() async throws -> Int64? {
        try await consumer.watermarks(partition, timeout: .seconds(10)).high
    }

    /// Flushes the producer and leaves.
    public func close() async {
        try? await producer.close(timeout: .seconds(5))
        try? await consumer.close()
    }
}

/// A log in memory, for tests and single-process use.
public final class InMemoryRegistryLog: RegistryLog {
    private let readerID: Int
    private let instanceID = UUID().uuidString
    private let shared: InMemoryRegistryLogStorage

    /// A new, empty log.
    public convenience init() { self.init(storage: InMemoryRegistryLogStorage()) }

    /// Another reader of the same log (a second instance).
    public func anotherReader() -> InMemoryRegistryLog { InMemoryRegistryLog(storage: shared) }

    private init(storage: InMemoryRegistryLogStorage) {
        shared = storage
        readerID = storage.newReader()
    }

    /// Appends `record` under the key the Kafka log would give it.
    public func append(_ record: RegistryLogRecord) async throws {
        shared.append(key: RegistryLogCodec.key(for: record, instanceID: instanceID), value: try RegistryLogCodec.encode(record))
    }

    /// Appends a record as it is, bypassing the codec (to test what other writers may leave in a log).
    public func appendRaw(key: [UInt8]?, value: [UInt8]?) {
        shared.append(key: key, value: value)
    }

    /// This reader's next records (waiting up to about 40 ms for one).
    public func poll() async throws -> [RegistryLogEntry] {
        try await shared.read(reader: readerID)
    }

    /// The number of records in the log.
    public var endOffset: Int64? { shared.count }

    /// The number of records in the log.
    public func fetchEndOffset() async throws -> Int64? { shared.count }
}

/// Records shared by the readers of an in-memory log.
final class InMemoryRegistryLogStorage: Sendable {
    private struct State {
        var records: [(key: [UInt8]?, value: [UInt8]?)] = []
        var positions: [Int: Int] = [:]
        var nextReader = 0
    }
    private let state = Mutex(State())

    func newReader() -> Int {
        state.withLock { s in
            defer { s.nextReader += 1 }
            s.positions[s.nextReader] = 0
            return s.nextReader
        }
    }

    func append(key: [UInt8]?, value: [UInt8]?) { state.withLock { $0.records.append((key, value)) } }

    var count: Int64 { state.withLock { Int64($0.records.count) } }

    func read(reader: Int) async throws -> [RegistryLogEntry] {
        for _ in 0..<20 {
            let batch: [RegistryLogEntry] = state.withLock { s in
                let from = s.positions[reader] ?? 0
                s.positions[reader] = s.records.count
                return (from..<s.records.count).map { RegistryLogEntry(offset: Int64($0), key: s.records[$0].key, value: s.records[$0].value) }
            }
            if !batch.isEmpty { return batch }
            try await Task.sleep(for: .milliseconds(2))
        }
        return []
    }
}
