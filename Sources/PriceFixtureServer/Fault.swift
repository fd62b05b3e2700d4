/// One way an answer can go wrong, as the real APIs do.
public enum Fault: Sendable, Hashable, CustomStringConvertible {
    /// HTTP 429 with `Retry-After` (seconds) and the API's own 429 body.
    case status429(_ retryAfterSeconds: Int)
    /// The API's rate-limit message sent with HTTP 200 (CryptoCompare `Type 99`, Kraken
    /// `EAPI:Rate limit exceeded`, Alpha Vantage `Information`, CoinGecko `status.error_code
    /// 429`); APIs without such a body send their 429 body with HTTP 200.
    case rateLimitBody200
    /// A CDN's HTML 502 page.
    case html502
    /// Binance's IP ban: HTTP 418 with `Retry-After` (seconds) and "banned until <ms>".
    case ban418(_ retryAfterSeconds: Int)
    /// The normal answer, sent after this delay.
    case slow(Duration)
    /// The normal answer with only the first half of its body (correctly framed).
    case truncated
    /// A candle or fixing page missing two rows in the middle of its data (not at the
    /// start of history).
    case shortPage
    /// A candle page that also repeats three rows of the previous page (newer rows for
    /// CryptoCompare, which pages backwards; older rows for Binance, which pages forwards).
    case overlap
    /// A candle page with one impossible row (high below low; a negative FX rate).
    case invalidRows

    /// The name used in fault-script JSON, e.g. `status429`.
    public var name: String {
        switch self {
        case .status429: "status429"
        case .rateLimitBody200: "rateLimitBody200"
        case .html502: "html502"
        case .ban418: "ban418"
        case .slow: "slow"
        case .truncated: "truncated"
        case .shortPage: "shortPage"
        case .overlap: "overlap"
        case .invalidRows: "invalidRows"
        }
    }

    public var description: String {
        switch self {
        case .status429(let seconds), .ban418(let seconds): "\(name)(\(seconds)s)"
        case .slow(let delay): "slow(\(delay))"
        default: name
        }
    }

    /// Faults that change rows of a synthesised page rather than the whole answer.
    var changesRows: Bool {
        switch self {
        case .shortPage, .overlap, .invalidRows: true
        default: false
        }
    }
}
