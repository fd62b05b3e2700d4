/// Where a backfill stands: what is left to fetch and what the next request asks for.
/// Adapters create cursors (``CandleSource/firstCursor(for:days:)`` and
/// ``CandlePage/next``); callers just pass them back.
public struct PageCursor: Sendable, Hashable, CustomStringConvertible {
    /// The instrument being fetched.
    public let instrument: Instrument
    /// Every day still to fetch in this backfill, including `window`.
    public let remaining: ClosedRange<UTCDay>
    /// The days the request for this cursor covers: the source's page in its paging direction.
    public let window: ClosedRange<UTCDay>
    /// 0 for the first page of the backfill.
    public let page: Int
    /// Whether an earlier page of this backfill returned candles.
    public let seenData: Bool

    /// A cursor; adapters use this, callers normally do not.
    public init(instrument: Instrument, remaining: ClosedRange<UTCDay>, window: ClosedRange<UTCDay>, page: Int = 0, seenData: Bool = false) {
        self.instrument = instrument
        self.remaining = remaining
        self.window = window
        self.page = page
        self.seenData = seenData
    }

    public var description: String {
        "\(instrument) page \(page) \(window.lowerBound)...\(window.upperBound) of \(remaining.lowerBound)...\(remaining.upperBound)"
    }
}
