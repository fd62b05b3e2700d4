/// One request the server answered, as ``PriceFixtureServer/requests(source:)`` lists it.
public struct ServedRequest: Sendable {
    /// The API (`cryptocompare`, `binance`, ...): the first path segment.
    public let source: String
    /// The API's own path, below the source prefix (`/data/v2/histoday`).
    public let path: String
    /// The query string as sent (still percent-encoded).
    public let query: String
    /// When it arrived.
    public let at: ContinuousClock.Instant
    /// The status answered.
    public let status: Int
    /// The scripted fault it got, if any.
    public let fault: Fault?
    /// Whether an enforced ``RequestLimit`` refused it.
    public let limited: Bool
}
