/// A latest-price answer (ticker), for live updates between daily candles.
public struct SpotPrice: Sendable, Equatable {
    /// The adapter's name.
    public var source: String
    /// The priced asset.
    public var base: String
    /// The quote the source used (`USDT` on Binance).
    public var quote: String
    /// The source's market name.
    public var market: String
    /// The price.
    public var price: Double
    /// When the source says the price was observed (ms since the epoch), if it says.
    public var time: Int64?
    /// The relevant part of the answer as text.
    public var raw: String

    /// A spot price.
    public init(source: String, base: String, quote: String, market: String, price: Double, time: Int64?, raw: String) {
        self.source = source
        self.base = base
        self.quote = quote
        self.market = market
        self.price = price
        self.time = time
        self.raw = raw
    }
}
