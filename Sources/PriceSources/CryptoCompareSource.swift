import Foundation

/// CryptoCompare min-api `GET /data/v2/histoday`: full daily history (BTC/USD from
/// 2010-07-17, BTC/INR too), up to 2001 rows per call, paged backwards with `toTs`.
///
/// Every request sends `tryConversion=false`, so a pair CryptoCompare would have to
/// synthesise is an `unknownMarket` error instead of silently converted data; the
/// `conversionType` of each row is still recorded in ``SourceCandle/conversion``.
/// Leading all-zero (or flat zero-volume) rows are pre-history padding: they become
/// a ``GapCause/preHistoryFiller`` gap and end the backfill. Errors arrive with
/// HTTP 200 and `"Response":"Error"`.
public struct CryptoCompareSource: CandleSource, SpotPriceSource {
    /// Where the key travels.
    public enum KeyPlacement: Sendable, Hashable {
        /// `authorization: Apikey <key>` (default: keeps the key out of URLs).
        case header
        /// `api_key=<key>` query parameter.
        case query
    }

    /// `https://min-api.cryptocompare.com`.
    public static let defaultBaseURL = "https://min-api.cryptocompare.com"
    /// The largest `limit` (the answer has `limit + 1` rows).
    public static let maxLimit = 2000

    public var name: String { "cryptocompare" }
    /// The base URL requests are built on.
    public let baseURL: String
    /// Where the key is sent.
    public let keyPlacement: KeyPlacement
    let apiKey: APIKey?

    /// An adapter. Keyless calls are refused by CryptoCompare nowadays (`authRequired`).
    public init(apiKey: String? = nil, baseURL: String = CryptoCompareSource.defaultBaseURL, keyPlacement: KeyPlacement = .header) {
        self.apiKey = APIKey(apiKey)
        self.baseURL = baseURL
        self.keyPlacement = keyPlacement
    }

    /// An adapter configured from shared settings.
    public init(settings: SourceSettings) {
        self.init(apiKey: settings.key("cryptocompare"), baseURL: settings.baseURL("cryptocompare", default: Self.defaultBaseURL))
    }

    public var limits: RateLimit {
        RateLimit(windows: [
            .requests(20, per: .seconds(1)), .requests(300, per: .seconds(60)), .requests(3000, per: .seconds(3600)),
            .requests(10_000, per: .seconds(86_400)), .requests(75_000, per: .seconds(30 * 86_400)),
        ], note: "per key, one capture; plans and eras differ; no rate-limit headers")
    }

    public func marketSymbol(for instrument: Instrument) -> String? {
        instrument.isWellFormed ? "\(instrument.base)/\(instrument.quote)" : nil
    }

    public func firstCursor(for instrument: Instrument, days: ClosedRange<UTCDay>) -> PageCursor {
        PageCursor(instrument: instrument, remaining: days, window: Self.window(for: days))
    }

    /// The newest `maxLimit + 1` days of `remaining`.
    static func window(for remaining: ClosedRange<UTCDay>) -> ClosedRange<UTCDay> {
        max(remaining.lowerBound, remaining.upperBound.advanced(by: -Int64(maxLimit)))...remaining.upperBound
    }

    public func request(for cursor: PageCursor) throws(SourceError) -> SourceRequest {
        _ = try requireMarket(cursor.instrument)
        let limit = max(1, cursor.window.count - 1)
        var query = [
            ("fsym", cursor.instrument.base), ("tsym", cursor.instrument.quote), ("limit", String(limit)),
            ("toTs", String(cursor.window.upperBound.startSeconds)), ("tryConversion", "false"),
        ]
        var headers: [HTTPHeader] = []
        if let apiKey {
            switch keyPlacement {
            case .header: headers.append(HTTPHeader(name: "authorization", value: "Apikey " + apiKey.value))
            case .query: query.append(("api_key", apiKey.value))
            }
        }
        return SourceRequest(url: URLBuilder.url(base: baseURL, segments: ["data", "v2", "histoday"], query: query), headers: headers)
    }

    public func parse(_ response: SourceResponse, cursor: PageCursor, now: Date) throws(SourceError) -> CandlePage {
        let json = try successBody(response, now: now)
        guard let rows = json["Data"]?["Data"]?.array ?? json["Data"]?.array else {
            throw SourceError(.malformedResponse, source: name, status: response.status, message: "success without Data.Data rows")
        }
        let market = marketSymbol(for: cursor.instrument) ?? cursor.instrument.description
        var table = CandleRows(source: name, base: cursor.instrument.base, quote: cursor.instrument.quote, market: market, nowMillis: UTCDay.millis(of: now))
        var drafts: [CandleDraft] = []
        for row in rows {
            do throws(RowProblem) {
                drafts.append(try Self.draft(row))
            } catch {
                table.reject(error, raw: row.compact, day: Timestamps.day(seconds: row["time"]))
            }
        }
        drafts.sort { $0.openTime < $1.openTime }
        let fillers = drafts.prefix { $0.isFiller }
        for draft in drafts.dropFirst(fillers.count) { table.accept(draft) }
        var gaps: [KnownGap] = []
        var historyStart: UTCDay?
        var expectedFrom: UTCDay?
        if let first = fillers.first, let last = fillers.last {
            gaps.append(KnownGap(days: first.day...last.day, cause: .preHistoryFiller))
            historyStart = drafts.dropFirst(fillers.count).first?.day
            expectedFrom = historyStart ?? cursor.window.upperBound.advanced(by: 1)
        }
        let reachedEnd = !fillers.isEmpty
        let seen = cursor.seenData || !table.candles.isEmpty
        return table.page(
            window: cursor.window, expectedFrom: expectedFrom, gaps: gaps,
            next: reachedEnd ? nil : nextCursor(after: cursor, seenData: seen), reachedEnd: reachedEnd, historyStart: historyStart)
    }

    func nextCursor(after cursor: PageCursor, seenData: Bool) -> PageCursor? {
        guard cursor.window.lowerBound > cursor.remaining.lowerBound else { return nil }
        let remaining = cursor.remaining.lowerBound...cursor.window.lowerBound.advanced(by: -1)
        return PageCursor(instrument: cursor.instrument, remaining: remaining, window: Self.window(for: remaining), page: cursor.page + 1, seenData: seenData)
    }

    static func draft(_ row: JSON) throws(RowProblem) -> CandleDraft {
        guard row.members != nil else { throw RowProblem(.unexpectedShape, "row is not an object") }
        let openTime = try Timestamps.millis(fromSeconds: Field.integer(row["time"], "time"))
        let conversionType = row["conversionType"]?.string
        let conversionSymbol = row["conversionSymbol"]?.string ?? ""
        return CandleDraft(
            openTime: openTime, open: try Field.number(row["open"], "open"), high: try Field.number(row["high"], "high"),
            low: try Field.number(row["low"], "low"), close: try Field.number(row["close"], "close"),
            volume: try Field.number(row["volumefrom"], "volumefrom"), quoteVolume: try Field.optionalNumber(row["volumeto"], "volumeto"),
            conversion: conversionType.map { conversionSymbol.isEmpty ? $0 : "\($0):\(conversionSymbol)" },
            raw: row.compact)
    }

    // MARK: Errors

    /// The JSON body of a `"Response":"Success"` answer, or the error it is.
    func successBody(_ response: SourceResponse, now: Date) throws(SourceError) -> JSON {
        guard response.status == 200 else {
            if let json = ResponseCheck.jsonIfAny(response), json["Response"]?.string == "Error" {
                throw error(from: json, status: response.status, now: now)
            }
            throw ResponseCheck.statusError(response, source: name, now: now)
        }
        let json = try ResponseCheck.json(response, source: name)
        if json["Response"]?.string == "Error" { throw error(from: json, status: response.status, now: now) }
        return json
    }

    func error(from json: JSON, status: Int, now: Date) -> SourceError {
        let upstream = ResponseCheck.shorten(json["Message"]?.string ?? "error without a message")
        let type = json["Type"]?.int64
        let lower = upstream.lowercased()
        let secrets = apiKey.map { [$0.value] } ?? []
        if type == 99 || lower.contains("rate limit") {
            return rateLimitError(json, upstream: upstream, status: status, now: now)
        }
        let code: SourceError.Code
        if lower.contains("api key") || lower.contains("auth key") || lower.contains("apikey") {
            code = .authRequired
        } else if lower.contains("no data for the symbol") || lower.contains("market does not exist") {
            code = .unknownMarket
        } else if type == 1 || type == 2 {
            code = .badRequest
        } else {
            code = .serverError
        }
        let parameter = json["ParamWithError"]?.string.map { " (parameter \($0))" } ?? ""
        return SourceError(code, source: name, status: status, message: "Type \(type.map(String.init) ?? "?"): \(upstream)\(parameter)", secrets: secrets)
    }

    /// Type 99: which window is exhausted decides the code and the wait.
    func rateLimitError(_ json: JSON, upstream: String, status: Int, now: Date) -> SourceError {
        let made = json["RateLimit"]?["calls_made"]
        let allowed = json["RateLimit"]?["max_calls"]
        for window in ["second", "minute", "hour", "day", "month"] {
            guard let used = made?[window]?.int64, let cap = allowed?[window]?.int64, cap > 0, used >= cap else { continue }
            let message = "\(window) limit used up (\(used)/\(cap) calls): \(upstream)"
            switch window {
            case "second": return SourceError(.rateLimited, source: name, status: status, message: message, retryAfter: .seconds(1))
            case "minute": return SourceError(.rateLimited, source: name, status: status, message: message, retryAfter: .seconds(60))
            case "hour": return SourceError(.rateLimited, source: name, status: status, message: message, retryAfter: .seconds(3600))
            case "day": return SourceError(.dailyCapReached, source: name, status: status, message: message, retryAfter: Timestamps.untilNextUTCDay(from: now))
            default:
                let nowMillis = UTCDay.millis(of: now)
                let wait = UTCDay(containingMillis: nowMillis).firstOfNextMonth.startMillis - nowMillis
                return SourceError(.dailyCapReached, source: name, status: status, message: message, retryAfter: .milliseconds(wait))
            }
        }
        return SourceError(.rateLimited, source: name, status: status, message: upstream)
    }

    // MARK: Spot

    public func spotRequest(for instrument: Instrument) throws(SourceError) -> SourceRequest {
        _ = try requireMarket(instrument)
        var query = [("fsyms", instrument.base), ("tsyms", instrument.quote), ("tryConversion", "false")]
        var headers: [HTTPHeader] = []
        if let apiKey {
            switch keyPlacement {
            case .header: headers.append(HTTPHeader(name: "authorization", value: "Apikey " + apiKey.value))
            case .query: query.append(("api_key", apiKey.value))
            }
        }
        return SourceRequest(url: URLBuilder.url(base: baseURL, segments: ["data", "pricemulti"], query: query), headers: headers)
    }

    /// Parses `pricemulti` (`{"BTC":{"INR":...}}`) or `price` (`{"INR":...}`).
    public func parseSpot(_ response: SourceResponse, for instrument: Instrument, now: Date) throws(SourceError) -> SpotPrice {
        let json = try successBody(response, now: now)
        let entry = json[instrument.base] ?? json
        guard let price = entry[instrument.quote]?.double, price > 0 else {
            throw SourceError(.malformedResponse, source: name, status: response.status, message: "no positive \(instrument.base)/\(instrument.quote) price in the answer")
        }
        return SpotPrice(source: name, base: instrument.base, quote: instrument.quote, market: instrument.description, price: price, time: nil, raw: entry.compact)
    }
}
