import Foundation

/// Alpha Vantage `GET /query?function=DIGITAL_CURRENCY_DAILY&symbol=…&market=…&apikey=…`
/// (the original project's source): the whole retained series in one answer, no
/// paging, no date range; recent days only (~350–1000), so older requested days
/// become a ``GapCause/beyondHistoryLimit`` gap.
///
/// Reads both key sets: current (`"1. open"`) and legacy (`"1a. open (INR)"`, USD
/// twins, a bogus market cap that is ignored), JSON or `datatype=csv`. Non-USD
/// markets are USD × one constant rate, not historical prices. Every error is
/// HTTP 200: `Error Message`, `Information`, `Note`; the daily cap (25 calls) is
/// `dailyCapReached` until the next UTC day. The key travels in the URL and is
/// echoed in limit messages: both are redacted.
public struct AlphaVantageSource: CandleSource, SpotPriceSource {
    /// The answer format to request.
    public enum Format: Sendable, Hashable {
        /// JSON (default).
        case json
        /// `datatype=csv`.
        case csv
    }

    /// `https://www.alphavantage.co`.
    public static let defaultBaseURL = "https://www.alphavantage.co"
    static let seriesKey = "Time Series (Digital Currency Daily)"

    public var name: String { "alphavantage" }
    /// The base URL requests are built on.
    public let baseURL: String
    /// The requested answer format.
    public let format: Format
    let apiKey: APIKey?

    /// An adapter; requests need a key (`authRequired` otherwise).
    public init(apiKey: String?, baseURL: String = AlphaVantageSource.defaultBaseURL, format: Format = .json) {
        self.apiKey = APIKey(apiKey)
        self.baseURL = baseURL
        self.format = format
    }

    /// An adapter configured from shared settings.
    public init(settings: SourceSettings) {
        self.init(apiKey: settings.key("alphavantage"), baseURL: settings.baseURL("alphavantage", default: Self.defaultBaseURL))
    }

    public var limits: RateLimit {
        RateLimit(windows: [.requests(1, per: .seconds(1)), .requests(25, per: .seconds(86_400))],
                  note: "free key: 25 requests per UTC day since 2024, ~1/s burst")
    }

    public func marketSymbol(for instrument: Instrument) -> String? {
        instrument.isWellFormed ? "\(instrument.base)/\(instrument.quote)" : nil
    }

    public func firstCursor(for instrument: Instrument, days: ClosedRange<UTCDay>) -> PageCursor {
        PageCursor(instrument: instrument, remaining: days, window: days)
    }

    public func request(for cursor: PageCursor) throws(SourceError) -> SourceRequest {
        _ = try requireMarket(cursor.instrument)
        var query = [("function", "DIGITAL_CURRENCY_DAILY"), ("symbol", cursor.instrument.base), ("market", cursor.instrument.quote)]
        query.append(("apikey", try key()))
        if format == .csv { query.append(("datatype", "csv")) }
        return SourceRequest(url: URLBuilder.url(base: baseURL, segments: ["query"], query: query))
    }

    func key() throws(SourceError) -> String {
        guard let apiKey else { throw SourceError(.authRequired, source: name, message: "Alpha Vantage needs an API key") }
        return apiKey.value
    }

    var secrets: [String] { apiKey.map { [$0.value] } ?? [] }

    public func parse(_ response: SourceResponse, cursor: PageCursor, now: Date) throws(SourceError) -> CandlePage {
        guard response.status == 200 else { throw ResponseCheck.statusError(response, source: name, now: now) }
        let instrument = cursor.instrument
        var table = CandleRows(source: name, base: instrument.base, quote: instrument.quote, market: instrument.description, nowMillis: UTCDay.millis(of: now))
        if let firstByte = response.body.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }), firstByte != UInt8(ascii: "{"),
           ResponseCheck.nonJSONProblem(response) == nil {
            try AlphaVantageCSV.read(response.text, quote: instrument.quote, source: name, into: &table)
        } else {
            let json = try ResponseCheck.json(response, source: name)
            try readSeries(json, instrument: instrument, now: now, into: &table)
        }
        var gaps: [KnownGap] = []
        let earliest = table.candles.map(\.day).min()
        if let earliest, earliest > cursor.window.lowerBound {
            gaps.append(KnownGap(days: cursor.window.lowerBound...earliest.advanced(by: -1), cause: .beyondHistoryLimit))
        }
        return table.page(window: cursor.window, expectedFrom: earliest ?? cursor.window.upperBound.advanced(by: 1), gaps: gaps, next: nil, reachedEnd: true)
    }

    func readSeries(_ json: JSON, instrument: Instrument, now: Date, into table: inout CandleRows) throws(SourceError) {
        guard let days = json[Self.seriesKey]?.members else {
            throw noticeError(json, now: now) ?? SourceError(.malformedResponse, source: name, status: 200, message: "answer without \(Self.seriesKey)")
        }
        if let market = json["Meta Data"]?["4. Market Code"]?.string, market.uppercased() != instrument.quote {
            throw SourceError(.malformedResponse, source: name, status: 200, message: "answer is for market \(market), not \(instrument.quote)")
        }
        for member in days {
            let raw = JSON.object([member]).compact
            do throws(RowProblem) {
                table.accept(try Self.draft(day: member.key, row: member.value, quote: instrument.quote, raw: raw))
            } catch {
                table.reject(error, raw: raw)
            }
        }
    }

    /// One day of either key set.
    static func draft(day text: String, row: JSON, quote: String, raw: String) throws(RowProblem) -> CandleDraft {
        let day = try Field.day(text, "date")
        func price(_ number: Int, _ field: String) throws(RowProblem) -> Double {
            let keys = ["\(number). \(field)", "\(number)a. \(field) (\(quote))"] + (quote == "USD" ? ["\(number)b. \(field) (USD)"] : [])
            let value = keys.lazy.compactMap { row[$0] }.first
            do throws(RowProblem) {
                return try Field.number(value, field)
            } catch {
                throw RowProblem(error.reason, error.detail, day: day)
            }
        }
        return CandleDraft(
            openTime: day.startMillis, open: try price(1, "open"), high: try price(2, "high"), low: try price(3, "low"),
            close: try price(4, "close"), volume: try price(5, "volume"), raw: raw)
    }

    /// `Error Message`, `Information` or `Note` instead of a series.
    func noticeError(_ json: JSON, now: Date) -> SourceError? {
        if let text = json["Error Message"]?.string {
            let lower = text.lowercased()
            let code: SourceError.Code = lower.contains("apikey") || lower.contains("api key") ? .authRequired : .unknownMarket
            return SourceError(code, source: name, status: 200, message: ResponseCheck.shorten(text), secrets: secrets)
        }
        guard let text = json["Information"]?.string ?? json["Note"]?.string else { return nil }
        let lower = text.lowercased()
        let message = ResponseCheck.shorten(text)
        let error = { (code: SourceError.Code, retry: Duration?) in
            SourceError(code, source: self.name, status: 200, message: message, retryAfter: retry, secrets: self.secrets)
        }
        if lower.contains("sparingly") || lower.contains("1 request per second") { return error(.rateLimited, .seconds(1)) }
        if lower.contains("per minute") || lower.contains("call frequency") { return error(.rateLimited, .seconds(60)) }
        if lower.contains("requests per day") || lower.contains("daily rate limit") { return error(.dailyCapReached, Timestamps.untilNextUTCDay(from: now)) }
        if lower.contains("demo") || lower.contains("is a premium endpoint") { return error(.authRequired, nil) }
        if lower.contains("rate limit") { return error(.rateLimited, nil) }
        return error(.serverError, nil)
    }

    // MARK: Spot

    public func spotRequest(for instrument: Instrument) throws(SourceError) -> SourceRequest {
        _ = try requireMarket(instrument)
        let query = [("function", "CURRENCY_EXCHANGE_RATE"), ("from_currency", instrument.base), ("to_currency", instrument.quote), ("apikey", try key())]
        return SourceRequest(url: URLBuilder.url(base: baseURL, segments: ["query"], query: query))
    }

    /// Parses `Realtime Currency Exchange Rate` (`"6. Last Refreshed"` is UTC).
    public func parseSpot(_ response: SourceResponse, for instrument: Instrument, now: Date) throws(SourceError) -> SpotPrice {
        guard response.status == 200 else { throw ResponseCheck.statusError(response, source: name, now: now) }
        let json = try ResponseCheck.json(response, source: name)
        guard let entry = json["Realtime Currency Exchange Rate"] else {
            throw noticeError(json, now: now) ?? SourceError(.malformedResponse, source: name, status: 200, message: "answer without an exchange rate")
        }
        guard entry["1. From_Currency Code"]?.string == instrument.base, entry["3. To_Currency Code"]?.string == instrument.quote,
              let price = entry["5. Exchange Rate"]?.double, price > 0 else {
            throw SourceError(.malformedResponse, source: name, status: 200, message: "exchange rate missing or for another pair")
        }
        let time = entry["6. Last Refreshed"]?.string.flatMap(Timestamps.millis(isoDateTime:))
        return SpotPrice(source: name, base: instrument.base, quote: instrument.quote, market: instrument.description, price: price, time: time, raw: entry.compact)
    }
}
