import Foundation

/// Coinbase Exchange `GET /products/{BASE-QUOTE}/candles?granularity=86400` (no key):
/// daily candles since listing (BTC-USD 2015-07), paged backwards in windows of 300
/// days (start and end are both inclusive; more than 300 buckets is a 400, not a
/// truncation).
///
/// Rows are `[time s, low, high, open, close, volume]`, newest first. Days without
/// trades are simply absent (reported in ``CandlePage/missingDays``); a window before
/// the listing answers `[]`, which ends the backfill.
public struct CoinbaseSource: CandleSource, SpotPriceSource {
    /// `https://api.exchange.coinbase.com`.
    public static let defaultBaseURL = "https://api.exchange.coinbase.com"
    /// Days per request (start and end inclusive: end − start = 299 days).
    public static let pageSize = 300

    public var name: String { "coinbase" }
    /// The base URL requests are built on.
    public let baseURL: String
    /// Sent with every request, as Coinbase asks.
    public let userAgent: String

    /// An adapter.
    public init(baseURL: String = CoinbaseSource.defaultBaseURL, userAgent: String = SourceSettings.defaultUserAgent) {
        self.baseURL = baseURL
        self.userAgent = userAgent
    }

    /// An adapter configured from shared settings.
    public init(settings: SourceSettings) {
        self.init(baseURL: settings.baseURL("coinbase", default: Self.defaultBaseURL), userAgent: settings.userAgent)
    }

    public var limits: RateLimit {
        RateLimit(windows: [.requests(10, per: .seconds(1))], note: "public endpoints per IP, bursts to ~15")
    }

    public func marketSymbol(for instrument: Instrument) -> String? {
        guard instrument.isWellFormed, instrument.quote != "INR" else { return nil }
        return instrument.base + "-" + instrument.quote
    }

    public func firstCursor(for instrument: Instrument, days: ClosedRange<UTCDay>) -> PageCursor {
        PageCursor(instrument: instrument, remaining: days, window: Self.window(for: days))
    }

    /// The newest `pageSize` days of `remaining`.
    static func window(for remaining: ClosedRange<UTCDay>) -> ClosedRange<UTCDay> {
        max(remaining.lowerBound, remaining.upperBound.advanced(by: -Int64(pageSize - 1)))...remaining.upperBound
    }

    public func request(for cursor: PageCursor) throws(SourceError) -> SourceRequest {
        let product = try requireMarket(cursor.instrument)
        let query = [
            ("granularity", "86400"), ("start", cursor.window.lowerBound.iso + "T00:00:00Z"),
            ("end", cursor.window.upperBound.iso + "T00:00:00Z"),
        ]
        return SourceRequest(url: URLBuilder.url(base: baseURL, segments: ["products", product, "candles"], query: query),
                             headers: [HTTPHeader(name: "User-Agent", value: userAgent)])
    }

    public func parse(_ response: SourceResponse, cursor: PageCursor, now: Date) throws(SourceError) -> CandlePage {
        let json = try successBody(response, now: now)
        guard let rows = json.array else {
            throw SourceError(.malformedResponse, source: name, status: response.status, message: "candles answer is not an array")
        }
        let instrument = cursor.instrument
        let market = marketSymbol(for: instrument) ?? instrument.description
        var table = CandleRows(source: name, base: instrument.base, quote: instrument.quote, market: market, nowMillis: UTCDay.millis(of: now))
        for row in rows {
            do throws(RowProblem) {
                table.accept(try Self.draft(row))
            } catch {
                table.reject(error, raw: row.compact, day: Timestamps.day(seconds: row[0]))
            }
        }
        if rows.isEmpty {
            return table.page(window: cursor.window, gaps: [KnownGap(days: cursor.window, cause: .beforeListing)], next: nil, reachedEnd: true)
        }
        var next: PageCursor?
        if cursor.window.lowerBound > cursor.remaining.lowerBound {
            let remaining = cursor.remaining.lowerBound...cursor.window.lowerBound.advanced(by: -1)
            next = PageCursor(instrument: instrument, remaining: remaining, window: Self.window(for: remaining), page: cursor.page + 1, seenData: true)
        }
        return table.page(window: cursor.window, next: next, reachedEnd: false)
    }

    /// `[time s, low, high, open, close, volume]`.
    static func draft(_ row: JSON) throws(RowProblem) -> CandleDraft {
        guard let items = row.array else { throw RowProblem(.unexpectedShape, "candle is not an array") }
        guard items.count >= 6 else { throw RowProblem(.missingField, "candle has \(items.count) of 6 fields") }
        let openTime = try Timestamps.millis(fromSeconds: Field.integer(items[0], "time"))
        return CandleDraft(
            openTime: openTime, open: try Field.number(items[3], "open"), high: try Field.number(items[2], "high"),
            low: try Field.number(items[1], "low"), close: try Field.number(items[4], "close"),
            volume: try Field.number(items[5], "volume"), raw: row.compact)
    }

    // MARK: Errors

    func successBody(_ response: SourceResponse, now: Date) throws(SourceError) -> JSON {
        guard response.status == 200 else { throw error(for: response, now: now) }
        let json = try ResponseCheck.json(response, source: name)
        if json["message"]?.string != nil { throw error(for: response, now: now) }
        return json
    }

    /// `{"message": "..."}` bodies plus the status.
    func error(for response: SourceResponse, now: Date) -> SourceError {
        guard let upstream = ResponseCheck.jsonIfAny(response)?["message"]?.string.map(ResponseCheck.shorten) else {
            return ResponseCheck.statusError(response, source: name, now: now)
        }
        let status = response.status
        switch status {
        case 429: return SourceError(.rateLimited, source: name, status: status, message: upstream, retryAfter: Timestamps.retryAfter(response, now: now))
        case 404: return SourceError(.unknownMarket, source: name, status: status, message: upstream)
        case 200..<300: return SourceError(.serverError, source: name, status: status, message: upstream)
        default: return ResponseCheck.statusError(response, source: name, now: now, detail: upstream)
        }
    }

    // MARK: Spot

    public func spotRequest(for instrument: Instrument) throws(SourceError) -> SourceRequest {
        let product = try requireMarket(instrument)
        return SourceRequest(url: URLBuilder.url(base: baseURL, segments: ["products", product, "ticker"]),
                             headers: [HTTPHeader(name: "User-Agent", value: userAgent)])
    }

    /// Parses the ticker: `price` string and ISO-8601 `time` with microseconds.
    public func parseSpot(_ response: SourceResponse, for instrument: Instrument, now: Date) throws(SourceError) -> SpotPrice {
        let json = try successBody(response, now: now)
        let product = try requireMarket(instrument)
        guard let price = json["price"]?.double, price > 0 else {
            throw SourceError(.malformedResponse, source: name, status: response.status, message: "ticker without a positive price")
        }
        let time = json["time"]?.string.flatMap(Timestamps.millis(isoDateTime:))
        return SpotPrice(source: name, base: instrument.base, quote: instrument.quote, market: product, price: price, time: time, raw: json.compact)
    }
}
