/// Days inside the requested range that have no candle for a known reason: never
/// filled, never silently dropped.
public struct KnownGap: Sendable, Hashable, CustomStringConvertible {
    /// The days without data, inclusive.
    public var days: ClosedRange<UTCDay>
    /// Why.
    public var cause: GapCause

    /// A gap.
    public init(days: ClosedRange<UTCDay>, cause: GapCause) {
        self.days = days
        self.cause = cause
    }

    public var description: String { "\(cause) \(days.lowerBound)...\(days.upperBound)" }
}

/// Why a ``KnownGap`` has no data. New causes may be added.
public struct GapCause: Sendable, Hashable, CustomStringConvertible {
    private enum Kind: String, Sendable { case preHistoryFiller, beforeListing, beyondHistoryLimit }
    private let kind: Kind
    private init(_ kind: Kind) { self.kind = kind }

    /// The source padded days before the pair's first trade with zero or flat
    /// zero-volume rows (CryptoCompare); those rows were dropped.
    public static let preHistoryFiller = GapCause(.preHistoryFiller)
    /// Before the pair's listing on this source (Binance's first kline, Coinbase's empty page).
    public static let beforeListing = GapCause(.beforeListing)
    /// Older than the source keeps or serves (Kraken's 720 candles, Alpha Vantage's retained series).
    public static let beyondHistoryLimit = GapCause(.beyondHistoryLimit)

    public var description: String { kind.rawValue }
}
