import Foundation
import HTTPClient
import HTTPFixtureServer
import Logging
import PriceProducer
import PriceSources
import Testing

/// Price-API answers: each through its adapter's parser, or, when the case is served
/// (huge and slow bodies), over loopback HTTP through the producer's fetcher and HTTP client.
@Suite("Bad input: price-API answers", .timeLimit(.minutes(2)))
struct APIBoundaryTests {
    static let settings = SourceSettings(apiKeys: ["alphavantage": "corpus-key", "fred": "corpus-key"])
    static let now = ISO8601DateFormatter().date(from: Corpus.manifest.apiNow) ?? Date(timeIntervalSince1970: 0)

    /// What an answer turned into.
    enum Outcome {
        case candles(CandlePage)
        case fixings(FxPage)
        case spot(SpotPrice)
        case sourceError(SourceError)
        case transport(HTTPClientError)
    }

    @Test(arguments: Corpus.cases("api"))
    func answer(_ entry: Case) async throws {
        let outcome = try await Self.outcome(of: entry)
        let e = entry.expect
        switch outcome {
        case .sourceError(let error):
            #expect(e.error == error.code.description, "\(entry.file): got \(error)")
            #expect(error.source == entry.input.source, "\(entry.file): error names \(error.source)")
            if let fragment = e.message { #expect(error.message.contains(fragment), "\(entry.file): message \(error.message)") }
        case .transport(let error):
            #expect(e.transport == error.code.description, "\(entry.file): got \(error)")
            if let fragment = e.message { #expect(error.message.contains(fragment), "\(entry.file): message \(error.message)") }
        case .candles(let page):
            #expect(e.error == nil && e.transport == nil, "\(entry.file): parsed to a page \(page.candles.count) candles, \(page.rejected)")
            #expect(page.candles.count == e.candles, "\(entry.file): \(page.candles.count) candles")
            #expect(page.rejected.map(\.reason.description).sorted() == (e.rejected ?? []).sorted(), "\(entry.file): rejected \(page.rejected)")
            #expect(page.duplicatesDropped == (e.duplicates ?? 0), "\(entry.file): \(page.duplicatesDropped) duplicates dropped")
            #expect(page.missingDays.count == (e.missingDays ?? 0), "\(entry.file): missing days \(page.missingDays)")
            if let fragment = e.message { #expect(page.rejected.contains { $0.detail.contains(fragment) }, "\(entry.file): \(page.rejected)") }
        case .fixings(let page):
            #expect(e.error == nil && e.transport == nil, "\(entry.file): parsed to \(page.fixings.count) fixings, \(page.rejected)")
            #expect(page.fixings.count == e.fixings, "\(entry.file): \(page.fixings.count) fixings")
            #expect(page.rejected.map(\.reason.description).sorted() == (e.rejected ?? []).sorted(), "\(entry.file): rejected \(page.rejected)")
            #expect(page.noFixing.count == (e.noFixing ?? 0), "\(entry.file): \(page.noFixing.count) days without a fixing")
        case .spot(let price):
            Issue.record("\(entry.file): read as a price \(price.price)")
        }
        for secret in e.mustNotContain ?? [] {
            #expect(!"\(outcome)".contains(secret), "\(entry.file): the outcome shows \(secret)")
        }
    }

    /// Parses the case's answer, or fetches it when the case is served over HTTP.
    static func outcome(of entry: Case) async throws -> Outcome {
        let input = entry.input
        let name = try #require(input.source, "\(entry.file): no source")
        let instrument = try #require(Instrument(input.instrument ?? "BTC/USD"), "\(entry.file): bad instrument")
        let days = (input.days ?? ["2024-03-01", "2024-03-03"]).compactMap { UTCDay(iso: $0) }
        try #require(days.count == 2, "\(entry.file): days must be two YYYY-MM-DD dates")
        let body = try Corpus.bytes(entry.file)
        if let serve = input.serve {
            return try await served(entry, serve: serve, source: name, instrument: instrument, days: days[0]...days[1], body: body)
        }
        let headers = (input.headers ?? [:]).sorted { $0.key < $1.key }.map { HTTPHeader(name: $0.key, value: $0.value) }
        let response = SourceResponse(status: input.status ?? 200, headers: headers, body: body)
        let registry = SourceRegistry.standard(settings: settings)
        do {
            switch input.endpoint ?? "candles" {
            case "candles":
                let source = try #require(registry.candleSource(named: name), "\(entry.file): no candle source \(name)")
                return .candles(try source.parse(response, cursor: source.firstCursor(for: instrument, days: days[0]...days[1]), now: now))
            case "fx":
                let source = try #require(registry.fxSource(named: name), "\(entry.file): no FX source \(name)")
                return .fixings(try source.parse(response, for: instrument, now: now))
            case "spot":
                let source = try #require(registry.spotSources.first { $0.name == name }, "\(entry.file): no spot source \(name)")
                return .spot(try source.parseSpot(response, for: instrument, now: now))
            case let other:
                throw CorpusError("\(entry.file): unknown endpoint \(other)")
            }
        } catch let error as SourceError {
            return .sourceError(error)
        }
    }

    /// Serves the answer from a loopback server and fetches one page as the producer does
    /// (one attempt, the default HTTP client limits unless the case sets a timeout).
    static func served(_ entry: Case, serve: Case.Serve, source name: String, instrument: Instrument,
                       days: ClosedRange<UTCDay>, body: [UInt8]) async throws -> Outcome {
        let payload = Array([[UInt8]](repeating: body, count: max(1, serve.repeat ?? 1)).joined())
        let trickle = serve.trickleBytes.map { (bytes: $0, every: Duration.milliseconds(serve.trickleEveryMs ?? 100)) }
        let status = entry.input.status ?? 200
        return try await FixtureServer.with(route: { _, _ in
            FixtureResponse(status: status, headers: [("Content-Type", "application/json")], body: payload, trickle: trickle)
        }) { server in
            let registry = SourceRegistry.standard(settings: SourceSettings(baseURLs: [name: server.baseURL]))
            let source = try #require(registry.candleSource(named: name), "\(entry.file): no candle source \(name)")
            var http = HTTPClientConfiguration()
            if let timeout = serve.clientTimeoutMs { http.totalTimeout = .milliseconds(timeout) }
            var logger = Logger(label: "bad-input")
            logger.logLevel = .critical
            var fetcher = SourceFetcher(http: HTTPClient(configuration: http), logger: logger)
            fetcher.attempts = 1
            fetcher.shortPageRefetches = 0
            do {
                let page = try await fetcher.page(source, cursor: source.firstCursor(for: instrument, days: days),
                                                  gate: SourceGate(source: name, limits: source.limits), now: { now })
                return .candles(page)
            } catch let error as HTTPClientError {
                return .transport(error)
            } catch let error as SourceError {
                return .sourceError(error)
            }
        }
    }
}
