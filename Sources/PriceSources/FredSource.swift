import Foundation

/// FRED series `DEXINUS` (Federal Reserve H.10, INR per USD, from 1973-01-02,
/// published weekly). With a key: the JSON API
/// `api.stlouisfed.org/fred/series/observations` (`api_key` in the query, redacted
/// in all output). Without: the best-effort keyless CSV
/// `fred.stlouisfed.org/graph/fredgraph.csv`, whose header changed in late 2024
/// (`DATE` → `observation_date`) together with the missing-value marker (`.` →
/// empty); both are read. Missing fixings go to ``FxPage/noFixing``.
public struct FredSource: FxSource {
    /// `https://api.stlouisfed.org`.
    public static let defaultAPIBaseURL = "https://api.stlouisfed.org"
    /// `https://fred.stlouisfed.org`.
    public static let defaultGraphBaseURL = "https://fred.stlouisfed.org"
    /// FRED series by pair.
    public static let seriesIDs = [Instrument(base: "USD", quote: "INR"): "DEXINUS"]

    public var name: String { "fred" }
    /// The JSON API's base URL (used with a key).
    public let apiBaseURL: String
    /// The keyless CSV's base URL (used without a key).
    public let graphBaseURL: String
    /// Sent with keyless CSV requests.
    public let userAgent: String
    let apiKey: APIKey?

    /// An adapter: the JSON API when `apiKey` is set, else the keyless CSV.
    public init(apiKey: String? = nil, apiBaseURL: String = FredSource.defaultAPIBaseURL,
                graphBaseURL: String = FredSource.defaultGraphBaseURL, userAgent: String = SourceSettings.defaultUserAgent) {
        self.apiKey = APIKey(apiKey)
        self.apiBaseURL = apiBaseURL
        self.graphBaseURL = graphBaseURL
        self.userAgent = userAgent
    }

    /// An adapter configured from shared settings (`fred` and `fred_api` base URLs).
    public init(settings: SourceSettings) {
        self.init(apiKey: settings.key("fred"), apiBaseURL: settings.baseURL("fred_api", default: Self.defaultAPIBaseURL),
                  graphBaseURL: settings.baseURL("fred", default: Self.defaultGraphBaseURL), userAgent: settings.userAgent)
    }

    public var limits: RateLimit {
        apiKey == nil
            ? RateLimit(windows: [], note: "keyless CSV: no published quota, best effort (403 reports since 2026-05)")
            : RateLimit(windows: [.requests(120, per: .seconds(60))], note: "per key historically; per-second metering reported 2026 (unverified)")
    }

    public func supports(_ pair: Instrument) -> Bool { Self.seriesIDs[pair] != nil }

    public func request(for pair: Instrument, days: ClosedRange<UTCDay>) throws(SourceError) -> SourceRequest {
        guard let series = Self.seriesIDs[pair] else { throw SourceError(.unsupported, source: name, message: "\(name) has no series for \(pair)") }
        if let apiKey {
            let query = [
                ("series_id", series), ("observation_start", days.lowerBound.iso), ("observation_end", days.upperBound.iso),
                ("file_type", "json"), ("api_key", apiKey.value),
            ]
            return SourceRequest(url: URLBuilder.url(base: apiBaseURL, segments: ["fred", "series", "observations"], query: query))
        }
        let query = [("id", series), ("cosd", days.lowerBound.iso), ("coed", days.upperBound.iso)]
        return SourceRequest(url: URLBuilder.url(base: graphBaseURL, segments: ["graph", "fredgraph.csv"], query: query),
                             headers: [HTTPHeader(name: "User-Agent", value: userAgent)])
    }

    /// Parses either format (recognised by content, so a CSV answer is read even when
    /// a key is configured and vice versa).
    public func parse(_ response: SourceResponse, for pair: Instrument, now: Date) throws(SourceError) -> FxPage {
        guard response.status == 200 else { throw error(for: response, now: now) }
        if let problem = ResponseCheck.nonJSONProblem(response) {
            throw SourceError(.malformedResponse, source: name, status: 200, message: problem)
        }
        let firstByte = response.body.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
        return firstByte == UInt8(ascii: "{") ? try parseJSON(response, pair: pair) : try parseCSV(response.text, pair: pair)
    }

    func parseJSON(_ response: SourceResponse, pair: Instrument) throws(SourceError) -> FxPage {
        let json = try ResponseCheck.json(response, source: name)
        guard let observations = json["observations"]?.array else {
            throw SourceError(.malformedResponse, source: name, status: 200, message: "answer without observations")
        }
        var rows = FxRows(source: name, pair: pair)
        for observation in observations {
            guard let date = observation["date"]?.string else {
                rows.reject(RowProblem(.missingField, "observation without date"), raw: observation.compact)
                continue
            }
            rows.add(date: date, value: observation["value"], raw: observation.compact)
        }
        return rows.page
    }

    func parseCSV(_ text: String, pair: Instrument) throws(SourceError) -> FxPage {
        let series = Self.seriesIDs[pair] ?? ""
        let lines = CSV.lines(text)
        guard let header = lines.first.map(CSV.cells), header.count == 2,
              ["date", "observation_date"].contains(header[0].lowercased()), header[1].uppercased() == series else {
            throw SourceError(.malformedResponse, source: name, status: 200, message: "CSV header is not DATE/observation_date,\(series)")
        }
        var rows = FxRows(source: name, pair: pair)
        for line in lines.dropFirst() {
            let cells = CSV.cells(line)
            guard cells.count == 2 else {
                rows.reject(RowProblem(.unexpectedShape, "\(cells.count) cells, 2 expected", day: cells.first.flatMap { UTCDay(iso: $0) }), raw: String(line))
                continue
            }
            rows.add(date: cells[0], value: .string(cells[1]), raw: String(line))
        }
        return rows.page
    }

    /// `{"error_code":400,"error_message":"Bad Request.  The value for variable api_key ..."}`.
    func error(for response: SourceResponse, now: Date) -> SourceError {
        let secrets = apiKey.map { [$0.value] } ?? []
        guard let upstream = ResponseCheck.jsonIfAny(response)?["error_message"]?.string.map(ResponseCheck.shorten) else {
            return ResponseCheck.statusError(response, source: name, now: now)
        }
        switch response.status {
        case 400 where upstream.contains("api_key"), 401, 403:
            return SourceError(.authRequired, source: name, status: response.status, message: upstream, secrets: secrets)
        case 429:
            return SourceError(.rateLimited, source: name, status: 429, message: upstream, retryAfter: Timestamps.retryAfter(response, now: now), secrets: secrets)
        default:
            return ResponseCheck.statusError(response, source: name, now: now, detail: Redactor.scrub(upstream, secrets: secrets))
        }
    }
}
