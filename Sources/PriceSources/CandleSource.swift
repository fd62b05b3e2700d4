import Foundation

/// A daily-candle API, as pure protocol logic: it builds requests and parses
/// responses; the caller does the HTTP, the scheduling and the retries.
///
/// Paging: ``firstCursor(for:days:)`` plans the first request of a backfill in the
/// API's own paging direction and page size; each parsed page's
/// ``CandlePage/next`` is the cursor for the following request, `nil` when done.
public protocol CandleSource: Sendable {
    /// Stable lower-case name, e.g. `cryptocompare`; used as `SourceCandle.source`.
    var name: String { get }
    /// The documented limits of the configured plan.
    var limits: RateLimit { get }
    /// The source's own name for the instrument (`BTCUSDT`, `XBTUSD`, `BTC-USD`,
    /// `bitcoin/inr` ...), or `nil` when the source cannot serve it.
    func marketSymbol(for instrument: Instrument) -> String?
    /// The cursor of the first page for a backfill of `days` (inclusive).
    func firstCursor(for instrument: Instrument, days: ClosedRange<UTCDay>) -> PageCursor
    /// The request for a cursor. Throws `unsupported` for an instrument the source
    /// cannot serve and `authRequired` when a required key is not configured.
    func request(for cursor: PageCursor) throws(SourceError) -> SourceRequest
    /// Parses the response to `request(for: cursor)`. Throws for answers that are
    /// not data (rate limits even when sent with HTTP 200, error bodies, HTML,
    /// truncated JSON); row-level problems go to ``CandlePage/rejected``.
    func parse(_ response: SourceResponse, cursor: PageCursor, now: Date) throws(SourceError) -> CandlePage
}

extension CandleSource {
    /// Whether the source can serve the instrument.
    public func supports(_ instrument: Instrument) -> Bool {
        marketSymbol(for: instrument) != nil
    }

    /// The first request of a backfill from `from` to `to` (inclusive), with the
    /// cursor to pass to ``parse(_:cursor:now:)``.
    public func firstRequest(for instrument: Instrument, from: UTCDay, to: UTCDay) throws(SourceError) -> (request: SourceRequest, cursor: PageCursor) {
        guard from <= to else {
            throw SourceError(.badRequest, source: name, message: "empty day range \(from)...\(to)")
        }
        let cursor = firstCursor(for: instrument, days: from...to)
        return (try request(for: cursor), cursor)
    }

    /// `market` or an `unsupported` error.
    func requireMarket(_ instrument: Instrument) throws(SourceError) -> String {
        guard let market = marketSymbol(for: instrument) else {
            throw SourceError(.unsupported, source: name, message: "\(name) does not serve \(instrument)")
        }
        return market
    }
}

/// A latest-price (ticker) endpoint.
public protocol SpotPriceSource: Sendable {
    /// The adapter's name.
    var name: String { get }
    /// The request for the instrument's latest price.
    func spotRequest(for instrument: Instrument) throws(SourceError) -> SourceRequest
    /// Parses a latest-price answer (single or multi-symbol) for the instrument.
    func parseSpot(_ response: SourceResponse, for instrument: Instrument, now: Date) throws(SourceError) -> SpotPrice
}

/// A daily reference-rate API (USD→INR).
public protocol FxSource: Sendable {
    /// Stable lower-case name, e.g. `frankfurter`; used as `FxFixing.source`.
    var name: String { get }
    /// The documented limits.
    var limits: RateLimit { get }
    /// Whether the source publishes this pair (base = `USD`, quote = `INR` ...).
    func supports(_ pair: Instrument) -> Bool
    /// One request for the fixings of `days` (inclusive); these APIs need no paging.
    func request(for pair: Instrument, days: ClosedRange<UTCDay>) throws(SourceError) -> SourceRequest
    /// Parses the answer. Days without a fixing are absent, never invented.
    func parse(_ response: SourceResponse, for pair: Instrument, now: Date) throws(SourceError) -> FxPage
}
