/// One published reference rate: `rate` units of `quote` per 1 `base` (INR per USD).
public struct FxFixing: Sendable, Equatable, CustomStringConvertible {
    /// The base currency, e.g. `USD`.
    public var base: String
    /// The quote currency, e.g. `INR`.
    public var quote: String
    /// The date the source published the rate for (the ECB or H.10 date actually used,
    /// not the requested one).
    public var day: UTCDay
    /// Quote units per base unit.
    public var rate: Double
    /// The adapter's name, e.g. `frankfurter`.
    public var source: String

    /// A fixing.
    public init(base: String, quote: String, day: UTCDay, rate: Double, source: String) {
        self.base = base
        self.quote = quote
        self.day = day
        self.rate = rate
        self.source = source
    }

    /// The fixing date as `YYYY-MM-DD`.
    public var date: String { day.iso }

    public var description: String { "\(source) \(base)/\(quote) \(date) \(rate)" }
}

/// The parsed answer to one FX request.
public struct FxPage: Sendable, Equatable {
    /// Fixings, oldest first, one per date. Days without one are absent, never invented.
    public var fixings: [FxFixing]
    /// Dates the source listed explicitly without a value (FRED `.` or empty).
    public var noFixing: [UTCDay]
    /// Rows that could not be used.
    public var rejected: [RejectedRow]

    /// A page.
    public init(fixings: [FxFixing] = [], noFixing: [UTCDay] = [], rejected: [RejectedRow] = []) {
        self.fixings = fixings
        self.noFixing = noFixing
        self.rejected = rejected
    }
}
