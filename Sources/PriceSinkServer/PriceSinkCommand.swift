import ArgumentParser
import Foundation
import Hummingbird
import Kafka
import Logging
import Postgres
import PriceSink
import SchemaRegistryClient
import ServiceSupport

@main
struct PriceSinkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "price-sink",
        abstract: "Writes candles and reference rates from Kafka to Postgres, exactly once.",
        subcommands: [Run.self, Status.self, Replay.self, Check.self],
        defaultSubcommand: Run.self)
}

/// Options every price-sink subcommand takes.
struct SinkOptions: ParsableArguments {
    @OptionGroup var common: CommonServiceOptions

    @Option(help: "Schema registry URL (env SCHEMA_REGISTRY_URL).")
    var schemaRegistryURL: String?

    @Option(help: "Registry basic-auth credentials user:password (env SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO).")
    var schemaRegistryUserInfo: String?

    @Option(help: "Postgres URL, postgresql://user:password@host:port/db?sslmode=… (env DATABASE_URL).")
    var databaseURL: String?

    @Option(help: "Consumer group; also the key of the stored offsets (env SINK_GROUP; default price-sink).")
    var group: String?

    @Option(help: "Candle topic (env SINK_TOPIC; default prices.candles).")
    var topic: String?

    @Option(help: "Dead-letter topic (env SINK_DLQ_TOPIC; default prices.candles.dlq).")
    var dlqTopic: String?

    @Option(help: "Reference-rate topic (env SINK_FX_TOPIC; default fx.rates).")
    var fxTopic: String?

    @Option(help: "Largest batch in records (env SINK_MAX_BATCH_RECORDS; default 50000).")
    var maxBatchRecords: Int?
    @Option(help: "Postgres connections writing a batch's partitions in parallel, each group in its own transaction (env SINK_WRITERS; default 2).")
    var writers: Int?

    @Option(help: "Largest batch in bytes (env SINK_MAX_BATCH_BYTES; default 16777216).")
    var maxBatchBytes: Int?

    @Option(help: "Longest a batch waits to fill, in milliseconds (env SINK_MAX_BATCH_WAIT_MS; default 200).")
    var maxBatchWaitMs: Int?

    @Option(help: "Partitions of the topics when the sink creates them (env SINK_TOPIC_PARTITIONS; default 12).")
    var topicPartitions: Int?

    @Option(help: "Replication factor of topics the sink creates (env SINK_TOPIC_REPLICATION_FACTOR; default 1).")
    var topicReplicationFactor: Int?

    @Option(help: "Consumer session timeout in milliseconds (env SINK_SESSION_TIMEOUT_MS; default 10000).")
    var sessionTimeoutMs: Int?

    /// Everything resolved and checked, or a `ConfigurationError` naming the flag and variable.
    func resolve(environment env: ServiceEnvironment = ServiceEnvironment()) throws -> (SinkConfiguration, ResolvedServiceOptions, SchemaRegistryClient.Configuration) {
        let options = try common.resolve(environment: env, defaultHTTPPort: 8083)
        let databaseURL = try env.require(flag: databaseURL, flagName: "--database-url", env: "DATABASE_URL")
        guard databaseURL.hasPrefix("postgres://") || databaseURL.hasPrefix("postgresql://") || databaseURL.contains("=") else {
            throw ConfigurationError("DATABASE_URL / --database-url must be a postgresql:// URL or a libpq key=value string")
        }
        let registryURL = try env.require(flag: schemaRegistryURL, flagName: "--schema-registry-url", env: "SCHEMA_REGISTRY_URL")
        guard registryURL.hasPrefix("http://") || registryURL.hasPrefix("https://") else {
            throw ConfigurationError("SCHEMA_REGISTRY_URL / --schema-registry-url must start with http:// or https://")
        }
        var kafka = KafkaClientConfiguration(bootstrapServers: options.kafkaBootstrapServers, logger: Logger(label: "price-sink.kafka"))
        kafka.clientID = "price-sink"
        kafka.properties = options.kafkaProperties
        var config = SinkConfiguration(kafka: kafka, databaseURL: databaseURL)
        config.group = env.value(flag: group, env: "SINK_GROUP", default: "price-sink")!
        config.candleTopic = env.value(flag: topic, env: "SINK_TOPIC", default: config.candleTopic)!
        config.dlqTopic = env.value(flag: dlqTopic, env: "SINK_DLQ_TOPIC", default: config.dlqTopic)!
        config.fxTopic = env.value(flag: fxTopic, env: "SINK_FX_TOPIC", default: config.fxTopic)!
        config.writers = try positive(env.integer(flag: writers, flagName: "--writers", env: "SINK_WRITERS", default: 2),
                                      "--writers / SINK_WRITERS")
        config.maxBatchRecords = try positive(env.integer(flag: maxBatchRecords, flagName: "--max-batch-records", env: "SINK_MAX_BATCH_RECORDS", default: 50_000),
                                              "--max-batch-records / SINK_MAX_BATCH_RECORDS")
        config.maxBatchBytes = try positive(env.integer(flag: maxBatchBytes, flagName: "--max-batch-bytes", env: "SINK_MAX_BATCH_BYTES", default: 16 << 20),
                                            "--max-batch-bytes / SINK_MAX_BATCH_BYTES")
        config.maxBatchWait = .milliseconds(try positive(env.integer(flag: maxBatchWaitMs, flagName: "--max-batch-wait-ms", env: "SINK_MAX_BATCH_WAIT_MS", default: 200),
                                                          "--max-batch-wait-ms / SINK_MAX_BATCH_WAIT_MS"))
        config.candlePartitions = try positive(env.integer(flag: topicPartitions, flagName: "--topic-partitions", env: "SINK_TOPIC_PARTITIONS", default: 12),
                                               "--topic-partitions / SINK_TOPIC_PARTITIONS")
        config.replicationFactor = try positive(env.integer(flag: topicReplicationFactor, flagName: "--topic-replication-factor", env: "SINK_TOPIC_REPLICATION_FACTOR", default: 1),
                                                "--topic-replication-factor / SINK_TOPIC_REPLICATION_FACTOR")
        config.sessionTimeout = .milliseconds(try positive(env.integer(flag: sessionTimeoutMs, flagName: "--session-timeout-ms", env: "SINK_SESSION_TIMEOUT_MS", default: 10_000),
                                                            "--session-timeout-ms / SINK_SESSION_TIMEOUT_MS"))
        if Set([config.candleTopic, config.fxTopic, config.dlqTopic]).count != 3 {
            throw ConfigurationError("the candle, FX and dead-letter topics must differ (--topic / SINK_TOPIC, --fx-topic / SINK_FX_TOPIC, --dlq-topic / SINK_DLQ_TOPIC)")
        }
        var registry = SchemaRegistryClient.Configuration(baseURL: registryURL, requestTimeout: .seconds(10))
        if let info = env.value(flag: schemaRegistryUserInfo, env: "SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO") {
            guard let colon = info.firstIndex(of: ":") else {
                throw ConfigurationError("SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO / --schema-registry-user-info must be user:password")
            }
            registry.username = String(info[..<colon])
            registry.password = String(info[info.index(after: colon)...])
        }
        return (config, options, registry)
    }

    private func positive(_ value: Int, _ names: String) throws -> Int {
        guard value > 0 else { throw ConfigurationError("\(names) must be a positive number, got \(value)") }
        return value
    }
}

extension PriceSinkCommand {
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Consume and write until SIGTERM (the default).")
        @OptionGroup var options: SinkOptions

        func run() async throws {
            let (config, service, registryConfig) = try options.resolve()
            let metrics = ServiceObservability.bootstrap(logLevel: service.logLevel)
            let logger = Logger(label: "price-sink")
            let readiness = ServiceReadiness()
            let registry = SchemaRegistryClient(configuration: registryConfig)
            let sink = PriceSinkService(configuration: config, schemas: registry, readiness: readiness, logger: logger)
            let router = Router()
            router.addOperationalRoutes(metrics: metrics, readiness: readiness)
            let pageDB = StatusPageConnection(url: config.databaseURL)
            router.get("/") { _, _ -> Response in
                do {
                    let html = try await SinkStatusPage.render(connection: try await pageDB.connection(), runtime: sink.snapshot())
                    return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
                } catch {
                    return Response(status: .serviceUnavailable, headers: [.contentType: "text/plain; charset=utf-8"],
                                    body: .init(byteBuffer: ByteBuffer(string: "status page unavailable: \(error)\n")))
                }
            }
            let app = Application(router: router, configuration: .init(address: .hostname(service.httpHost, port: service.httpPort),
                                                                      serverName: "price-sink"),
                                  logger: logger)
            logger.info("starting", metadata: ["group": "\(config.group)", "topics": "\(config.topics)", "http": "\(service.httpHost):\(service.httpPort)"])
            try await runServiceGroup([sink, app], logger: logger)
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Per partition: the broker's end offset, the stored next offset and the lag; rows and dead letters.")
        @OptionGroup var options: SinkOptions

        func run() async throws {
            let (config, service, _) = try options.resolve()
            ServiceObservability.bootstrap(logLevel: service.logLevel == .info ? .warning : service.logLevel)
            let report = try await SinkStatus.collect(configuration: config)
            print(report.rendered, terminator: "")
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Reset the group's stored offsets so that the sinks re-consume (the tables end up identical).")
        @OptionGroup var options: SinkOptions

        @Option(help: "earliest, or an RFC 3339 time (offsets-for-times picks the first record at or after it).")
        var from: String?

        @Option(help: "Rebuild the whole warehouse from the topics into this new Postgres schema instead (its own consumer group).")
        var intoSchema: String?

        @Flag(help: "With --into-schema: when the rebuild has caught up, swap it in for the live schema in one transaction.")
        var swap = false

        func validate() throws {
            if (from == nil) == (intoSchema == nil) { throw ValidationError("give either --from earliest|<RFC 3339 time> or --into-schema NAME") }
            if swap && intoSchema == nil { throw ValidationError("--swap goes with --into-schema") }
        }

        func run() async throws {
            let (config, service, registryConfig) = try options.resolve()
            ServiceObservability.bootstrap(logLevel: service.logLevel == .info ? .warning : service.logLevel)
            if let schema = intoSchema {
                let rows = try await SinkRebuild.run(configuration: config, schema: schema, swap: swap,
                                                     schemas: SchemaRegistryClient(configuration: registryConfig), logger: Logger(label: "price-sink.rebuild"))
                print("replay: rebuilt \(rows) rows into schema \(schema)\(swap ? " and swapped it in (the old schema is kept as <live>_before_\(schema))" : "")")
                return
            }
            guard let from else { return }
            let start: SinkReplay.Start
            if from == "earliest" {
                start = .earliest
            } else if let date = ISO8601DateFormatter().date(from: from) {
                start = .time(Int64(date.timeIntervalSince1970 * 1000))
            } else {
                throw ValidationError("--from must be earliest or an RFC 3339 time such as 2024-03-01T00:00:00Z, got \(from)")
            }
            let changed = try await SinkReplay.reset(configuration: config, from: start)
            print("replay: reset \(changed) stored offsets of group \(config.group); running sinks re-read from there within seconds")
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Validate the configuration and reach Postgres, Kafka and the registry; one line per check.")
        @OptionGroup var options: SinkOptions

        func run() async throws {
            let resolved: (SinkConfiguration, ResolvedServiceOptions, SchemaRegistryClient.Configuration)
            do {
                resolved = try options.resolve()
            } catch {
                print("FAIL configuration: \(error)")
                throw ExitCode(2)
            }
            print("ok   configuration")
            ServiceObservability.bootstrap(logLevel: .critical)
            let results = await SinkCheck.run(configuration: resolved.0, registry: resolved.2)
            for line in results { print(line.rendered) }
            if results.contains(where: { !$0.ok }) { throw ExitCode(1) }
        }
    }
}

/// A lazily opened connection for the status page, re-opened after it broke.
actor StatusPageConnection {
    private let url: String
    private var current: PostgresConnection?
    init(url: String) { self.url = url }
    func connection() async throws -> PostgresConnection {
        if let c = current, c.isUsable { return c }
        let c = try await PostgresConnection.connect(url: url, statementTimeout: .seconds(10), logger: Logger(label: "price-sink.page"))
        current = c
        return c
    }
}
