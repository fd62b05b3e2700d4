/// The parsed answer to one candle request.
public struct CandlePage: Sendable, Equatable {
    /// Valid candles inside the cursor's window, oldest first, one per day.
    public var candles: [SourceCandle]
    /// Rows that could not be used, with reasons (send them to the DLQ).
    public var rejected: [RejectedRow]
    /// Days without data for a known reason (pre-history fillers, before listing, beyond the source's limit).
    public var gaps: [KnownGap]
    /// Closed days of the window that should have a row but have none (and are not
    /// explained by `gaps` or `rejected`). Today is never counted.
    public var missingDays: [UTCDay]
    /// Identical repeated rows dropped (inclusive bounds, overlapping answers).
    public var duplicatesDropped: Int
    /// The cursor for the next request, or `nil` when this backfill is complete.
    public var next: PageCursor?
    /// The source showed the end of its data in the paging direction: start of history
    /// when paging backwards, the newest (still open) candle when paging forwards, or a
    /// source that answers everything it has in one call.
    public var reachedEnd: Bool
    /// The pair's first day on this source, when this page revealed it.
    public var historyStart: UTCDay?
    /// Binance `X-MBX-USED-WEIGHT-1M`, when present.
    public var usedWeight: Int?

    /// A page.
    public init(
        candles: [SourceCandle] = [], rejected: [RejectedRow] = [], gaps: [KnownGap] = [],
        missingDays: [UTCDay] = [], duplicatesDropped: Int = 0, next: PageCursor? = nil,
        reachedEnd: Bool = false, historyStart: UTCDay? = nil, usedWeight: Int? = nil
    ) {
        self.candles = candles
        self.rejected = rejected
        self.gaps = gaps
        self.missingDays = missingDays
        self.duplicatesDropped = duplicatesDropped
        self.next = next
        self.reachedEnd = reachedEnd
        self.historyStart = historyStart
        self.usedWeight = usedWeight
    }

    /// The page has fewer rows than asked without the source showing start of history:
    /// re-fetch it (or these days) before treating the range as done.
    public var shortPage: Bool { !missingDays.isEmpty }
}
