/// A source's documented limits, for the caller's scheduler (this module does no I/O).
public struct RateLimit: Sendable, Equatable, CustomStringConvertible {
    /// One budget: at most `limit` units per `period`.
    public struct Window: Sendable, Equatable, CustomStringConvertible {
        /// Units allowed per period.
        public var limit: Int
        /// The period.
        public var period: Duration
        /// `true` when units are request weight (Binance), `false` for request counts.
        public var countsWeight: Bool

        /// A window.
        public init(limit: Int, period: Duration, countsWeight: Bool = false) {
            self.limit = limit
            self.period = period
            self.countsWeight = countsWeight
        }

        /// A request-count window.
        public static func requests(_ limit: Int, per period: Duration) -> Window {
            Window(limit: limit, period: period)
        }

        /// A request-weight window (Binance).
        public static func weight(_ limit: Int, per period: Duration) -> Window {
            Window(limit: limit, period: period, countsWeight: true)
        }

        public var description: String {
            "\(limit) \(countsWeight ? "weight" : "requests")/\(period.components.seconds) s"
        }
    }

    /// Every budget that applies at once.
    public var windows: [Window]
    /// Where the figures come from and what is uncertain.
    public var note: String

    /// Limits.
    public init(windows: [Window], note: String) {
        self.windows = windows
        self.note = note
    }

    public var description: String {
        (windows.isEmpty ? "no published limit" : windows.map(\.description).joined(separator: ", ")) + " (\(note))"
    }
}
