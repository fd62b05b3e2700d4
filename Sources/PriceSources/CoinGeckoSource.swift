import Foundation

/// CoinGecko `GET /coins/{id}/market_chart/range?vs_currency=…&from=…&to=…`: one
/// price per day at 00:00 UTC for ranges over 90 days, in any `vs_currency`
/// (INR is converted by CoinGecko). Keyless and Demo plans reach back only 365 days
/// (older → `historyLimit`, error 10012); Pro reaches 2013.
///
/// A daily point is a snapshot, not OHLC: candles are ``CandleKind/snapshot`` with
/// open = high = low = close, `volume` the rolling 24 h quote volume, and a real
/// market cap. Ranges shorter than 91 days are widened so the answer stays daily.
/// The whole range comes in one answer.
public struct CoinGeckoSource: CandleSource, SpotPriceSource {
    /// `https://api.coingecko.com/api/v3` (keyless and Demo).
    public static let publicBaseURL = "https://api.coingecko.com/api/v3"
    /// `https://pro-api.coingecko.com/api/v3` (paid).
    public static let proBaseURL = "https://pro-api.coingecko.com/api/v3"
    /// Coin ids for common tickers; pass more in `init`.
    public static let defaultCoinIDs = ["BTC": "bitcoin", "ETH": "ethereum", "LTC": "litecoin", "XRP": "ripple", "SOL": "solana", "DOGE": "dogecoin"]
    /// Below this many days CoinGecko answers hourly points.
    public static let minimumDailyRange: Int64 = 91

    public var name: String { "coingecko" }
    /// The base URL requests are built on.
    public let baseURL: String
    /// Whether the key is a Pro key (`x-cg-pro-api-key`) rather than Demo (`x-cg-demo-api-key`).
    public let pro: Bool
    /// Ticker → CoinGecko coin id.
    public let coinIDs: [String: String]
    let apiKey: APIKey?

    /// An adapter. Without a key it is keyless (a handful of calls per minute).
    public init(apiKey: String? = nil, pro: Bool = false, baseURL: String? = nil, coinIDs: [String: String] = CoinGeckoSource.defaultCoinIDs) {
        self.apiKey = APIKey(apiKey)
        self.pro = pro
        self.baseURL = baseURL ?? (pro ? Self.proBaseURL : Self.publicBaseURL)
        self.coinIDs = coinIDs
    }

    /// An adapter configured from shared settings.
    public init(settings: SourceSettings) {
        let fallback = settings.coinGeckoPro ? Self.proBaseURL : Self.publicBaseURL
        self.init(apiKey: settings.key("coingecko"), pro: settings.coinGeckoPro, baseURL: settings.baseURL("coingecko", default: fallback))
    }

    public var limits: RateLimit {
        if pro { return RateLimit(windows: [.requests(500, per: .seconds(60))], note: "paid plans, 500+/min") }
        if apiKey != nil {
            return RateLimit(windows: [.requests(30, per: .seconds(60)), .requests(10_000, per: .seconds(30 * 86_400))],
                             note: "Demo: 30/min and 10k/month per 2024 docs (100/min unverified); 365 days of history")
        }
        return RateLimit(windows: [.requests(5, per: .seconds(60))], note: "keyless: IP-based, ~5-15/min and variable; 365 days of history")
    }

    public func marketSymbol(for instrument: Instrument) -> String? {
        guard instrument.isWellFormed, let id = coinIDs[instrument.base] else { return nil }
        return id + "/" + instrument.quote.lowercased()
    }

    public func firstCursor(for instrument: Instrument, days: ClosedRange<UTCDay>) -> PageCursor {
        PageCursor(instrument: instrument, remaining: days, window: days)
    }

    public func request(for cursor: PageCursor) throws(SourceError) -> SourceRequest {
        _ = try requireMarket(cursor.instrument)
        let id = coinIDs[cursor.instrument.base] ?? ""
        let from = min(cursor.window.lowerBound, cursor.window.upperBound.advanced(by: -Self.minimumDailyRange))
        let query = [
            ("vs_currency", cursor.instrument.quote.lowercased()), ("from", String(from.startSeconds)),
            ("to", String(cursor.window.upperBound.startSeconds)),
        ]
        return SourceRequest(url: URLBuilder.url(base: baseURL, segments: ["coins", id, "market_chart", "range"], query: query), headers: keyHeaders)
    }

    var keyHeaders: [HTTPHeader] {
        guard let apiKey else { return [] }
        return [HTTPHeader(name: pro ? "x-cg-pro-api-key" : "x-cg-demo-api-key", value: apiKey.value)]
    }

    public func parse(_ response: SourceResponse, cursor: PageCursor, now: Date) throws(SourceError) -> CandlePage {
        let json = try successBody(response, now: now)
        let instrument = cursor.instrument
        let market = marketSymbol(for: instrument) ?? instrument.description
        var table = CandleRows(source: name, base: instrument.base, quote: instrument.quote, market: market, kind: .snapshot, nowMillis: UTCDay.millis(of: now))
        if let bars = json.array {
            Self.rejectOHLC(bars, into: &table)
            return table.page(window: cursor.window, next: nil, reachedEnd: true)
        }
        guard let prices = json["prices"]?.array else {
            throw SourceError(.malformedResponse, source: name, status: response.status, message: "chart answer without prices")
        }
        let caps = Self.series(json["market_caps"])
        let volumes = Self.series(json["total_volumes"])
        for point in prices {
            do throws(RowProblem) {
                table.accept(try Self.draft(point, caps: caps, volumes: volumes))
            } catch {
                table.reject(error, raw: point.compact, day: Timestamps.day(millis: point[0]))
            }
        }
        let listing = Self.listing(table, window: cursor.window, empty: prices.isEmpty)
        return table.page(window: cursor.window, expectedFrom: listing.expectedFrom, gaps: listing.gaps,
                          next: nil, reachedEnd: true, historyStart: listing.historyStart)
    }

    /// `{"prices":[]}` or a first point after the window's start (over the whole,
    /// possibly widened answer) means the coin was not listed before it.
    static func listing(_ table: CandleRows, window: ClosedRange<UTCDay>, empty: Bool) -> (gaps: [KnownGap], expectedFrom: UTCDay?, historyStart: UTCDay?) {
        if empty { return ([KnownGap(days: window, cause: .beforeListing)], window.upperBound.advanced(by: 1), nil) }
        guard let earliest = table.candles.map(\.day).min(), earliest > window.lowerBound else { return ([], nil, nil) }
        return ([KnownGap(days: window.lowerBound...earliest.advanced(by: -1), cause: .beforeListing)], earliest, earliest)
    }

    /// `[[ms, value], ...]` as a lookup by time.
    static func series(_ json: JSON?) -> [Int64: JSON] {
        var values: [Int64: JSON] = [:]
        for point in json?.array ?? [] {
            if let time = point[0]?.int64, let value = point[1], values[time] == nil { values[time] = value }
        }
        return values
    }

    /// `[ms, price]` with the market cap and volume of the same time.
    static func draft(_ point: JSON, caps: [Int64: JSON], volumes: [Int64: JSON]) throws(RowProblem) -> CandleDraft {
        guard let items = point.array, items.count >= 2 else { throw RowProblem(.unexpectedShape, "point is not [ms, price]") }
        let rawTime = try Field.integer(items[0], "time")
        let openTime = try Timestamps.millis(fromMillis: rawTime)
        let price = try Field.number(items[1], "price")
        let volume = try Field.number(volumes[rawTime], "total volume")
        return CandleDraft(
            openTime: openTime, open: price, high: price, low: price, close: price, volume: volume, quoteVolume: volume,
            marketCap: try Field.optionalNumber(caps[rawTime], "market cap"), raw: point.compact)
    }

    /// `/ohlc` bars are stamped with their close time and span 30 min to 4 days, never
    /// a day with volume on the free tier: every bar is rejected, none is mixed in.
    static func rejectOHLC(_ bars: [JSON], into table: inout CandleRows) {
        let closes = bars.compactMap { $0[0]?.int64 }
        let spacing = zip(closes, closes.dropFirst()).map { $1 - $0 }
        let span = Set(spacing).count == 1 ? spacing.first : nil
        for bar in bars {
            let detail = span == UTCDay.millisPerDay
                ? "OHLC bar has no volume"
                : "OHLC bar spans \(span.map { "\($0 / 3_600_000) h" } ?? "an unknown time"), stamped at its close"
            let day = bar[0]?.int64.map { UTCDay(containingMillis: $0) }
            table.reject(RowProblem(span == UTCDay.millisPerDay ? .missingField : .notDaily, detail), raw: bar.compact, day: day)
        }
    }

    // MARK: Errors

    func successBody(_ response: SourceResponse, now: Date) throws(SourceError) -> JSON {
        guard response.status == 200 else { throw error(for: response, now: now) }
        let json = try ResponseCheck.json(response, source: name)
        if json["status"]?["error_code"] != nil || json["error"] != nil { throw error(for: response, now: now) }
        return json
    }

    /// The three error shapes: `{"status":{…}}`, `{"error":{"status":{…}}}`, `{"error":"…"}`.
    func error(for response: SourceResponse, now: Date) -> SourceError {
        let json = ResponseCheck.jsonIfAny(response)
        let status = response.status
        let secrets = apiKey.map { [$0.value] } ?? []
        if let flat = json?["error"]?.string {
            let code: SourceError.Code = flat.contains("not found") || flat.contains("vs_currency") ? .unknownMarket : .badRequest
            return SourceError(code, source: name, status: status, message: ResponseCheck.shorten(flat), secrets: secrets)
        }
        guard let detail = json?["status"] ?? json?["error"]?["status"], let errorCode = detail["error_code"]?.int64 else {
            return ResponseCheck.statusError(response, source: name, now: now)
        }
        let message = "error \(errorCode): " + ResponseCheck.shorten(detail["error_message"]?.string ?? "")
        switch errorCode {
        case 429:
            return SourceError(.rateLimited, source: name, status: status, message: message, retryAfter: Timestamps.retryAfter(response, now: now), secrets: secrets)
        case 10012:
            return SourceError(.historyLimit, source: name, status: status, message: message, secrets: secrets)
        case 10002, 10005, 10010, 10011:
            return SourceError(.authRequired, source: name, status: status, message: message, secrets: secrets)
        default:
            return ResponseCheck.statusError(response, source: name, now: now, detail: Redactor.scrub(message, secrets: secrets))
        }
    }

    // MARK: Spot

    public func spotRequest(for instrument: Instrument) throws(SourceError) -> SourceRequest {
        _ = try requireMarket(instrument)
        let query = [("ids", coinIDs[instrument.base] ?? ""), ("vs_currencies", instrument.quote.lowercased()), ("include_last_updated_at", "true")]
        return SourceRequest(url: URLBuilder.url(base: baseURL, segments: ["simple", "price"], query: query), headers: keyHeaders)
    }

    /// Parses `simple/price`: `{"bitcoin":{"inr":…,"last_updated_at":<seconds>}}`.
    public func parseSpot(_ response: SourceResponse, for instrument: Instrument, now: Date) throws(SourceError) -> SpotPrice {
        let json = try successBody(response, now: now)
        let market = try requireMarket(instrument)
        let id = coinIDs[instrument.base] ?? ""
        guard let entry = json[id], let price = entry[instrument.quote.lowercased()]?.double, price > 0 else {
            throw SourceError(.malformedResponse, source: name, status: response.status, message: "no positive \(market) price (stale values are null)")
        }
        let time = entry["last_updated_at"]?.int64.flatMap { seconds in (try? Timestamps.millis(fromSeconds: seconds)) }
        return SpotPrice(source: name, base: instrument.base, quote: instrument.quote, market: market, price: price, time: time, raw: entry.compact)
    }
}
