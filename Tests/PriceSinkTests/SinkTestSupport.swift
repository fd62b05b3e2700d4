import Avro
import Foundation
import Kafka
import Logging
import Postgres
import PriceModel
import PriceSink
import ServiceSupport
import Synchronization
import Testing

/// Writer schemas by id, as a registry would hand them out; can be switched "down".
final class FixedWriterSchemas: WriterSchemaSource {
    private let schemas: [Int: AvroParsedSchema]
    let down = Mutex(false)
    let lookups = Mutex(0)

    init(_ schemas: [Int: AvroParsedSchema]) { self.schemas = schemas }

    func writerSchema(id: Int) async throws -> AvroParsedSchema {
        lookups.withLock { $0 += 1 }
        if down.withLock({ $0 }) { throw RegistryUnavailable(message: "test registry is down") }
        guard let s = schemas[id] else { throw DeadLetterReason(stage: "decode", kind: "unknown_schema", message: "schema id \(id) is not in the registry") }
        return s
    }
}

/// Candle v2: v1 plus a field with a default.
let candleV2Text = RecordSchemas.candleText.replacingOccurrences(
    of: #"{"name":"fetched_at","type":{"type":"long","logicalType":"timestamp-millis"}}]}"#,
    with: #"{"name":"fetched_at","type":{"type":"long","logicalType":"timestamp-millis"}},{"name":"trades","type":["null","long"],"default":null}]}"#)

enum SinkTestEnvironment {
    static var databaseURL: String {
        get throws {
            guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty else {
                throw PostgresError(.connection, "DATABASE_URL is not set: run the tests with scripts/test")
            }
            return url
        }
    }

    static var bootstrapServers: String {
        get throws {
            guard let value = ProcessInfo.processInfo.environment["KAFKA_BOOTSTRAP_SERVERS"], !value.isEmpty else {
                throw PostgresError(.connection, "KAFKA_BOOTSTRAP_SERVERS is not set: run the tests with scripts/test")
            }
            return value
        }
    }

    static func unique(_ prefix: String) -> String { "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())" }

    static func quiet(_ label: String, _ level: Logger.Level = .warning) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = level
        return logger
    }

    static func kafka() throws -> KafkaClientConfiguration {
        KafkaClientConfiguration(bootstrapServers: try bootstrapServers, logger: quiet("kafka.test", .error))
    }

    /// A fresh database schema and a URL whose connections use it.
    static func freshSchema() async throws -> (url: String, schema: String) {
        let base = try databaseURL
        let schema = "s_\(UUID().uuidString.prefix(8).lowercased())"
        let db = try await PostgresConnection.connect(url: base)
        try await db.query("CREATE SCHEMA \(schema)")
        await db.close()
        let separator = base.contains("?") ? "&" : "?"
        return (base + "\(separator)options=-csearch_path%3D\(schema)", schema)
    }

    /// A sink configuration on unique topics in a fresh database schema.
    static func sinkConfiguration() async throws -> SinkConfiguration {
        let (url, _) = try await freshSchema()
        var config = SinkConfiguration(kafka: try kafka(), databaseURL: url)
        let id = unique("t")
        config.candleTopic = "candles-\(id)"
        config.fxTopic = "fx-\(id)"
        config.dlqTopic = "dlq-\(id)"
        config.group = "sink-\(id)"
        config.candlePartitions = 3
        config.sessionTimeout = .seconds(6)
        config.maxBatchWait = .milliseconds(100)
        return config
    }

    static func createTopics(_ config: SinkConfiguration) async throws {
        let admin = try KafkaAdmin(configuration: config.kafka)
        try await admin.createTopics([
            KafkaNewTopic(name: config.candleTopic, partitions: config.candlePartitions),
            KafkaNewTopic(name: config.fxTopic, partitions: 1),
            KafkaNewTopic(name: config.dlqTopic, partitions: config.candlePartitions),
        ])
    }

    static func framed(_ value: AvroValue, schema: AvroParsedSchema, id: Int32) throws -> [UInt8] {
        ConfluentFraming.frame(schemaID: id, payload: try AvroBinaryCodec(schema: schema).encode(value))
    }

    static func candleRecord(_ c: Candle, topic: String, schemaID: Int32 = 1) throws -> KafkaProducerRecord {
        KafkaProducerRecord(topic: topic, key: Array(c.key.utf8), value: try framed(c.avroValue, schema: RecordSchemas.candle, id: schemaID))
    }

    static func rateRecord(_ r: FxRate, topic: String) throws -> KafkaProducerRecord {
        KafkaProducerRecord(topic: topic, key: Array(r.key.utf8), value: try framed(r.avroValue, schema: RecordSchemas.fxRate, id: 3))
    }

    static let schemas: [Int: AvroParsedSchema] = [
        1: RecordSchemas.candle,
        2: try! AvroParsedSchema(parsing: candleV2Text),
        3: RecordSchemas.fxRate,
    ]

    /// A day as milliseconds: 2024-03-01 + `n` days.
    static func day(_ n: Int) -> Int64 { (19_783 + Int64(n)) * millisecondsPerDay }

    static func candle(_ base: String = "BTC", quote: String = "USD", source: String = "cryptocompare", day n: Int, close: Double = 100) -> Candle {
        Candle(source: source, base: base, quote: quote, interval: "1d", openTime: day(n), open: close * 0.99, high: close * 1.02,
               low: close * 0.97, close: close, volume: 12.5, marketCap: nil, fetchedAt: day(n) + 3_600_000)
    }

    /// Runs a sink until `body` returns, then stops it (as SIGTERM would).
    static func withSink<T: Sendable>(_ config: SinkConfiguration, schemas: FixedWriterSchemas,
                                      _ body: @escaping @Sendable (PriceSinkService) async throws -> T) async throws -> T {
        let sink = PriceSinkService(configuration: config, schemas: schemas, readiness: ServiceReadiness(), logger: quiet("sink.test"))
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await sink.run(); return nil }
            group.addTask {
                defer { sink.stop() }
                return try await body(sink)
            }
            var result: T?
            for try await value in group { if let value { result = value } }
            return result!
        }
    }

    static func query(_ config: SinkConfiguration, _ sql: String) async throws -> [PostgresRow] {
        let db = try await PostgresConnection.connect(url: config.databaseURL)
        let rows = try await db.query(sql).rows
        await db.close()
        return rows
    }

    /// Produces records and remembers, per partition, the offset after the last one: what
    /// the sink must store once it has caught up (exact on any broker, test-broker.md).
    static func produce(_ records: [KafkaProducerRecord], into expected: inout [KafkaTopicPartition: Int64]) async throws {
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: try kafka()))
        for report in try await producer.send(records) {
            let tp = KafkaTopicPartition(topic: report.topic, partition: report.partition)
            expected[tp] = max(expected[tp] ?? 0, report.offset + 1)
        }
        try await producer.close()
    }

    /// Waits until the sink's stored offsets reach `expected`.
    static func waitStored(_ config: SinkConfiguration, _ expected: [KafkaTopicPartition: Int64], timeout: Duration = .seconds(60)) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var stored: [KafkaTopicPartition: Int64?] = [:]
        while clock.now < deadline {
            let db = try await PostgresConnection.connect(url: config.databaseURL)
            let migrated = try await db.query("SELECT to_regclass('sink_offsets') IS NOT NULL AS p").rows[0].decode("p", as: Bool.self)
            if migrated { stored = try await Warehouse.storedOffsets(db, group: config.group, partitions: Array(expected.keys)) }
            await db.close()
            if migrated, expected.allSatisfy({ (stored[$0.key] ?? nil) ?? -1 >= $0.value }) { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        Issue.record("the sink did not catch up: stored \(stored), expected \(expected)")
    }

    /// Reads every record of `topic` from the beginning.
    static func readAll(_ topic: String, partitions: Int, expect count: Int) async throws -> [KafkaRecord] {
        var consumerConfig = KafkaConsumerConfiguration(client: try kafka(), groupID: unique("reader"))
        consumerConfig.sessionTimeout = .seconds(6)
        let consumer = try KafkaConsumer(configuration: consumerConfig)
        var assignment: [KafkaTopicPartition: KafkaOffset] = [:]
        for p in 0..<partitions { assignment[KafkaTopicPartition(topic: topic, partition: Int32(p))] = .beginning }
        try consumer.assign(assignment)
        var records: [KafkaRecord] = []
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(20)
        while records.count < count, clock.now < deadline {
            records += try await consumer.poll(maxRecords: 1000, timeout: .milliseconds(200))
        }
        try await consumer.close()
        return records
    }
}
