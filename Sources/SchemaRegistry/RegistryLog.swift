import Foundation
import Kafka
import Logging
import Synchronization

/// The ordered, durable log the registry's state is built from.
public protocol RegistryLog: Sendable {
    /// Appends a record; returns once the log has stored it.
    func append(_ record: RegistryLogRecord) async throws
    /// Returns the next records in log order (waiting briefly when there are none).
    func poll() async throws -> [(offset: Int64, bytes: [UInt8]?)]
    /// The offset after the last record in the log, as last seen (for lag metrics).
    var endOffset: Int64? { get }
}

enum RegistryLogCodec {
    static func encode(_ record: RegistryLogRecord) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(record))
    }

    static func decode(_ bytes: [UInt8]) -> RegistryLogRecord? {
        try? JSONDecoder().decode(RegistryLogRecord.self, from: Data(bytes))
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

    public func append(_ record: RegistryLogRecord) async throws {
        let key: [UInt8]
        if case .noop = record.command {
            key = Array(#"{"keytype":"NOOP","instance":"\#(instanceID)"}"#.utf8)
        } else {
            key = Array(#"{"keytype":"COMMAND","request":"\#(record.requestID)"}"#.utf8)
        }
        _ = try await producer.send(KafkaProducerRecord(topic: partition.topic, partition: 0, key: key, value: try RegistryLogCodec.encode(record)))
    }

    public func poll() async throws -> [(offset: Int64, bytes: [UInt8]?)] {
        try await consumer.poll(maxRecords: 500, timeout: .milliseconds(100)).map { ($0.offset, $0.value) }
    }

    public var endOffset: Int64? { consumer.cachedWatermarks(partition)?.high }

    /// Flushes the producer and leaves.
    public func close() async {
        try? await producer.close(timeout: .seconds(5))
        try? await consumer.close()
    }
}

/// A log in memory, for tests and single-process use.
public final class InMemoryRegistryLog: RegistryLog {
    private let readerID: Int
    private let shared: InMemoryRegistryLogStorage

    /// A new, empty log.
    public convenience init() { self.init(storage: InMemoryRegistryLogStorage()) }

    /// Another reader of the same log (a second instance).
    public func anotherReader() -> InMemoryRegistryLog { InMemoryRegistryLog(storage: shared) }

    private init(storage: InMemoryRegistryLogStorage) {
        shared = storage
        readerID = storage.newReader()
    }

    public func append(_ record: RegistryLogRecord) async throws {
        shared.append(try RegistryLogCodec.encode(record))
    }

    public func poll() async throws -> [(offset: Int64, bytes: [UInt8]?)] {
        try await shared.read(reader: readerID)
    }

    public var endOffset: Int64? { shared.count }
}

/// Records shared by the readers of an in-memory log.
final class InMemoryRegistryLogStorage: Sendable {
    private struct State {
        var records: [[UInt8]] = []
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

    func append(_ bytes: [UInt8]) { state.withLock { $0.records.append(bytes) } }

    var count: Int64 { state.withLock { Int64($0.records.count) } }

    func read(reader: Int) async throws -> [(offset: Int64, bytes: [UInt8]?)] {
        for _ in 0..<20 {
            let batch: [(offset: Int64, bytes: [UInt8]?)] = state.withLock { s in
                let from = s.positions[reader] ?? 0
                s.positions[reader] = s.records.count
                return (from..<s.records.count).map { (Int64($0), s.records[$0]) }
            }
            if !batch.isEmpty { return batch }
            try await Task.sleep(for: .milliseconds(2))
        }
        return []
    }
}
