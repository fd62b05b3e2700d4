import Foundation

/// Kraken `GET /0/public/OHLC?pair=XBTUSD&interval=1440&since=…` (no key): at most
/// the 720 most recent daily candles whatever `since` says, so one request covers
/// everything Kraken will give and older days become a
/// ``GapCause/beyondHistoryLimit`` gap.
///
/// Bitcoin is `XBT`; the result is keyed by Kraken's canonical name (`XXBTZUSD`).
/// Rows are `[time s, open, high, low, close, vwap, volume, count]` as strings; rows
/// after `last` are uncommitted (the current day). Every error, throttling included,
/// is HTTP 200 with a non-empty `error` array.
public struct KrakenSource: CandleSource, SpotPriceSource {
    /// `https://api.kraken.com`.
    public static let defaultBaseURL = "https://api.kraken.com"
    /// Kraken's cap on returned candles.
    public static let maxCandles = 720

    public var name: String { "kraken" }
    /// The base URL requests are built on.
    public let baseURL: String

    /// An adapter.
    public init(baseURL: String = KrakenSource.defaultBaseURL) {
        self.baseURL = baseURL
    }

    /// An adapter configured from shared settings.
    public init(settings: SourceSettings) {
        self.init(baseURL: settings.baseURL("kraken", default: Self.defaultBaseURL))
    }

    public var limits: RateLimit {
        RateLimit(windows: [.requests(1, per: .seconds(1))], note: "public calls IP-throttled, ~1/s sustained, bursts ~30 (unverified numbers)")
    }

    /// Kraken's asset codes where they differ from the usual ticker.
    static let assetCodes = ["BTC": "XBT", "DOGE": "XDG"]
    /// Quotes Kraken trades (no INR).
    static let quotes: Set<String> = ["USD", "EUR", "GBP", "CAD", "JPY", "CHF", "AUD", "USDT", "USDC"]

    public func marketSymbol(for instrument: Instrument) -> String? {
        guard instrument.isWellFormed, Self.quotes.contains(instrument.quote) else { return nil }
        return (Self.assetCodes[instrument.base] ?? instrument.base) + (Self.assetCodes[instrument.quote] ?? instrument.quote)
    }

    public func firstCursor(for instrument: Instrument, days: ClosedRange<UTCDay>) -> PageCursor {
        PageCursor(instrument: instrument, remaining: days, window: days)
    }

    /// `since` is exclusive: the day before the window's first day.
    public func request(for cursor: PageCursor) throws(SourceError) -> SourceRequest {
        let pair = try requireMarket(cursor.instrument)
        let since = cursor.window.lowerBound.advanced(by: -1).startSeconds
        let query = [("pair", pair), ("interval", "1440"), ("since", String(since))]
        return SourceRequest(url: URLBuilder.url(base: baseURL, segments: ["0", "public", "OHLC"], query: query))
    }

    public func parse(_ response: SourceResponse, cursor: PageCursor, now: Date) throws(SourceError) -> CandlePage {
        let result = try resultBody(response, now: now)
        guard let (market, rows) = result.members?.first(where: { $0.key != "last" && $0.value.array != nil }).map({ ($0.key, $0.value.array ?? []) }) else {
            throw SourceError(.malformedResponse, source: name, status: response.status, message: "result has no pair rows")
        }
        let last = result["last"]?.int64
        let instrument = cursor.instrument
        var table = CandleRows(source: name, base: instrument.base, quote: instrument.quote, market: market, nowMillis: UTCDay.millis(of: now))
        for row in rows {
            do throws(RowProblem) {
                table.accept(try Self.draft(row, lastCommitted: last))
            } catch {
                table.reject(error, raw: row.compact, day: Timestamps.day(seconds: row[0]))
            }
        }
        let window = cursor.window
        var gaps: [KnownGap] = []
        var historyStart: UTCDay?
        let first = table.candles.map(\.day).min()
        if let first, first > window.lowerBound {
            if rows.count >= Self.maxCandles {
                gaps.append(KnownGap(days: window.lowerBound...first.advanced(by: -1), cause: .beyondHistoryLimit))
            } else {
                gaps.append(KnownGap(days: window.lowerBound...first.advanced(by: -1), cause: .beforeListing))
                historyStart = first
            }
        }
        let expectedFrom = first.map { max($0, window.lowerBound) } ?? window.upperBound.advanced(by: 1)
        return table.page(window: window, expectedFrom: expectedFrom, gaps: gaps, next: nil, reachedEnd: true, historyStart: historyStart)
    }

    /// `[time s, "open", "high", "low", "close", "vwap", "volume", count]`.
    static func draft(_ row: JSON, lastCommitted: Int64?) throws(RowProblem) -> CandleDraft {
        guard let items = row.array else { throw RowProblem(.unexpectedShape, "OHLC row is not an array") }
        guard items.count >= 7 else { throw RowProblem(.missingField, "OHLC row has \(items.count) of 8 fields") }
        let seconds = try Field.integer(items[0], "time")
        let openTime = try Timestamps.millis(fromSeconds: seconds)
        return CandleDraft(
            openTime: openTime, open: try Field.number(items[1], "open"), high: try Field.number(items[2], "high"),
            low: try Field.number(items[3], "low"), close: try Field.number(items[4], "close"),
            volume: try Field.number(items[6], "volume"), closedBySource: lastCommitted.map { seconds <= $0 }, raw: row.compact)
    }

    // MARK: Errors

    /// `result` of an answer whose `error` array is empty.
    func resultBody(_ response: SourceResponse, now: Date) throws(SourceError) -> JSON {
        let json: JSON
        if response.status == 200 {
            json = try ResponseCheck.json(response, source: name)
        } else {
            guard let body = ResponseCheck.jsonIfAny(response), body["error"]?.array?.isEmpty == false else {
                throw ResponseCheck.statusError(response, source: name, now: now)
            }
            json = body
        }
        let errors = json["error"]?.array?.compactMap(\.string) ?? []
        if !errors.isEmpty { throw error(errors, status: response.status) }
        guard let result = json["result"], result.members != nil else {
            throw SourceError(.malformedResponse, source: name, status: response.status, message: "answer without error or result")
        }
        return result
    }

    /// Classifies Kraken's `Category:Message` error strings.
    func error(_ errors: [String], status: Int) -> SourceError {
        let message = ResponseCheck.shorten(errors.joined(separator: "; "))
        let lower = message.lowercased()
        let code: SourceError.Code
        if lower.contains("too many requests") || lower.contains("rate limit") {
            code = .rateLimited
        } else if lower.contains("unknown asset pair") || lower.contains("unknown asset") {
            code = .unknownMarket
        } else if lower.contains("eservice:") {
            code = .serverError
        } else if lower.contains("invalid key") || lower.contains("permission denied") {
            code = .authRequired
        } else if lower.contains("invalid arguments") {
            code = .badRequest
        } else {
            code = .serverError
        }
        return SourceError(code, source: name, status: status, message: message)
    }

    // MARK: Spot

    public func spotRequest(for instrument: Instrument) throws(SourceError) -> SourceRequest {
        let pair = try requireMarket(instrument)
        return SourceRequest(url: URLBuilder.url(base: baseURL, segments: ["0", "public", "Ticker"], query: [("pair", pair)]))
    }

    /// Parses the ticker: `result.<PAIR>.c[0]` is the last trade price.
    public func parseSpot(_ response: SourceResponse, for instrument: Instrument, now: Date) throws(SourceError) -> SpotPrice {
        let result = try resultBody(response, now: now)
        guard let member = result.members?.first, let price = member.value["c"]?[0]?.double, price > 0 else {
            throw SourceError(.malformedResponse, source: name, status: response.status, message: "ticker without a positive last trade price")
        }
        return SpotPrice(source: name, base: instrument.base, quote: instrument.quote, market: member.key, price: price, time: nil, raw: member.value.compact)
    }
}
