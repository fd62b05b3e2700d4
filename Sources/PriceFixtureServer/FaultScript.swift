/// Which requests get which ``Fault``, and optional per-source rate limits.
///
/// Each rule counts the requests that match it (its source, or `*`, and an optional
/// path fragment): it lets the first `after` pass, then faults the next `count`. Rules
/// count independently; when several fire on one request, the first in the list wins.
/// ``PriceFixtureServer/setFaults(_:)`` starts all counters again.
public struct FaultScript: Sendable, Hashable {
    /// The rules, in priority order.
    public var rules: [FaultRule]
    /// Enforced limits by source name; a source without an entry is unlimited.
    public var limits: [String: RequestLimit]

    /// No faults and no limits.
    public static let none = FaultScript()

    /// A script.
    public init(rules: [FaultRule] = [], limits: [String: RequestLimit] = [:]) {
        self.rules = rules
        self.limits = limits
    }
}

/// One rule of a ``FaultScript``.
public struct FaultRule: Sendable, Hashable {
    /// The source (`cryptocompare`, `binance`, ...) or `*` for every source.
    public var source: String
    /// Only requests whose API path contains this text match (all when `nil`).
    public var pathContains: String?
    /// Matching requests that pass untouched before the rule fires.
    public var after: Int
    /// Matching requests that get the fault once it fires (`Int.max`: all of them).
    public var count: Int
    /// What happens to them.
    public var fault: Fault

    /// A rule.
    public init(source: String, pathContains: String? = nil, after: Int = 0, count: Int = 1, fault: Fault) {
        self.source = source
        self.pathContains = pathContains
        self.after = after
        self.count = count
        self.fault = fault
    }

    func matches(source other: String, path: String) -> Bool {
        (source == "*" || source == other) && (pathContains.map { path.contains($0) } ?? true)
    }
}

/// A rate limit the server enforces for one source, answering as that API does when
/// it is exceeded: HTTP 429 with `Retry-After` (Binance, Coinbase, CoinGecko, FRED,
/// Frankfurter) or the API's own HTTP 200 body (CryptoCompare, Kraken, Alpha Vantage).
/// Binance bans with 418 a client that keeps calling during a `Retry-After`.
public struct RequestLimit: Sendable, Hashable {
    /// Requests allowed in any sliding window of `per`. Refused requests do not count.
    public var requests: Int
    /// The window.
    public var per: Duration
    /// Binance: requests sent while a `Retry-After` is still running, before a 418 ban.
    public var banAfterIgnored: Int
    /// Binance: how long a ban lasts.
    public var banDuration: Duration

    /// A limit of `requests` per `per`.
    public init(requests: Int, per: Duration, banAfterIgnored: Int = 2, banDuration: Duration = .seconds(120)) {
        self.requests = requests
        self.per = per
        self.banAfterIgnored = banAfterIgnored
        self.banDuration = banDuration
    }
}
