import Foundation

/// Frankfurter v1 (`https://api.frankfurter.dev/v1/…`): ECB reference rates, keyless,
/// the whole range in one answer. USD→INR exists from 2009-01-02.
///
/// Dates in the answer are the ECB dates actually used: a range starting on a
/// non-working day starts at the previous working day, a single date answers the
/// last working day on or before it, and non-working days are simply absent (never
/// invented here either). Errors: 404 `{"message":"not found"}` → `noData`, 422 →
/// `badRequest`.
public struct FrankfurterSource: FxSource {
    /// `https://api.frankfurter.dev` (the old `api.frankfurter.app` answers 301 to it).
    public static let defaultBaseURL = "https://api.frankfurter.dev"
    /// The ECB's first INR fixing.
    public static let firstINRFixing = UTCDay(year: 2009, month: 1, day: 2) ?? UTCDay.genesis

    public var name: String { "frankfurter" }
    /// The base URL requests are built on.
    public let baseURL: String

    /// An adapter.
    public init(baseURL: String = FrankfurterSource.defaultBaseURL) {
        self.baseURL = baseURL
    }

    /// An adapter configured from shared settings.
    public init(settings: SourceSettings) {
        self.init(baseURL: settings.baseURL("frankfurter", default: Self.defaultBaseURL))
    }

    public var limits: RateLimit {
        RateLimit(windows: [], note: "no key, no published quota: fetch history once, then one small request a day")
    }

    public func supports(_ pair: Instrument) -> Bool {
        pair.isWellFormed && pair.base.count == 3 && pair.quote.count == 3
    }

    /// `GET /v1/<first>..<last>?from=<base>&to=<quote>`.
    public func request(for pair: Instrument, days: ClosedRange<UTCDay>) throws(SourceError) -> SourceRequest {
        try request(pair, path: days.lowerBound.iso + ".." + days.upperBound.iso)
    }

    /// `GET /v1/latest?from=<base>&to=<quote>` (before ~16:00 CET: the previous working day).
    public func latestRequest(for pair: Instrument) throws(SourceError) -> SourceRequest {
        try request(pair, path: "latest")
    }

    /// `GET /v1/<day>?from=<base>&to=<quote>` (a non-working day answers the previous working day).
    public func request(for pair: Instrument, on day: UTCDay) throws(SourceError) -> SourceRequest {
        try request(pair, path: day.iso)
    }

    func request(_ pair: Instrument, path: String) throws(SourceError) -> SourceRequest {
        guard supports(pair) else { throw SourceError(.unsupported, source: name, message: "\(name) does not publish \(pair)") }
        return SourceRequest(url: URLBuilder.url(base: baseURL, segments: ["v1", path], query: [("from", pair.base), ("to", pair.quote)]))
    }

    /// Parses a series (`rates` keyed by date) or a single date / latest answer.
    public func parse(_ response: SourceResponse, for pair: Instrument, now: Date) throws(SourceError) -> FxPage {
        guard response.status == 200 else { throw error(for: response, now: now) }
        let json = try ResponseCheck.json(response, source: name)
        guard let rates = json["rates"]?.members else {
            throw SourceError(.malformedResponse, source: name, status: 200, message: "answer without rates")
        }
        if let base = json["base"]?.string, base != pair.base {
            throw SourceError(.malformedResponse, source: name, status: 200, message: "answer is for base \(base), not \(pair.base)")
        }
        let amount = json["amount"]?.double ?? 1
        guard amount > 0 else { throw SourceError(.malformedResponse, source: name, status: 200, message: "amount \(amount)") }
        var rows = FxRows(source: name, pair: pair)
        if let date = json["date"]?.string {
            rows.add(date: date, value: json["rates"]?[pair.quote] ?? .null, raw: json.compact, divisor: amount)
        } else {
            for member in rates {
                let raw = JSON.object([member]).compact
                guard member.value.members != nil else {
                    rows.reject(RowProblem(.unexpectedShape, "rates entry is not an object", day: UTCDay(iso: member.key)), raw: raw)
                    continue
                }
                rows.add(date: member.key, value: member.value[pair.quote] ?? .null, raw: raw, divisor: amount)
            }
        }
        return rows.page
    }

    func error(for response: SourceResponse, now: Date) -> SourceError {
        let upstream = ResponseCheck.jsonIfAny(response)?["message"]?.string.map(ResponseCheck.shorten)
        switch (response.status, upstream) {
        case (404, .some(let message)): return SourceError(.noData, source: name, status: 404, message: message)
        case (422, .some(let message)): return SourceError(.badRequest, source: name, status: 422, message: message)
        default: return ResponseCheck.statusError(response, source: name, now: now, detail: upstream)
        }
    }
}
