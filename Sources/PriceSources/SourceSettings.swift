/// Configuration shared by ``SourceRegistry/standard(settings:)``: keys and base URLs
/// by source name, and the User-Agent to send. Printing it never shows a key.
public struct SourceSettings: Sendable, CustomStringConvertible {
    /// API keys by source name (`cryptocompare`, `coingecko`, `alphavantage`, `fred`).
    public var apiKeys: [String: APIKey]
    /// Base URLs by source name, e.g. the offline fixture server; defaults otherwise.
    public var baseURLs: [String: String]
    /// Sent where an API asks for one (Coinbase, FRED).
    public var userAgent: String
    /// CoinGecko paid plan: use the Pro host and header.
    public var coinGeckoPro: Bool

    /// Settings; blank keys are ignored.
    public init(apiKeys: [String: String] = [:], baseURLs: [String: String] = [:], userAgent: String = SourceSettings.defaultUserAgent, coinGeckoPro: Bool = false) {
        self.apiKeys = apiKeys.compactMapValues { APIKey($0) }
        self.baseURLs = baseURLs
        self.userAgent = userAgent
        self.coinGeckoPro = coinGeckoPro
    }

    /// `price-pipeline/1.0`.
    public static let defaultUserAgent = "price-pipeline/1.0"

    func key(_ source: String) -> String? { apiKeys[source]?.value }

    func baseURL(_ source: String, default fallback: String) -> String { baseURLs[source] ?? fallback }

    public var description: String {
        "SourceSettings(keys for \(apiKeys.keys.sorted()), base URLs \(baseURLs.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }), user agent \(userAgent))"
    }
}
