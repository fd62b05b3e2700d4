import Foundation
import HTTPClient
import Logging
import Metrics
import PriceSources

/// Fetches and parses pages through a source's gate, retrying what is worth retrying:
/// 429 and rate-limit bodies (also with HTTP 200) after the source's `Retry-After` or ban,
/// 5xx, HTML and truncated bodies, timeouts — with exponential backoff and jitter. A page
/// that comes back short without reaching the start of history is fetched again.
public struct SourceFetcher: Sendable {
    public let http: HTTPClient
    public let logger: Logger
    /// Tries per request before the error is reported.
    public var attempts = 6
    /// Re-fetches of a short page before its missing days are reported as a gap.
    public var shortPageRefetches = 2
    public var backoff = Backoff()

    public init(http: HTTPClient, logger: Logger) {
        self.http = http
        self.logger = logger
    }

    /// Sends one request through `gate` and returns the response (any status).
    func send(_ request: SourceRequest, gate: SourceGate) async throws -> SourceResponse {
        try await gate.acquire(weight: request.weight)
        let response = try await http.execute(HTTPRequest(method: .get, url: request.url, headers: request.headers.map { ($0.name, $0.value) }))
        Counter(label: "producer_requests_total", dimensions: [("source", gate.source), ("status", String(response.status))]).increment()
        return SourceResponse(status: response.status, headers: response.headers.map { HTTPHeader(name: $0.name, value: $0.value) }, body: response.body)
    }

    /// Runs `request` + `parse` until it succeeds or fails for good.
    /// - Throws: the last `SourceError` (not retriable, or retries used up), or `HTTPClientError`.
    func withRetries<T: Sendable>(_ gate: SourceGate, what: String, request: () throws(SourceError) -> SourceRequest,
                                  parse: (SourceResponse) throws(SourceError) -> T) async throws -> T {
        var generator = SystemRandomNumberGenerator()
        var lastError: Error?
        for attempt in 0..<attempts {
            do {
                let response = try await send(try request(), gate: gate)
                let value = try parse(response)
                await gate.succeeded()
                Gauge(label: "producer_breaker_open", dimensions: [("source", gate.source)]).record(0)
                return value
            } catch let error as SourceError {
                lastError = error
                guard error.isRetriable else {
                    await recordFailure(gate)
                    throw error
                }
                var wait = backoff.delay(attempt: attempt, using: &generator)
                if let until = error.bannedUntil { wait = max(wait, .milliseconds(Int64(max(0, until.timeIntervalSinceNow) * 1000))) }
                if let retryAfter = error.retryAfter { wait = max(wait, retryAfter) }
                if error.code == .rateLimited || error.code == .banned || error.code == .dailyCapReached { await gate.pause(for: wait) }
                Counter(label: "producer_retries_total", dimensions: [("source", gate.source), ("reason", error.code.description)]).increment()
                logger.warning("\(what): \(error); retrying in \(wait)")
                try await Task.sleep(for: wait)
            } catch let error as HTTPClientError where error.isRetriable {
                lastError = error
                let wait = backoff.delay(attempt: attempt, using: &generator)
                Counter(label: "producer_retries_total", dimensions: [("source", gate.source), ("reason", error.code.description)]).increment()
                logger.warning("\(what): \(error); retrying in \(wait)")
                try await Task.sleep(for: wait)
            }
        }
        await recordFailure(gate)
        throw lastError ?? SourceError(.serverError, source: gate.source, message: "\(what) failed")
    }

    private func recordFailure(_ gate: SourceGate) async {
        if await gate.failed() {
            Gauge(label: "producer_breaker_open", dimensions: [("source", gate.source)]).record(1)
            logger.error("\(gate.source) keeps failing: paused by its circuit breaker; other sources go on")
        }
    }

    /// One candle page, re-fetched while it comes back short of rows it should have.
    public func page(_ source: any CandleSource, cursor: PageCursor, gate: SourceGate, now: @Sendable () -> Date = Date.init) async throws -> CandlePage {
        var page: CandlePage?
        for refetch in 0...shortPageRefetches {
            let fetched = try await withRetries(gate, what: "\(source.name) \(cursor)",
                                                request: { () throws(SourceError) -> SourceRequest in try source.request(for: cursor) },
                                                parse: { (r: SourceResponse) throws(SourceError) -> CandlePage in try source.parse(r, cursor: cursor, now: now()) })
            page = fetched
            guard fetched.shortPage, refetch < shortPageRefetches else { break }
            Counter(label: "producer_short_pages_total", dimensions: [("source", source.name)]).increment()
            logger.warning("\(source.name) \(cursor): \(fetched.missingDays.count) days missing without the start of history; fetching again")
        }
        return page!
    }

    /// One FX page.
    public func fxPage(_ source: any FxSource, pair: Instrument, days: ClosedRange<UTCDay>, gate: SourceGate) async throws -> FxPage {
        try await withRetries(gate, what: "\(source.name) \(pair) \(days.lowerBound)...\(days.upperBound)",
                              request: { () throws(SourceError) -> SourceRequest in try source.request(for: pair, days: days) },
                              parse: { (r: SourceResponse) throws(SourceError) -> FxPage in try source.parse(r, for: pair, now: Date()) })
    }
}
