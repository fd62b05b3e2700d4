import ArgumentParser
import Foundation
import Hummingbird
import Kafka
import Logging
import PriceProducer
import PriceSources
import SchemaRegistryClient
import ServiceLifecycle
import ServiceSupport

@main
struct PriceProducerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "price-producer",
        abstract: "Collects daily candles (history and live) and USD→INR reference rates from price APIs into Kafka, exactly once.",
        subcommands: [Run.self, Backfill.self, Check.self],
        defaultSubcommand: Run.self)
}

/// The sources whose base URL can be set (`--<name>-base-url` / `PRODUCER_<NAME>_BASE_URL`).
let sourceNames = ["cryptocompare", "binance", "coinbase", "kraken", "coingecko", "alphavantage", "frankfurter", "fred"]
/// API keys: `<NAME>_API_KEY`, or a file named by `<NAME>_API_KEY_FILE`.
let keyedSources = ["cryptocompare", "alphavantage", "coingecko", "fred"]

struct ProducerOptions: ParsableArguments {
    @OptionGroup var common: CommonServiceOptions

    @Option(help: "Schema registry URL (env SCHEMA_REGISTRY_URL).")
    var schemaRegistryURL: String?

    @Option(help: "Registry basic-auth credentials user:password (env SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO).")
    var schemaRegistryUserInfo: String?

    @Option(help: "Instruments BASE/QUOTE, comma-separated (env PRODUCER_INSTRUMENTS; default BTC, ETH, SOL, XRP, ADA, DOGE in USD and INR).")
    var instruments: String?

    @Option(help: "Candle sources in order, comma-separated (env PRODUCER_SOURCES; default cryptocompare).")
    var sources: String?

    @Option(help: "FX sources, first preferred (env PRODUCER_FX_SOURCES; default frankfurter,fred; 'none' disables FX).")
    var fxSources: String?

    @Option(help: "Earliest day to backfill, YYYY-MM-DD (env PRODUCER_FIRST_DAY; default 2010-07-17).")
    var firstDay: String?

    @Option(help: "Seconds between live polls (env PRODUCER_POLL_INTERVAL_SECONDS; default 60).")
    var pollIntervalSeconds: Int?

    @Option(help: "Kafka transactional id; a second producer with the same id fences the first (env PRODUCER_TRANSACTIONAL_ID; default price-producer).")
    var transactionalID: String?

    @Option(help: "Candle topic (env PRODUCER_TOPIC; default prices.candles).")
    var topic: String?

    @Option(help: "Reference-rate topic (env PRODUCER_FX_TOPIC; default fx.rates).")
    var fxTopic: String?

    @Option(help: "Dead-letter topic (env PRODUCER_DLQ_TOPIC; default prices.candles.dlq).")
    var dlqTopic: String?

    @Option(help: "Cursor topic (env PRODUCER_STATE_TOPIC; default prices.producer-state).")
    var stateTopic: String?

    @Option(help: "Partitions of topics the producer creates (env PRODUCER_TOPIC_PARTITIONS; default 12).")
    var topicPartitions: Int?

    @Option(help: "Replication factor of topics the producer creates (env PRODUCER_TOPIC_REPLICATION_FACTOR; default 1).")
    var topicReplicationFactor: Int?

    @Option(help: "Base URL of CryptoCompare (env PRODUCER_CRYPTOCOMPARE_BASE_URL).") var cryptocompareBaseURL: String?
    @Option(help: "Base URL of Binance (env PRODUCER_BINANCE_BASE_URL).") var binanceBaseURL: String?
    @Option(help: "Base URL of Coinbase Exchange (env PRODUCER_COINBASE_BASE_URL).") var coinbaseBaseURL: String?
    @Option(help: "Base URL of Kraken (env PRODUCER_KRAKEN_BASE_URL).") var krakenBaseURL: String?
    @Option(help: "Base URL of CoinGecko (env PRODUCER_COINGECKO_BASE_URL).") var coingeckoBaseURL: String?
    @Option(help: "Base URL of Alpha Vantage (env PRODUCER_ALPHAVANTAGE_BASE_URL).") var alphavantageBaseURL: String?
    @Option(help: "Base URL of Frankfurter (env PRODUCER_FRANKFURTER_BASE_URL).") var frankfurterBaseURL: String?
    @Option(help: "Base URL of FRED, for the CSV and (with FRED_API_KEY) the JSON API (env PRODUCER_FRED_BASE_URL).") var fredBaseURL: String?

    @Flag(help: "CoinGecko paid plan: Pro host and header (env COINGECKO_PRO=true).")
    var coingeckoPro = false

    func baseURLFlags() -> [String: String?] {
        ["cryptocompare": cryptocompareBaseURL, "binance": binanceBaseURL, "coinbase": coinbaseBaseURL, "kraken": krakenBaseURL,
         "coingecko": coingeckoBaseURL, "alphavantage": alphavantageBaseURL, "frankfurter": frankfurterBaseURL, "fred": fredBaseURL]
    }

    /// Everything resolved and checked, or a `ConfigurationError` naming the flag and variable.
    func resolve(environment env: ServiceEnvironment = ServiceEnvironment(), baseURLOverride: [String: String] = [:]) throws -> (ProducerConfiguration, ResolvedServiceOptions) {
        let options = try common.resolve(environment: env, defaultHTTPPort: 8082)
        let registryURL = try env.require(flag: schemaRegistryURL, flagName: "--schema-registry-url", env: "SCHEMA_REGISTRY_URL")
        guard registryURL.hasPrefix("http://") || registryURL.hasPrefix("https://") else {
            throw ConfigurationError("SCHEMA_REGISTRY_URL / --schema-registry-url must start with http:// or https://")
        }
        var registry = SchemaRegistryClient.Configuration(baseURL: registryURL, requestTimeout: .seconds(10))
        if let info = env.value(flag: schemaRegistryUserInfo, env: "SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO") {
            guard let colon = info.firstIndex(of: ":") else {
                throw ConfigurationError("SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO / --schema-registry-user-info must be user:password")
            }
            registry.username = String(info[..<colon])
            registry.password = String(info[info.index(after: colon)...])
        }
        var keys: [String: String] = [:]
        for name in keyedSources {
            let variable = name.uppercased() + "_API_KEY"
            if let value = env.value(flag: nil, env: variable) {
                keys[name] = value
            } else if let file = env.value(flag: nil, env: variable + "_FILE") {
                guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                    throw ConfigurationError("\(variable)_FILE names \(file), which cannot be read")
                }
                keys[name] = text.trimmingCharacters(in: .whitespacesAndNewlines)
            }
        }
        var baseURLs: [String: String] = [:]
        for (name, flag) in baseURLFlags() {
            if let url = baseURLOverride[name] ?? env.value(flag: flag, env: "PRODUCER_\(name.uppercased())_BASE_URL") {
                guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                    throw ConfigurationError("--\(name)-base-url / PRODUCER_\(name.uppercased())_BASE_URL must start with http:// or https://, got \(url)")
                }
                baseURLs[name] = url
            }
        }
        // FRED has two endpoints: the keyless CSV and, with FRED_API_KEY, the JSON API. One base
        // URL (a mirror, the fixture server) stands for both, else a key would bypass it.
        if let fred = baseURLs["fred"] { baseURLs["fred_api"] = baseURLOverride["fred_api"] ?? fred }
        let settings = SourceSettings(apiKeys: keys, baseURLs: baseURLs,
                                      coinGeckoPro: coingeckoPro || env.value(flag: nil, env: "COINGECKO_PRO") == "true")
        var kafka = KafkaClientConfiguration(bootstrapServers: options.kafkaBootstrapServers, logger: Logger(label: "price-producer.kafka"))
        kafka.clientID = "price-producer"
        kafka.properties = options.kafkaProperties
        var instrumentList = ProducerConfiguration.defaultInstruments
        if let text = env.value(flag: instruments, env: "PRODUCER_INSTRUMENTS") {
            instrumentList = try text.split(separator: ",").map { part in
                guard let i = Instrument(String(part).trimmingCharacters(in: .whitespaces)), i.isWellFormed else {
                    throw ConfigurationError("--instruments / PRODUCER_INSTRUMENTS: '\(part)' is not BASE/QUOTE (for example BTC/USD)")
                }
                return i
            }
        }
        var config = ProducerConfiguration(kafka: kafka, registry: registry, settings: settings, instruments: instrumentList)
        if let text = env.value(flag: sources, env: "PRODUCER_SOURCES") {
            config.sources = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        }
        if let text = env.value(flag: fxSources, env: "PRODUCER_FX_SOURCES") {
            if text == "none" { config.fxEnabled = false } else { config.fxSources = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() } }
        }
        if let text = env.value(flag: firstDay, env: "PRODUCER_FIRST_DAY") {
            guard let day = UTCDay(iso: text) else { throw ConfigurationError("--first-day / PRODUCER_FIRST_DAY must be YYYY-MM-DD, got \(text)") }
            config.firstDay = day
        }
        let poll = try env.integer(flag: pollIntervalSeconds, flagName: "--poll-interval-seconds", env: "PRODUCER_POLL_INTERVAL_SECONDS", default: 60)
        guard poll > 0 else { throw ConfigurationError("--poll-interval-seconds / PRODUCER_POLL_INTERVAL_SECONDS must be positive") }
        config.pollInterval = .seconds(poll)
        config.transactionalID = env.value(flag: transactionalID, env: "PRODUCER_TRANSACTIONAL_ID", default: "price-producer")!
        config.topics.candles = env.value(flag: topic, env: "PRODUCER_TOPIC", default: config.topics.candles)!
        config.topics.fxRates = env.value(flag: fxTopic, env: "PRODUCER_FX_TOPIC", default: config.topics.fxRates)!
        config.topics.deadLetters = env.value(flag: dlqTopic, env: "PRODUCER_DLQ_TOPIC", default: config.topics.deadLetters)!
        config.topics.state = env.value(flag: stateTopic, env: "PRODUCER_STATE_TOPIC", default: config.topics.state)!
        config.candlePartitions = try env.integer(flag: topicPartitions, flagName: "--topic-partitions", env: "PRODUCER_TOPIC_PARTITIONS", default: 12)
        config.replicationFactor = try env.integer(flag: topicReplicationFactor, flagName: "--topic-replication-factor", env: "PRODUCER_TOPIC_REPLICATION_FACTOR", default: 1)
        guard config.candlePartitions > 0, config.replicationFactor > 0 else {
            throw ConfigurationError("--topic-partitions / PRODUCER_TOPIC_PARTITIONS and --topic-replication-factor / PRODUCER_TOPIC_REPLICATION_FACTOR must be positive")
        }
        let topicNames = [config.topics.candles, config.topics.fxRates, config.topics.deadLetters, config.topics.state]
        if Set(topicNames).count != topicNames.count {
            throw ConfigurationError("the candle, FX, dead-letter and state topics must differ (--topic / PRODUCER_TOPIC, --fx-topic / PRODUCER_FX_TOPIC, --dlq-topic / PRODUCER_DLQ_TOPIC, --state-topic / PRODUCER_STATE_TOPIC)")
        }
        config.progressOnTerminal = isatty(STDOUT_FILENO) == 1
        return (config, options)
    }
}

/// Starts the producer service with its HTTP endpoint.
func runProducer(_ config: ProducerConfiguration, _ service: ResolvedServiceOptions) async throws {
    let metrics = ServiceObservability.bootstrap(logLevel: service.logLevel)
    let logger = Logger(label: "price-producer")
    let readiness = ServiceReadiness()
    let producer = PriceProducerService(configuration: config, readiness: readiness, logger: logger)
    try producer.validate()
    let router = Router()
    router.addOperationalRoutes(metrics: metrics, readiness: readiness)
    router.get("/") { _, _ -> Response in
        Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(string: await ProducerStatusPage.render(producer))))
    }
    let app = Application(router: router, configuration: .init(address: .hostname(service.httpHost, port: service.httpPort), serverName: "price-producer"),
                          logger: logger)
    logger.info("starting", metadata: ["instruments": "\(config.instruments.count)", "sources": "\(config.sources)", "http": "\(service.httpHost):\(service.httpPort)"])
    if config.mode == .run {
        try await runServiceGroup([producer, app], logger: logger)
    } else {
        // A bounded backfill ends the process when it is done (SIGTERM still stops it early).
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: producer, successTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        let stats = producer.status
        print("backfill done: \(stats.reduce(0) { $0 + $1.publishedNow }) candles published now (\(stats.reduce(0) { $0 + $1.published }) in all) for \(stats.count) instruments; known gap days \(stats.reduce(0) { $0 + $1.gapDays })")
    }
}

extension PriceProducerCommand {
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Backfill every instrument from its first day, then poll live (the default).")
        @OptionGroup var options: ProducerOptions
        @Flag(help: "Serve the price APIs from the bundled fixture server (synthesised history) instead of the internet (env PRODUCER_OFFLINE=true).")
        var offline = false

        func run() async throws {
            let offlineURLs = try await OfflineFixtures.startIfAsked(flag: offline)
            let (config, service) = try options.resolve(baseURLOverride: offlineURLs)
            try await runProducer(config, service)
        }
    }

    struct Backfill: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Backfill a bounded range and exit.")
        @OptionGroup var options: ProducerOptions
        @Option(help: "First day, YYYY-MM-DD.") var from: String
        @Option(help: "Last day, YYYY-MM-DD (default yesterday).") var to: String?
        @Option(help: "Only this source.") var source: String?
        @Option(help: "Only this instrument, BASE/QUOTE.") var instrument: String?
        @Flag(help: "Use the bundled fixture server (env PRODUCER_OFFLINE=true).") var offline = false

        func run() async throws {
            let offlineURLs = try await OfflineFixtures.startIfAsked(flag: offline)
            var (config, service) = try options.resolve(baseURLOverride: offlineURLs)
            guard let fromDay = UTCDay(iso: from) else { throw ValidationError("--from must be YYYY-MM-DD, got \(from)") }
            let toDay = try to.map { text -> UTCDay in
                guard let d = UTCDay(iso: text) else { throw ValidationError("--to must be YYYY-MM-DD, got \(text)") }
                return d
            } ?? UTCDay(containing: Date()).advanced(by: -1)
            guard fromDay <= toDay else { throw ValidationError("--from \(from) is after --to") }
            config.mode = .backfill(from: fromDay, to: toDay)
            if let source { config.sources = [source.lowercased()] }
            if let instrument {
                guard let i = Instrument(instrument), i.isWellFormed else { throw ValidationError("--instrument must be BASE/QUOTE, got \(instrument)") }
                config.instruments = [i]
            }
            try await runProducer(config, service)
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Validate the configuration and reach each source, the broker and the registry; one line per check.")
        @OptionGroup var options: ProducerOptions
        @Flag(help: "Check against the bundled fixture server.") var offline = false

        func run() async throws {
            let offlineURLs = try await OfflineFixtures.startIfAsked(flag: offline)
            let config: ProducerConfiguration
            do {
                config = try options.resolve(baseURLOverride: offlineURLs).0
                try PriceProducerService(configuration: config, readiness: ServiceReadiness(), logger: Logger(label: "check")).validate()
            } catch {
                print("FAIL configuration: \(error)")
                throw ExitCode(2)
            }
            print("ok   configuration (\(config.instruments.count) instruments from \(config.sources.joined(separator: ", ")))")
            ServiceObservability.bootstrap(logLevel: .critical)
            let results = await ProducerCheck.run(configuration: config)
            for line in results { print(line.rendered) }
            if results.contains(where: { !$0.ok }) { throw ExitCode(1) }
        }
    }
}
