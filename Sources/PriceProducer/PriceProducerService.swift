import Foundation
import HTTPClient
import Kafka
import Logging
import Metrics
import PriceModel
import PriceSources
import SchemaRegistryClient
import ServiceLifecycle
import ServiceSupport
import Synchronization

/// Everything a producer process needs to know.
public struct ProducerConfiguration: Sendable {
    public enum Mode: Sendable, Equatable {
        /// Backfill from `firstDay`, then poll live until stopped.
        case run
        /// Backfill `from … to` (inclusive) and exit.
        case backfill(from: UTCDay, to: UTCDay)
    }
    public var kafka: KafkaClientConfiguration
    public var registry: SchemaRegistryClient.Configuration
    public var topics = ProducerTopics()
    /// The transactional id: one live producer per id; a second one fences the first.
    public var transactionalID = "price-producer"
    public var instruments: [Instrument]
    /// Candle sources by name, in order; each instrument is fetched from every one that serves it.
    public var sources: [String] = ["cryptocompare"]
    /// FX sources by name: the first is used, the others are fallbacks.
    public var fxSources: [String] = ["frankfurter", "fred"]
    /// Publish USD→INR reference rates. Default true.
    public var fxEnabled = true
    /// The earliest day asked for (2010-07-17, the first BTC/USD day).
    public var firstDay = UTCDay(year: 2010, month: 7, day: 17)!
    /// The first FX day (2009-01-02, the ECB's first INR fixing).
    public var fxFirstDay = UTCDay(year: 2009, month: 1, day: 2)!
    /// How often live polling asks for the current day. Default 60 s.
    public var pollInterval: Duration = .seconds(60)
    public var settings: SourceSettings
    public var mode: Mode = .run
    public var candlePartitions = PipelineTopics.candlePartitions
    public var replicationFactor = 1
    /// Progress output: a bar on a terminal, log lines otherwise.
    public var progressOnTerminal = false

    /// BTC, ETH and a handful more, in USD and INR.
    public static let defaultInstruments: [Instrument] = ["BTC", "ETH", "SOL", "XRP", "ADA", "DOGE"].flatMap {
        [Instrument(base: $0, quote: "USD"), Instrument(base: $0, quote: "INR")]
    }

    public init(kafka: KafkaClientConfiguration, registry: SchemaRegistryClient.Configuration, settings: SourceSettings,
                instruments: [Instrument] = ProducerConfiguration.defaultInstruments) {
        self.kafka = kafka
        self.registry = registry
        self.settings = settings
        self.instruments = instruments
    }
}

/// Why the producer refuses to start.
public struct ProducerStartError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// The producer: registers its schemas, resumes from its committed cursors, backfills every
/// instrument's history page by page (one transaction per page) and then polls live.
public final class PriceProducerService: Service, Sendable {
    public let configuration: ProducerConfiguration
    private let readiness: ServiceReadiness
    private let logger: Logger
    private let sources: SourceRegistry
    private let gates: [String: SourceGate]
    private let progress = ProducerProgress()
    private let stopping = Mutex(false)

    public init(configuration: ProducerConfiguration, readiness: ServiceReadiness, logger: Logger) {
        self.configuration = configuration
        self.readiness = readiness
        self.logger = logger
        sources = SourceRegistry.standard(settings: configuration.settings)
        var gates: [String: SourceGate] = [:]
        for s in sources.candleSources { gates[s.name] = SourceGate(source: s.name, limits: s.limits) }
        for s in sources.fxSources { gates[s.name] = SourceGate(source: s.name, limits: s.limits) }
        self.gates = gates
    }

    var gateList: [(String, SourceGate)] { gates.map { ($0.key, $0.value) } }

    /// Progress per instrument, for `/` and `/metrics`.
    public var status: [ProducerProgress.Entry] { progress.entries }

    public func stop() { stopping.withLock { $0 = true } }
    private var isStopping: Bool { stopping.withLock { $0 } }

    public func run() async throws {
        try await withGracefulShutdownHandler {
            try await runProducer()
        } onGracefulShutdown: {
            self.stop()
        }
    }

    /// Checks the configuration against the source registry.
    /// - Throws: `ProducerStartError` naming an unknown source.
    public func validate() throws {
        for name in configuration.sources where sources.candleSource(named: name) == nil {
            throw ProducerStartError(message: "--sources / PRODUCER_SOURCES: unknown candle source \(name) (known: \(sources.candleSources.map(\.name).joined(separator: ", ")))")
        }
        for name in configuration.fxSources where sources.fxSource(named: name) == nil {
            throw ProducerStartError(message: "--fx-sources / PRODUCER_FX_SOURCES: unknown FX source \(name) (known: \(sources.fxSources.map(\.name).joined(separator: ", ")))")
        }
    }

    private func runProducer() async throws {
        try validate()
        let config = configuration
        readiness.markNotReady("registering schemas")
        let (candleID, fxID) = try await registerSchemas()
        let admin = try KafkaAdmin(configuration: config.kafka)
        try await admin.createTopics([
            KafkaNewTopic(name: config.topics.candles, partitions: config.candlePartitions, replicationFactor: config.replicationFactor),
            KafkaNewTopic(name: config.topics.deadLetters, partitions: config.candlePartitions, replicationFactor: config.replicationFactor),
            KafkaNewTopic(name: config.topics.fxRates, partitions: PipelineTopics.fxPartitions, replicationFactor: config.replicationFactor),
            KafkaNewTopic(name: config.topics.state, partitions: 1, replicationFactor: config.replicationFactor, configs: ["cleanup.policy": "compact"]),
        ])
        var producerConfig = KafkaProducerConfiguration(client: config.kafka)
        producerConfig.transactionalID = config.transactionalID
        producerConfig.linger = .milliseconds(5)
        let producer = try KafkaProducer(configuration: producerConfig)
        readiness.markNotReady("initialising transactions")
        // Aborts whatever a predecessor with this id left open, and fences it.
        try await producer.initTransactions()
        let cursors = try await ProducerStateReader.read(topic: config.topics.state, kafka: config.kafka, logger: logger)
        let publisher = try CandlePublisher(producer: producer, topics: config.topics, candleSchemaID: candleID, fxSchemaID: fxID, logger: logger)
        let fetcher = SourceFetcher(http: HTTPClient(), logger: logger)
        readiness.markReady()

        var failure: Error?
        do {
            try await withThrowingTaskGroup(of: Void.self) { outer in
                outer.addTask {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for name in config.sources {
                            guard let source = self.sources.candleSource(named: name), let gate = self.gates[name] else { continue }
                            for instrument in config.instruments where source.supports(instrument) {
                                let key = ProducerCursor(source: name, instrument: instrument).key
                                let cursor = cursors[key] ?? ProducerCursor(source: name, instrument: instrument)
                                group.addTask { try await self.candleJob(source: source, gate: gate, cursor: cursor, publisher: publisher, fetcher: fetcher) }
                            }
                        }
                        if config.fxEnabled {
                            let fxCursorKey = ProducerCursor.fxKey(source: config.fxSources.first ?? "frankfurter")
                            let cursor = cursors[fxCursorKey] ?? ProducerCursor.fx(source: config.fxSources.first ?? "frankfurter")
                            group.addTask { try await self.fxJob(cursor: cursor, publisher: publisher, fetcher: fetcher) }
                        }
                        try await group.waitForAll()
                    }
                }
                // Progress output until the jobs are done (cancelled with the group).
                outer.addTask { [progress, logger] in
                    await ProducerProgressReporter.run(progress: progress, logger: logger, terminal: config.progressOnTerminal)
                    try await Task.sleep(for: .seconds(365 * 86_400))
                }
                // After SIGTERM the jobs finish their page within seconds; one waiting out a long
                // Retry-After or a daily cap is cancelled after 10 s (its open transaction, if
                // any, is aborted by the next start's initTransactions).
                outer.addTask {
                    while !self.isStopping { try await Task.sleep(for: .milliseconds(200)) }
                    try await Task.sleep(for: .seconds(10))
                    throw CancellationError()
                }
                try await outer.next()
                outer.cancelAll()
            }
        } catch {
            failure = error
        }
        readiness.markNotReady("stopping")
        if let kafkaError = failure as? KafkaError, kafkaError.isFatal {
            logger.critical("this producer was fenced or failed fatally: \(kafkaError); another instance with transactional id \(config.transactionalID) has taken over")
        }
        do { try await producer.close(timeout: .seconds(10)) } catch { logger.warning("closing the producer: \(error)") }
        if let failure, !(failure is CancellationError) { throw failure }
        logger.info("stopped")
    }

    /// Registers the record schemas; refuses to start when the registry rejects them, and
    /// waits (with backoff, up to two minutes) while it cannot be reached.
    private func registerSchemas() async throws -> (Int32, Int32) {
        let client = SchemaRegistryClient(configuration: configuration.registry)
        var wait = Duration.milliseconds(500)
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(120)
        while true {
            do {
                let candle = try await client.register(subject: RecordSchemas.valueSubject(topic: configuration.topics.candles), schema: RecordSchemas.candleText)
                let fx = try await client.register(subject: RecordSchemas.valueSubject(topic: configuration.topics.fxRates), schema: RecordSchemas.fxRateText)
                logger.info("schemas registered", metadata: ["candle_id": "\(candle)", "fx_id": "\(fx)"])
                return (Int32(candle), Int32(fx))
            } catch let e as SchemaRegistryClientError where !e.isRetriable {
                throw ProducerStartError(message: "the schema registry rejected our schema: \(e) — the subject's compatibility level forbids this version; fix the schema or the subject's config")
            } catch {
                guard clock.now + wait < deadline else {
                    throw ProducerStartError(message: "the schema registry at \(configuration.registry.baseURL) cannot be reached: \(error) — check SCHEMA_REGISTRY_URL")
                }
                logger.warning("waiting for the schema registry: \(error)")
                try await Task.sleep(for: wait)
                wait = min(wait * 2, .seconds(10))
            }
        }
    }

    private var today: UTCDay { UTCDay(containing: Date()) }

    /// Backfills one instrument from one source, then (in `run` mode) polls it live.
    private func candleJob(source: any CandleSource, gate: SourceGate, cursor start: ProducerCursor,
                           publisher: CandlePublisher, fetcher: SourceFetcher) async throws {
        var cursor = start
        let instrument = cursor.instrument
        let (first, last): (UTCDay, UTCDay)
        switch configuration.mode {
        case .run: (first, last) = (configuration.firstDay, today.advanced(by: -1))
        case .backfill(let from, let to): (first, last) = (from, min(to, today.advanced(by: -1)))
        }
        progress.update(cursor, expectedFrom: first, to: last)
        for range in cursor.missing(first: first, lastClosed: last) {
            try await fetchRange(range, source: source, gate: gate, cursor: &cursor, publisher: publisher, fetcher: fetcher, expected: first...last)
            if isStopping { return }
        }
        guard configuration.mode == .run else { return }
        // Live: closed days once, the current day as it changes.
        var lastOpen: Candle?
        while !isStopping {
            let now = today
            let from = cursor.coveredTo.map { UTCDay(daysSinceEpoch: $0 + 1) } ?? now
            do {
                let page = try await fetcher.page(source, cursor: source.firstCursor(for: instrument, days: min(from, now)...now), gate: gate)
                let fetchedAt = Int64(Date().timeIntervalSince1970 * 1000)
                let closed = page.candles.filter { $0.isClosed && $0.day > (cursor.coveredTo.map(UTCDay.init(daysSinceEpoch:)) ?? UTCDay(daysSinceEpoch: 0)) }
                var open = page.candles.filter { !$0.isClosed }.map { Self.candle($0, fetchedAt: fetchedAt) }
                if let o = open.first, let previous = lastOpen, Self.samePrices(o, previous) { open = [] }
                if !closed.isEmpty || !open.isEmpty {
                    var next = cursor
                    if let lo = closed.map(\.day).min(), let hi = closed.map(\.day).max() {
                        _ = next.cover(lo...hi, candles: closed.count, gaps: [], missing: [], reachedStart: false)
                    }
                    try await publisher.publish(candles: closed.map { Self.candle($0, fetchedAt: fetchedAt) } + open,
                                                deadLetters: Self.deadLetters(page, key: cursor.key), cursor: next)
                    cursor = next
                    if let o = open.first { lastOpen = o }
                    progress.update(cursor, expectedFrom: first, to: now.advanced(by: -1))
                }
            } catch let e as KafkaError where e.isFatal {
                throw e
            } catch is CancellationError {
                return
            } catch {
                logger.error("live poll of \(source.name) \(instrument) failed: \(error)")
            }
            await sleepUnlessStopping(configuration.pollInterval)
        }
    }

    /// Sleeps in short steps, so that SIGTERM is answered within a second.
    private func sleepUnlessStopping(_ duration: Duration) async {
        let clock = ContinuousClock()
        let end = clock.now + duration
        while !isStopping, clock.now < end {
            try? await Task.sleep(for: min(.seconds(1), end - clock.now))
        }
    }

    private func fetchRange(_ range: ClosedRange<UTCDay>, source: any CandleSource, gate: SourceGate, cursor: inout ProducerCursor,
                            publisher: CandlePublisher, fetcher: SourceFetcher, expected: ClosedRange<UTCDay>) async throws {
        var pageCursor: PageCursor? = source.firstCursor(for: cursor.instrument, days: range)
        while let current = pageCursor, !isStopping {
            let page: CandlePage
            do {
                page = try await fetcher.page(source, cursor: current, gate: gate)
            } catch let e as SourceError {
                // Reported, never silent: the days stay uncovered and are asked again next start.
                Counter(label: "producer_source_failures_total", dimensions: [("source", source.name), ("code", e.code.description)]).increment()
                logger.error("\(source.name) \(cursor.instrument): \(e); these days stay missing until the next attempt")
                progress.fail(cursor, reason: "\(e.code)")
                return
            }
            let fetchedAt = Int64(Date().timeIntervalSince1970 * 1000)
            let window = current.window.clamped(to: range)
            let closed = page.candles.filter { $0.isClosed && window.contains($0.day) }
            let reachedStart = page.historyStart != nil || page.gaps.contains { $0.cause == .preHistoryFiller || $0.cause == .beforeListing }
            var next = cursor
            guard next.cover(window, candles: closed.count, gaps: page.gaps, missing: page.missingDays, reachedStart: reachedStart) else {
                logger.error("\(source.name) \(cursor.instrument): page \(window) does not join the published days; stopping this backfill")
                return
            }
            try await publisher.publish(candles: closed.map { Self.candle($0, fetchedAt: fetchedAt) },
                                        deadLetters: Self.deadLetters(page, key: cursor.key), cursor: next)
            cursor = next
            progress.update(cursor, expectedFrom: expected.lowerBound, to: expected.upperBound)
            if reachedStart { return }
            pageCursor = page.next
        }
    }

    /// Reference rates from the first FX source, falling back to the next for a chunk the
    /// first cannot serve. Days without a fixing are not invented.
    private func fxJob(cursor start: ProducerCursor, publisher: CandlePublisher, fetcher: SourceFetcher) async throws {
        var cursor = start
        let pair = Instrument(base: "USD", quote: "INR")
        let fxSources = configuration.fxSources.compactMap { sources.fxSource(named: $0) }.filter { $0.supports(pair) }
        while !isStopping {
            let last: UTCDay
            let first: UTCDay
            switch configuration.mode {
            case .run: (first, last) = (configuration.fxFirstDay, today)
            case .backfill(let from, let to): (first, last) = (max(from, configuration.fxFirstDay), min(to, today))
            }
            for range in cursor.missing(first: first, lastClosed: last) {
                var chunkStart = range.lowerBound
                while chunkStart <= range.upperBound, !isStopping {
                    let chunk = chunkStart...min(range.upperBound, chunkStart.advanced(by: 365))
                    var fixings: FxPage?
                    for source in fxSources {
                        guard let gate = gates[source.name] else { continue }
                        do {
                            fixings = try await fetcher.fxPage(source, pair: pair, days: chunk, gate: gate)
                            break
                        } catch {
                            logger.warning("FX from \(source.name) for \(chunk.lowerBound)...\(chunk.upperBound) failed, trying the next source: \(error)")
                        }
                    }
                    guard let page = fixings else {
                        logger.error("no FX source could serve \(chunk.lowerBound)...\(chunk.upperBound); asking again later")
                        break
                    }
                    let rates = page.fixings.map { FxRate(base: $0.base, quote: $0.quote, date: Int32($0.day.daysSinceEpoch), rate: $0.rate, source: $0.source) }
                    var next = cursor
                    // Only closed days count as covered: today's fixing may not be out yet.
                    let coveredEnd = min(chunk.upperBound, today.advanced(by: -1))
                    if chunk.lowerBound <= coveredEnd {
                        _ = next.cover(chunk.lowerBound...coveredEnd, candles: rates.count, gaps: [], missing: [], reachedStart: false)
                    }
                    try await publisher.publish(candles: [], rates: rates, deadLetters: [], cursor: next)
                    cursor = next
                    chunkStart = chunk.upperBound.advanced(by: 1)
                }
            }
            guard configuration.mode == .run else { return }
            await sleepUnlessStopping(max(configuration.pollInterval, .seconds(600)))
        }
    }

    static func candle(_ c: SourceCandle, fetchedAt: Int64) -> Candle {
        Candle(source: c.source, base: c.base, quote: c.quote, interval: c.interval, openTime: c.openTime, open: c.open, high: c.high,
               low: c.low, close: c.close, volume: c.volume, marketCap: c.marketCap, fetchedAt: fetchedAt)
    }

    static func samePrices(_ a: Candle, _ b: Candle) -> Bool {
        a.openTime == b.openTime && a.open == b.open && a.high == b.high && a.low == b.low && a.close == b.close && a.volume == b.volume
    }

    static func deadLetters(_ page: CandlePage, key: String) -> [SourceDeadLetter] {
        page.rejected.map { SourceDeadLetter(key: key, raw: $0.raw, reason: "\($0.reason): \($0.detail)") }
    }
}

extension ProducerCursor {
    static func fxKey(source: String) -> String { "\(source)|USD|INR|fx" }
    static func fx(source: String) -> ProducerCursor {
        var c = ProducerCursor(source: source, instrument: Instrument(base: "USD", quote: "INR"))
        c.interval = "fx"
        return c
    }
}
