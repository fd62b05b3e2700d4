/// One daily candle as a source reported it, validated and aligned to 00:00 UTC.
public struct SourceCandle: Sendable, Equatable {
    /// The adapter's name, e.g. `cryptocompare`.
    public var source: String
    /// The priced asset, e.g. `BTC`.
    public var base: String
    /// The quote the source actually used: `USDT` for Binance even when `USD` was asked.
    public var quote: String
    /// The source's own market name (`BTCUSDT`, `XXBTZUSD`, `BTC-USD`, `bitcoin/inr` ...).
    public var market: String
    /// Always `1d` in this module.
    public var interval: String
    /// Start of the day, milliseconds since the epoch; always a multiple of one day.
    public var openTime: Int64
    /// Opening price.
    public var open: Double
    /// Highest price.
    public var high: Double
    /// Lowest price.
    public var low: Double
    /// Closing (or, while open, latest) price.
    public var close: Double
    /// Base-asset volume; for ``CandleKind/snapshot`` candles the source's rolling 24 h
    /// quote-currency volume (the mapping table in price-apis.md).
    public var volume: Double
    /// Quote-currency volume when the source gives one.
    public var quoteVolume: Double?
    /// Market capitalisation when the source gives a real one (CoinGecko only).
    public var marketCap: Double?
    /// `false` for the still-open current day: publish it as an update, not as final.
    public var isClosed: Bool
    /// A traded candle or a price snapshot.
    public var kind: CandleKind
    /// How the source built the pair when it says so (CryptoCompare `conversionType`,
    /// with `:conversionSymbol` when there is one).
    public var conversion: String?
    /// The source's row as text, for the dead-letter queue and audits.
    public var raw: String

    /// A candle.
    public init(
        source: String, base: String, quote: String, market: String, interval: String = "1d",
        openTime: Int64, open: Double, high: Double, low: Double, close: Double, volume: Double,
        quoteVolume: Double? = nil, marketCap: Double? = nil, isClosed: Bool,
        kind: CandleKind = .traded, conversion: String? = nil, raw: String
    ) {
        self.source = source
        self.base = base
        self.quote = quote
        self.market = market
        self.interval = interval
        self.openTime = openTime
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
        self.quoteVolume = quoteVolume
        self.marketCap = marketCap
        self.isClosed = isClosed
        self.kind = kind
        self.conversion = conversion
        self.raw = raw
    }

    /// The UTC day this candle covers.
    public var day: UTCDay { UTCDay(containingMillis: openTime) }
}

/// What a candle's prices mean.
public struct CandleKind: Sendable, Hashable, CustomStringConvertible {
    private enum Kind: String, Sendable { case traded, snapshot }
    private let kind: Kind
    private init(_ kind: Kind) { self.kind = kind }

    /// Open, high, low and close from trades during the day.
    public static let traded = CandleKind(.traded)
    /// One price observed at 00:00 UTC, copied to open = high = low = close (CoinGecko charts).
    public static let snapshot = CandleKind(.snapshot)

    public var description: String { kind.rawValue }
}
