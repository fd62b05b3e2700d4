import Foundation
import Kafka
import Logging
import Postgres
import SchemaRegistryClient
import ServiceSupport

/// Runs `body` on a new connection to `url` and closes it on every path.
func withSinkConnection<T: Sendable>(_ url: String, logger: Logger, _ body: (PostgresConnection) async throws -> T) async throws -> T {
    let db = try await PostgresConnection.connect(url: url, logger: logger)
    do {
        let value = try await body(db)
        await db.close()
        return value
    } catch {
        await db.close()
        throw error
    }
}

/// `price-sink status`: where each partition stands.
public struct SinkStatus: Sendable {
    public struct Partition: Sendable {
        public var partition: KafkaTopicPartition
        public var endOffset: Int64
        public var storedNextOffset: Int64?
        /// Records not yet in Postgres.
        public var lag: Int64 { max(0, endOffset - (storedNextOffset ?? 0)) }
    }
    public var group: String
    public var partitions: [Partition]
    /// Rows per source, base and quote: (rows, first day, last day).
    public var rows: [(source: String, base: String, quote: String, rows: Int64, first: String, last: String)]
    public var deadLetters: Int64

    public var totalLag: Int64 { partitions.reduce(0) { $0 + $1.lag } }

    /// Reads the broker's end offsets, the stored offsets and the row counts.
    public static func collect(configuration config: SinkConfiguration) async throws -> SinkStatus {
        let admin = try KafkaAdmin(configuration: config.kafka)
        var ends: [KafkaTopicPartition: Int64] = [:]
        let topics = try await admin.listTopics()
        for topic in config.topics where topics[topic] != nil {
            ends.merge(try await admin.endOffsets(topic: topic)) { a, _ in a }
        }
        var dead: Int64 = 0
        if topics[config.dlqTopic] != nil {
            dead = try await admin.endOffsets(topic: config.dlqTopic).values.reduce(0, +)
        }
        return try await withSinkConnection(config.databaseURL, logger: config.kafka.logger) { db in
            let migrated = try await db.query("SELECT to_regclass('sink_offsets') IS NOT NULL AS present").rows.first?.decode("present", as: Bool.self) ?? false
            let stored = migrated ? try await Warehouse.storedOffsets(db, group: config.group, partitions: Array(ends.keys)) : [:]
            let partitions = ends.keys.sorted { ($0.topic, $0.partition) < ($1.topic, $1.partition) }.map {
                Partition(partition: $0, endOffset: ends[$0] ?? 0, storedNextOffset: stored[$0] ?? nil)
            }
            var rows: [(String, String, String, Int64, String, String)] = []
            if migrated {
                for row in try await db.query("""
                    SELECT source, base, quote, count(*) AS n, min(open_time)::date::text AS first, max(open_time)::date::text AS last
                    FROM prices GROUP BY source, base, quote ORDER BY source, base, quote
                    """).rows {
                    rows.append((try row.decode("source"), try row.decode("base"), try row.decode("quote"), try row.decode("n"),
                                 try row.decode("first"), try row.decode("last")))
                }
            }
            return SinkStatus(group: config.group, partitions: partitions, rows: rows.map { ($0.0, $0.1, $0.2, $0.3, $0.4, $0.5) }, deadLetters: dead)
        }
    }

    /// A plain-text report.
    public var rendered: String {
        var out = "group \(group)\n"
        out += "topic                partition   end offset  stored next        lag\n"
        for p in partitions {
            out += "\(p.partition.topic.padding(toLength: 20, withPad: " ", startingAt: 0)) \(pad(p.partition.partition, 9)) \(pad(p.endOffset, 12)) \(pad(p.storedNextOffset.map(String.init) ?? "-", 12)) \(pad(p.lag, 10))\n"
        }
        out += "total lag \(totalLag); dead letters \(deadLetters)\n"
        for r in rows { out += "rows \(r.source) \(r.base)/\(r.quote): \(r.rows) (\(r.first) … \(r.last))\n" }
        return out
    }

    private func pad(_ v: some CustomStringConvertible, _ width: Int) -> String {
        let s = v.description
        return String(repeating: " ", count: max(0, width - s.count)) + s
    }
}

/// `price-sink replay`: move a group's stored offsets so that its sinks re-consume.
public enum SinkReplay {
    public enum Start: Sendable {
        case earliest
        /// Milliseconds since the epoch.
        case time(Int64)
    }

    /// Resets the stored offsets of every partition of the sink's topics.
    /// - Returns: how many partitions were reset.
    public static func reset(configuration config: SinkConfiguration, from start: Start) async throws -> Int {
        // Asked of the broker before the connection is opened.
        var times: [KafkaTopicPartition: Int64] = [:]
        var offsets: [KafkaTopicPartition: Int64?] = [:]
        var ends: [KafkaTopicPartition: Int64] = [:]
        if case .time(let millis) = start {
            let admin = try KafkaAdmin(configuration: config.kafka)
            for topic in config.topics { ends.merge(try await admin.endOffsets(topic: topic)) { a, _ in a } }
            for tp in ends.keys { times[tp] = millis }
            let consumer = try KafkaConsumer(configuration: KafkaConsumerConfiguration(client: config.kafka, groupID: config.group + "-replay-lookup"))
            offsets = try await consumer.offsets(forTimes: times)
            try await consumer.close()
        }
        let found = offsets, endOffsets = ends
        return try await withSinkConnection(config.databaseURL, logger: config.kafka.logger) { db in
        try await Warehouse.migrate(db)
        switch start {
        case .earliest:
            // No stored offset means "from the earliest offset" (architecture.md).
            return try await db.query("DELETE FROM sink_offsets WHERE consumer_group = $1 AND topic = ANY($2)",
                                      [.text(config.group), .array(config.topics.map { .text($0) }, elementOID: 25)]).affectedRows
        case .time:
            var statements: [PostgresConnection.Statement] = [.init("BEGIN")]
            for (tp, offset) in found {
                // No record at or after the time: start at the end.
                let next = offset ?? endOffsets[tp] ?? 0
                statements.append(.init("""
                    INSERT INTO sink_offsets (consumer_group, topic, partition, next_offset) VALUES ($1, $2, $3, $4)
                    ON CONFLICT (consumer_group, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = now()
                    """, [.text(config.group), .text(tp.topic), .int32(tp.partition), .int64(next)]))
            }
            statements.append(.init("COMMIT"))
            try await db.pipeline(statements)
            return found.count
        }
        }
    }
}

/// `price-sink check`: one line per dependency.
public enum SinkCheck {
    public struct Result: Sendable {
        public var ok: Bool
        public var name: String
        public var detail: String
        public var rendered: String { "\(ok ? "ok  " : "FAIL") \(name): \(detail)" }
    }

    public static func run(configuration config: SinkConfiguration, registry: SchemaRegistryClient.Configuration) async -> [Result] {
        var results: [Result] = []
        do {
            let db = try await PostgresConnection.connect(url: config.databaseURL, logger: config.kafka.logger)
            let version = try await db.query("SHOW server_version").rows.first?.decode("server_version", as: String.self) ?? "?"
            await db.close()
            results.append(Result(ok: true, name: "postgres", detail: "reachable (server \(version))"))
        } catch {
            results.append(Result(ok: false, name: "postgres", detail: "\(error) — check DATABASE_URL and that the server accepts connections"))
        }
        do {
            let admin = try KafkaAdmin(configuration: config.kafka)
            let topics = try await admin.listTopics(timeout: .seconds(5))
            let missing = config.topics.filter { topics[$0] == nil }
            results.append(Result(ok: true, name: "kafka", detail: "reachable (\(topics.count) topics\(missing.isEmpty ? "" : "; the sink will create \(missing.joined(separator: ", "))"))"))
        } catch {
            results.append(Result(ok: false, name: "kafka", detail: "\(error) — check KAFKA_BOOTSTRAP_SERVERS and KAFKA_PROPERTIES (TLS/SASL)"))
        }
        do {
            let client = SchemaRegistryClient(configuration: registry)
            let subjects = try await client.subjects()
            results.append(Result(ok: true, name: "schema registry", detail: "reachable (\(subjects.count) subjects)"))
        } catch {
            results.append(Result(ok: false, name: "schema registry", detail: "\(error) — check SCHEMA_REGISTRY_URL and its credentials"))
        }
        return results
    }
}

/// `price-sink replay --into-schema NAME [--swap]`: rebuild the whole warehouse from the topics
/// into a fresh Postgres schema (for a new transformation, or a lost database), then optionally
/// swap it in atomically.
public enum SinkRebuild {
    /// Why a rebuild cannot go ahead.
    public struct RebuildError: Error, Sendable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// The database URL whose sessions use `schema` (libpq `options=-csearch_path=…`).
    public static func url(_ base: String, schema: String) -> String {
        base + (base.contains("?") ? "&" : "?") + "options=-csearch_path%3D\(schema)"
    }

    /// The consumer group a rebuild into `schema` uses.
    public static func group(_ group: String, schema: String) -> String { "\(group).rebuild.\(schema)" }

    /// Runs a sink into `schema` until it has consumed every topic to its end, then stops it;
    /// with `swap`, renames the current schema away and `schema` into its place in one
    /// transaction, and gives the live group the rebuilt offsets (running sinks notice within
    /// seconds and go on from there).
    /// - Returns: rows in the rebuilt `prices`.
    public static func run(configuration config: SinkConfiguration, schema: String, swap: Bool, schemas: any WriterSchemaSource,
                           logger: Logger, timeout: Duration = .seconds(3600)) async throws -> Int64 {
        guard schema.range(of: "^[a-z_][a-z0-9_]{0,62}$", options: .regularExpression) != nil else {
            throw RebuildError(message: "--into-schema must be a lower-case SQL name (letters, digits, _), got \(schema)")
        }
        let db = try await PostgresConnection.connect(url: config.databaseURL, logger: logger)
        let live = try await db.query("SELECT current_schema() AS s").rows.first?.decode("s", as: String.self) ?? "public"
        guard live != schema else { throw RebuildError(message: "--into-schema \(schema) is the live schema") }
        let exists = try await db.query("SELECT count(*) AS n FROM pg_tables WHERE schemaname = $1 AND tablename = 'prices'", [.text(schema)])
            .rows[0].decode("n", as: Int64.self)
        guard exists == 0 else { throw RebuildError(message: "schema \(schema) already holds a warehouse: drop it or pick another name") }
        try await db.query("CREATE SCHEMA IF NOT EXISTS \(PostgresIdentifier.quoted(schema))")

        var settings = config
        settings.databaseURL = url(config.databaseURL, schema: schema)
        settings.group = group(config.group, schema: schema)
        let rebuild = settings
        let sink = PriceSinkService(configuration: rebuild, schemas: schemas, readiness: ServiceReadiness(), logger: logger)
        let admin = try KafkaAdmin(configuration: config.kafka)
        var ends: [KafkaTopicPartition: Int64] = [:]
        for topic in config.topics { ends.merge(try await admin.endOffsets(topic: topic)) { a, _ in a } }
        let targets = ends
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await sink.run() }
            group.addTask {
                defer { sink.stop() }
                let target = try await PostgresConnection.connect(url: rebuild.databaseURL, logger: logger)
                let clock = ContinuousClock()
                let deadline = clock.now + timeout
                while clock.now < deadline {
                    try await Task.sleep(for: .milliseconds(500))
                    guard try await target.query("SELECT to_regclass('sink_offsets') IS NOT NULL AS p").rows[0].decode("p", as: Bool.self) else { continue }
                    let stored = try await Warehouse.storedOffsets(target, group: rebuild.group, partitions: Array(targets.keys))
                    if targets.allSatisfy({ $0.value == 0 || ((stored[$0.key] ?? nil) ?? -1) >= $0.value }) {
                        await target.close()
                        return
                    }
                }
                await target.close()
                throw RebuildError(message: "the rebuild into \(schema) did not reach the end of the topics within \(timeout)")
            }
            try await group.waitForAll()
        }
        let rows = try await db.query("SELECT count(*) AS n FROM \(PostgresIdentifier.quoted(schema)).prices").rows[0].decode("n", as: Int64.self)
        if swap {
            let retired = "\(live)_before_\(schema)"
            try await db.pipeline([
                .init("BEGIN"),
                .init("ALTER SCHEMA \(PostgresIdentifier.quoted(live)) RENAME TO \(PostgresIdentifier.quoted(retired))"),
                .init("ALTER SCHEMA \(PostgresIdentifier.quoted(schema)) RENAME TO \(PostgresIdentifier.quoted(live))"),
                .init("""
                    INSERT INTO \(PostgresIdentifier.quoted(live)).sink_offsets (consumer_group, topic, partition, next_offset)
                    SELECT $1, topic, partition, next_offset FROM \(PostgresIdentifier.quoted(live)).sink_offsets WHERE consumer_group = $2
                    ON CONFLICT (consumer_group, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = now()
                    """, [.text(config.group), .text(rebuild.group)]),
                .init("COMMIT"),
            ])
        }
        await db.close()
        return rows
    }
}
