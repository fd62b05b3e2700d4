/// One synthesised daily candle, before it is written in an API's format.
struct DayCandle: Sendable, Equatable {
    var day: Int
    var open: Double
    var high: Double
    var low: Double
    var close: Double
    /// Base-asset volume.
    var volume: Double
    /// Quote-currency volume.
    var quoteVolume: Double
    var trades: Int

    /// All four prices and the quote volume times `factor` (another quote currency or venue).
    func scaled(by factor: Double, volumeShare: Double) -> DayCandle {
        DayCandle(day: day, open: open * factor, high: high * factor, low: low * factor, close: close * factor,
                  volume: volume * volumeShare, quoteVolume: quoteVolume * volumeShare * factor,
                  trades: max(1, Int(Double(trades) * volumeShare)))
    }

    /// An impossible candle for the `invalidRows` fault: high below low.
    var withHighBelowLow: DayCandle {
        var copy = self
        copy.high = min(low, high) * 0.9
        copy.low = max(low, high)
        return copy
    }
}
