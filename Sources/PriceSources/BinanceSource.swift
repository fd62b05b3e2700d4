import Foundation

/// Binance spot `GET /api/v3/klines` (no key): daily klines since listing (BTCUSDT
/// 2017-08-17), 1000 per call (weight 2), paged forwards with `startTime`/`endTime`.
///
/// There are no USD or INR pairs: `USD` is served from the `USDT` market and the
/// candles say `USDT`, so nobody mixes them up silently. Budget: 6000 weight per
/// minute per IP, reported in `X-MBX-USED-WEIGHT-1M`; 429 means back off for
/// `Retry-After`, 418 is an IP ban (stop every Binance call until it ends).
public struct BinanceSource: CandleSource, SpotPriceSource {
    /// `https://api.binance.com` (market data also on `https://data-api.binance.vision`).
    public static let defaultBaseURL = "https://api.binance.com"
    /// Klines per request.
    public static let pageSize = 1000
    /// Request weight of one klines call with `limit=1000`.
    public static let klinesWeight = 2

    public var name: String { "binance" }
    /// The base URL requests are built on.
    public let baseURL: String

    /// An adapter.
    public init(baseURL: String = BinanceSource.defaultBaseURL) {
        self.baseURL = baseURL
    }

    /// An adapter configured from shared settings.
    public init(settings: SourceSettings) {
        self.init(baseURL: settings.baseURL("binance", default: Self.defaultBaseURL))
    }

    public var limits: RateLimit {
        RateLimit(windows: [.weight(6000, per: .seconds(60))],
                  note: "REQUEST_WEIGHT per IP (1200 before Aug 2023); klines weight 2; 429 then 418 bans of 2 min to 3 days")
    }

    /// The quote Binance trades for a requested quote: `USD` → `USDT`; `nil` for `INR`.
    static func marketQuote(_ quote: String) -> String? {
        switch quote {
        case "USD": return "USDT"
        case "INR": return nil
        default: return quote
        }
    }

    public func marketSymbol(for instrument: Instrument) -> String? {
        guard instrument.isWellFormed, let quote = Self.marketQuote(instrument.quote), quote != instrument.base else { return nil }
        return instrument.base + quote
    }

    public func firstCursor(for instrument: Instrument, days: ClosedRange<UTCDay>) -> PageCursor {
        PageCursor(instrument: instrument, remaining: days, window: Self.window(for: days))
    }

    /// The oldest `pageSize` days of `remaining`.
    static func window(for remaining: ClosedRange<UTCDay>) -> ClosedRange<UTCDay> {
        remaining.lowerBound...min(remaining.upperBound, remaining.lowerBound.advanced(by: Int64(pageSize - 1)))
    }

    public func request(for cursor: PageCursor) throws(SourceError) -> SourceRequest {
        let symbol = try requireMarket(cursor.instrument)
        let query = [
            ("symbol", symbol), ("interval", "1d"), ("startTime", String(cursor.window.lowerBound.startMillis)),
            ("endTime", String(cursor.window.upperBound.startMillis)), ("limit", String(Self.pageSize)),
        ]
        return SourceRequest(url: URLBuilder.url(base: baseURL, segments: ["api", "v3", "klines"], query: query), weight: Self.klinesWeight)
    }

    public func parse(_ response: SourceResponse, cursor: PageCursor, now: Date) throws(SourceError) -> CandlePage {
        let json = try successBody(response, now: now)
        guard let rows = json.array else {
            throw SourceError(.malformedResponse, source: name, status: response.status, message: "klines answer is not an array")
        }
        let instrument = cursor.instrument
        let market = marketSymbol(for: instrument) ?? instrument.base + instrument.quote
        let quote = Self.marketQuote(instrument.quote) ?? instrument.quote
        let nowMillis = UTCDay.millis(of: now)
        var table = CandleRows(source: name, base: instrument.base, quote: quote, market: market, nowMillis: nowMillis)
        for row in rows {
            do throws(RowProblem) {
                table.accept(try Self.draft(row, nowMillis: nowMillis))
            } catch {
                table.reject(error, raw: row.compact, day: Timestamps.day(millis: row[0]))
            }
        }
        return assemble(table, cursor: cursor, nowMillis: nowMillis, usedWeight: response.header("X-MBX-USED-WEIGHT-1M").flatMap { Int($0) })
    }

    /// Forward paging: history start from the first kline of the first pages, the end
    /// from the still-open kline or an empty page that reaches today.
    func assemble(_ table: CandleRows, cursor: PageCursor, nowMillis: Int64, usedWeight: Int?) -> CandlePage {
        let window = cursor.window
        let today = UTCDay(containingMillis: nowMillis)
        let first = table.candles.map(\.day).min()
        var gaps: [KnownGap] = []
        var historyStart: UTCDay?
        if !cursor.seenData {
            if let first, first > window.lowerBound {
                gaps.append(KnownGap(days: window.lowerBound...first.advanced(by: -1), cause: .beforeListing))
                historyStart = first
            } else if first == nil, window.upperBound < today {
                gaps.append(KnownGap(days: window, cause: .beforeListing))
            }
        }
        let hasOpenCandle = table.candles.contains { !$0.isClosed }
        let reachedEnd = hasOpenCandle || (first == nil && window.upperBound >= today)
        let seen = cursor.seenData || first != nil
        var next: PageCursor?
        if !reachedEnd, window.upperBound < cursor.remaining.upperBound {
            let remaining = window.upperBound.advanced(by: 1)...cursor.remaining.upperBound
            next = PageCursor(instrument: cursor.instrument, remaining: remaining, window: Self.window(for: remaining), page: cursor.page + 1, seenData: seen)
        }
        return table.page(window: window, expectedFrom: historyStart, gaps: gaps, next: next, reachedEnd: reachedEnd, historyStart: historyStart, usedWeight: usedWeight)
    }

    /// `[openTime ms, "open", "high", "low", "close", "volume", closeTime ms, "quoteVolume", ...]`.
    static func draft(_ row: JSON, nowMillis: Int64) throws(RowProblem) -> CandleDraft {
        guard let items = row.array else { throw RowProblem(.unexpectedShape, "kline is not an array") }
        guard items.count >= 7 else { throw RowProblem(.missingField, "kline has \(items.count) of 12 fields") }
        let openTime = try Timestamps.millis(fromMillis: Field.integer(items[0], "open time"))
        let closeTime = try Timestamps.millis(fromMillis: Field.integer(items[6], "close time"))
        guard closeTime == openTime + UTCDay.millisPerDay - 1 else {
            throw RowProblem(.notDaily, "close time \(closeTime) is not open time + 86399999", day: UTCDay(containingMillis: openTime))
        }
        return CandleDraft(
            openTime: openTime, open: try Field.number(items[1], "open"), high: try Field.number(items[2], "high"),
            low: try Field.number(items[3], "low"), close: try Field.number(items[4], "close"),
            volume: try Field.number(items[5], "volume"), quoteVolume: try Field.optionalNumber(row[7], "quote volume"),
            closedBySource: closeTime < nowMillis, raw: row.compact)
    }

    // MARK: Errors

    func successBody(_ response: SourceResponse, now: Date) throws(SourceError) -> JSON {
        guard response.status == 200 else { throw error(for: response, now: now) }
        let json = try ResponseCheck.json(response, source: name)
        if json["code"] != nil, json["msg"] != nil { throw error(for: response, now: now) }
        return json
    }

    /// `{"code": -1121, "msg": "..."}` bodies plus the status.
    func error(for response: SourceResponse, now: Date) -> SourceError {
        let json = ResponseCheck.jsonIfAny(response)
        guard let code = json?["code"]?.int64, let upstream = json?["msg"]?.string.map(ResponseCheck.shorten) else {
            return ResponseCheck.statusError(response, source: name, now: now)
        }
        let status = response.status
        let weight = response.header("X-MBX-USED-WEIGHT-1M").map { " (used weight \($0))" } ?? ""
        let message = "code \(code): \(upstream)\(weight)"
        let retry = Timestamps.retryAfter(response, now: now)
        switch (status, code) {
        case (418, _):
            let until = Self.bannedUntil(upstream)
            let wait = until.map { Duration.milliseconds(max(0, $0 - UTCDay.millis(of: now))) } ?? retry
            return SourceError(.banned, source: name, status: status, message: message, retryAfter: wait,
                               bannedUntil: until.map { Date(timeIntervalSince1970: Double($0) / 1000) })
        case (429, _), (_, -1003):
            return SourceError(.rateLimited, source: name, status: status, message: message, retryAfter: retry)
        case (451, _), (403, _):
            return SourceError(.egressBlocked, source: name, status: status, message: message)
        case (_, -1121):
            return SourceError(.unknownMarket, source: name, status: status, message: message)
        case (500..., _), (_, -1001):
            return SourceError(.serverError, source: name, status: status, message: message, retryAfter: retry)
        default:
            return SourceError(.badRequest, source: name, status: status, message: message)
        }
    }

    /// The ms timestamp in "IP banned until 1710144012345".
    static func bannedUntil(_ message: String) -> Int64? {
        guard let range = message.range(of: "banned until ") else { return nil }
        return Int64(message[range.upperBound...].prefix { $0.isNumber })
    }

    // MARK: Spot

    public func spotRequest(for instrument: Instrument) throws(SourceError) -> SourceRequest {
        let symbol = try requireMarket(instrument)
        return SourceRequest(url: URLBuilder.url(base: baseURL, segments: ["api", "v3", "ticker", "price"], query: [("symbol", symbol)]), weight: 2)
    }

    /// Parses `{"symbol","price"}` or the multi-symbol array form.
    public func parseSpot(_ response: SourceResponse, for instrument: Instrument, now: Date) throws(SourceError) -> SpotPrice {
        let json = try successBody(response, now: now)
        let symbol = try requireMarket(instrument)
        let entry = json.array?.first { $0["symbol"]?.string == symbol } ?? json
        guard entry["symbol"]?.string == symbol, let price = entry["price"]?.double, price > 0 else {
            throw SourceError(.malformedResponse, source: name, status: response.status, message: "no positive price for \(symbol) in the answer")
        }
        let quote = Self.marketQuote(instrument.quote) ?? instrument.quote
        return SpotPrice(source: name, base: instrument.base, quote: quote, market: symbol, price: price, time: nil, raw: entry.compact)
    }
}
