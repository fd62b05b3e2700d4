/// A row of an otherwise valid answer that was not turned into a candle or fixing.
public struct RejectedRow: Sendable, Equatable, CustomStringConvertible {
    /// Why it was rejected.
    public var reason: RejectReason
    /// Details, e.g. which field or which values.
    public var detail: String
    /// The day the row is for, when it could be read.
    public var day: UTCDay?
    /// The source's row as text (credentials never appear in rows).
    public var raw: String

    /// A rejection.
    public init(reason: RejectReason, detail: String, day: UTCDay? = nil, raw: String) {
        self.reason = reason
        self.detail = detail
        self.day = day
        self.raw = raw
    }

    public var description: String {
        "\(reason)" + (day.map { " on \($0)" } ?? "") + ": \(detail)"
    }
}

/// Why a row was rejected. New reasons may be added.
public struct RejectReason: Sendable, Hashable, CustomStringConvertible {
    private enum Kind: String, Sendable {
        case missingField, notANumber, nonPositivePrice, negativeVolume, highBelowLow, outsideRange
        case badTimestamp, secondsInsteadOfMillis, millisInsteadOfSeconds, notDayAligned
        case beforeGenesis, inFuture, notDaily, conflictingDuplicate, unexpectedShape
    }

    private let kind: Kind
    private init(_ kind: Kind) { self.kind = kind }

    /// A required field is absent or `null`.
    public static let missingField = RejectReason(.missingField)
    /// A value is not a finite decimal number (`NaN`, `Infinity`, empty, text).
    public static let notANumber = RejectReason(.notANumber)
    /// A price is zero or negative.
    public static let nonPositivePrice = RejectReason(.nonPositivePrice)
    /// A volume is negative.
    public static let negativeVolume = RejectReason(.negativeVolume)
    /// `high < low`.
    public static let highBelowLow = RejectReason(.highBelowLow)
    /// `open` or `close` lies outside `low...high`.
    public static let outsideRange = RejectReason(.outsideRange)
    /// The timestamp or date cannot be read.
    public static let badTimestamp = RejectReason(.badTimestamp)
    /// A source that sends milliseconds sent what can only be seconds.
    public static let secondsInsteadOfMillis = RejectReason(.secondsInsteadOfMillis)
    /// A source that sends seconds sent what can only be milliseconds.
    public static let millisInsteadOfSeconds = RejectReason(.millisInsteadOfSeconds)
    /// The time is not 00:00 UTC (e.g. CoinGecko's request-time point).
    public static let notDayAligned = RejectReason(.notDayAligned)
    /// Before 2009-01-03.
    public static let beforeGenesis = RejectReason(.beforeGenesis)
    /// The day has not started yet.
    public static let inFuture = RejectReason(.inFuture)
    /// Not a one-day bar (CoinGecko `/ohlc` 4-day bars, a Binance close time that is not +1 day).
    public static let notDaily = RejectReason(.notDaily)
    /// A second row for the same day with different values.
    public static let conflictingDuplicate = RejectReason(.conflictingDuplicate)
    /// The row is not the documented array or object.
    public static let unexpectedShape = RejectReason(.unexpectedShape)

    public var description: String { kind.rawValue }
}

/// A row problem found while reading one row; becomes a ``RejectedRow``.
struct RowProblem: Error {
    var reason: RejectReason
    var detail: String
    var day: UTCDay?

    init(_ reason: RejectReason, _ detail: String, day: UTCDay? = nil) {
        self.reason = reason
        self.detail = detail
        self.day = day
    }
}
