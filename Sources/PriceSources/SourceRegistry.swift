/// The configured sources. Adding a source is one new adapter file plus one line
/// in ``candleFactories`` or ``fxFactories``.
public struct SourceRegistry: Sendable {
    /// Candle sources in preference order.
    public let candleSources: [any CandleSource]
    /// FX sources in preference order (default first: Frankfurter, then FRED).
    public let fxSources: [any FxSource]

    /// A registry of exactly these sources.
    public init(candleSources: [any CandleSource], fxSources: [any FxSource]) {
        self.candleSources = candleSources
        self.fxSources = fxSources
    }

    /// Every known source, configured from `settings`.
    public static func standard(settings: SourceSettings = SourceSettings()) -> SourceRegistry {
        SourceRegistry(candleSources: candleFactories.map { $0(settings) }, fxSources: fxFactories.map { $0(settings) })
    }

    /// The candle source with this name.
    public func candleSource(named name: String) -> (any CandleSource)? {
        candleSources.first { $0.name == name }
    }

    /// The FX source with this name.
    public func fxSource(named name: String) -> (any FxSource)? {
        fxSources.first { $0.name == name }
    }

    /// Candle sources that can serve the instrument, in preference order.
    public func candleSources(supporting instrument: Instrument) -> [any CandleSource] {
        candleSources.filter { $0.supports(instrument) }
    }

    /// The candle sources that also have a latest-price endpoint.
    public var spotSources: [any SpotPriceSource] {
        candleSources.compactMap { $0 as? any SpotPriceSource }
    }

    /// The names of all sources.
    public var names: [String] { candleSources.map(\.name) + fxSources.map(\.name) }
}

extension SourceRegistry {
    /// One line per candle source, in preference order (price-apis.md's recommended default set).
    static let candleFactories: [@Sendable (SourceSettings) -> any CandleSource] = [
        { CryptoCompareSource(settings: $0) },
        { BinanceSource(settings: $0) },
        { CoinbaseSource(settings: $0) },
        { CoinGeckoSource(settings: $0) },
        { KrakenSource(settings: $0) },
        { AlphaVantageSource(settings: $0) },
    ]

    /// One line per FX source, in preference order.
    static let fxFactories: [@Sendable (SourceSettings) -> any FxSource] = [
        { FrankfurterSource(settings: $0) },
        { FredSource(settings: $0) },
    ]
}
