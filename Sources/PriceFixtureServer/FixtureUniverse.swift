import PriceSources

/// What history the fixture server has: which assets, which quotes, from which day,
/// up to which "today". Days are day numbers (days since 1970-01-01, UTC), the same
/// as `UTCDay.daysSinceEpoch`.
public struct FixtureUniverse: Sendable, Hashable {
    /// Base assets, e.g. `["BTC", "ETH", ...]`.
    public var assets: [String]
    /// Quote currencies, e.g. `["USD", "INR"]`. Binance serves a `USD` quote as `USDT`.
    public var quotes: [String]
    /// Each asset's first traded day; an asset without an entry starts at ``defaultFirstDay``.
    public var firstDay: [String: Int]
    /// The server's "today": its newest (still open) candle. Later days do not exist.
    public var lastDay: Int
    /// Seeds every price walk: another seed gives other (equally valid) prices.
    public var seed: UInt64

    /// 2017-01-01: the first day of an asset without a `firstDay` entry.
    public static let defaultFirstDay = 17_167

    /// A universe.
    public init(assets: [String], quotes: [String] = ["USD", "INR"], firstDay: [String: Int] = [:], lastDay: Int, seed: UInt64 = 1) {
        self.assets = assets
        self.quotes = quotes
        self.firstDay = firstDay
        self.lastDay = lastDay
        self.seed = seed
    }

    /// The well-known assets (BTC, ETH, SOL, XRP, ADA, DOGE, LTC, BNB, DOT, AVAX, LINK,
    /// TRX) with realistic first days (BTC 2010-07-17, ETH 2015-08-07, ...), quoted in
    /// USD and INR, up to `today`.
    public static func standard(today: Int, seed: UInt64 = 1) -> FixtureUniverse {
        let listed = StandardAssets.all
        return FixtureUniverse(
            assets: listed.map(\.symbol), firstDay: Dictionary(uniqueKeysWithValues: listed.map { ($0.symbol, $0.firstDay) }),
            lastDay: today, seed: seed)
    }

    /// `count` assets: the standard ones first, then `A001`, `A002`, ... with first days
    /// spread deterministically over 2014...2022.
    public static func synthetic(assets count: Int, quotes: [String] = ["USD", "INR"], today: Int, seed: UInt64 = 1) -> FixtureUniverse {
        var universe = standard(today: today, seed: seed)
        universe.quotes = quotes
        let standardCount = min(max(0, count), universe.assets.count)
        universe.assets = Array(universe.assets.prefix(standardCount))
        universe.firstDay = universe.firstDay.filter { universe.assets.contains($0.key) }
        let noise = SeededNoise(seed: seed)
        let spreadStart = Calendars.day(2014, 1, 1)
        let spread = Calendars.day(2023, 1, 1) - spreadStart
        for index in stride(from: 1, through: max(0, count - standardCount), by: 1) {
            let name = "A" + String(repeating: "0", count: max(0, 3 - String(index).count)) + String(index)
            universe.assets.append(name)
            universe.firstDay[name] = spreadStart + Int(noise.uniform(noise.stream(name + "/listing"), 0) * Double(spread))
        }
        return universe
    }

    /// The day number of a `YYYY-MM-DD` date, or `nil` when it is not a valid date.
    public static func dayNumber(_ iso: String) -> Int? {
        UTCDay(iso: iso).map { Int($0.daysSinceEpoch) }
    }

    /// The asset's first day, or `nil` when the asset is not in the universe.
    public func firstDay(of asset: String) -> Int? {
        assets.contains(asset) ? firstDay[asset] ?? Self.defaultFirstDay : nil
    }

    /// Whether the universe quotes `quote`.
    public func hasQuote(_ quote: String) -> Bool { quotes.contains(quote) }
}
