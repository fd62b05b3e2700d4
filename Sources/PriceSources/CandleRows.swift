/// A row read from a source, units already converted, not yet validated.
struct CandleDraft {
    var openTime: Int64
    var open: Double
    var high: Double
    var low: Double
    var close: Double
    var volume: Double
    var quoteVolume: Double?
    var marketCap: Double?
    var conversion: String?
    /// The source's own open/closed signal (Kraken `last`, Binance close time), if any.
    var closedBySource: Bool?
    var raw: String

    var day: UTCDay { UTCDay(containingMillis: openTime) }

    /// Zero volumes and either all-zero or flat prices: CryptoCompare's pre-history padding.
    var isFiller: Bool {
        guard volume == 0, (quoteVolume ?? 0) == 0 else { return false }
        return (open == 0 && high == 0 && low == 0 && close == 0) || (open == high && high == low && low == close)
    }
}

/// Validates drafts into candles and assembles a page.
struct CandleRows {
    /// Tolerated clock difference before a day counts as "in the future".
    static let clockSkewMillis: Int64 = 300_000

    let source: String
    let base: String
    let quote: String
    let market: String
    let kind: CandleKind
    let nowMillis: Int64

    private(set) var candles: [SourceCandle] = []
    private(set) var rejected: [RejectedRow] = []

    init(source: String, base: String, quote: String, market: String, kind: CandleKind = .traded, nowMillis: Int64) {
        self.source = source
        self.base = base
        self.quote = quote
        self.market = market
        self.kind = kind
        self.nowMillis = nowMillis
    }

    /// Validates and keeps the draft, or records why not.
    mutating func accept(_ draft: CandleDraft) {
        do throws(RowProblem) {
            candles.append(try validate(draft))
        } catch {
            reject(error, raw: draft.raw, day: error.day ?? draft.day)
        }
    }

    /// Records a row that could not be read.
    mutating func reject(_ problem: RowProblem, raw: String, day: UTCDay? = nil) {
        rejected.append(RejectedRow(reason: problem.reason, detail: problem.detail, day: problem.day ?? day, raw: raw))
    }

    private func validate(_ d: CandleDraft) throws(RowProblem) -> SourceCandle {
        guard d.openTime % UTCDay.millisPerDay == 0 else {
            throw RowProblem(.notDayAligned, "open time \(d.openTime) is not 00:00 UTC")
        }
        guard d.day >= UTCDay.genesis else { throw RowProblem(.beforeGenesis, "\(d.day) is before 2009-01-03") }
        guard d.openTime <= nowMillis + CandleRows.clockSkewMillis else { throw RowProblem(.inFuture, "\(d.day) has not started") }
        guard d.open > 0, d.high > 0, d.low > 0, d.close > 0 else {
            throw RowProblem(.nonPositivePrice, "o=\(d.open) h=\(d.high) l=\(d.low) c=\(d.close)")
        }
        guard d.volume >= 0, (d.quoteVolume ?? 0) >= 0, (d.marketCap ?? 0) >= 0 else {
            throw RowProblem(.negativeVolume, "volume \(d.volume), quote volume \(d.quoteVolume ?? 0), market cap \(d.marketCap ?? 0)")
        }
        guard d.low <= d.high else { throw RowProblem(.highBelowLow, "high \(d.high) < low \(d.low)") }
        guard (d.low...d.high).contains(d.open), (d.low...d.high).contains(d.close) else {
            throw RowProblem(.outsideRange, "open \(d.open) or close \(d.close) outside \(d.low)...\(d.high)")
        }
        let dayOver = d.openTime + UTCDay.millisPerDay <= nowMillis
        return SourceCandle(
            source: source, base: base, quote: quote, market: market, openTime: d.openTime,
            open: d.open, high: d.high, low: d.low, close: d.close, volume: d.volume,
            quoteVolume: d.quoteVolume, marketCap: d.marketCap, isClosed: dayOver && (d.closedBySource ?? true),
            kind: kind, conversion: d.conversion, raw: d.raw)
    }

    /// Sorts, de-duplicates, keeps the window and lists missing closed days.
    ///
    /// - Parameter expectedFrom: the first day a row is expected (history start), if later than the window's.
    func page(
        window: ClosedRange<UTCDay>, expectedFrom: UTCDay? = nil, gaps: [KnownGap] = [], next: PageCursor?,
        reachedEnd: Bool, historyStart: UTCDay? = nil, usedWeight: Int? = nil
    ) -> CandlePage {
        let ordered = candles.enumerated().sorted { ($0.element.openTime, $0.offset) < ($1.element.openTime, $1.offset) }.map(\.element)
        var kept: [SourceCandle] = []
        var rejected = self.rejected
        var duplicates = 0
        for candle in ordered {
            guard let previous = kept.last, previous.openTime == candle.openTime else {
                kept.append(candle)
                continue
            }
            if CandleRows.sameValues(previous, candle) {
                duplicates += 1
            } else {
                rejected.append(RejectedRow(reason: .conflictingDuplicate, detail: "second row for \(candle.day) with other values", day: candle.day, raw: candle.raw))
            }
        }
        kept.removeAll { !window.contains($0.day) }
        let clippedGaps = gaps.compactMap { CandleRows.clip($0, to: window) }
        let missing = CandleRows.missingDays(
            window: window, expectedFrom: expectedFrom, nowMillis: nowMillis, gaps: clippedGaps,
            present: Set(kept.map(\.day)).union(rejected.compactMap(\.day)))
        return CandlePage(
            candles: kept, rejected: rejected, gaps: clippedGaps, missingDays: missing, duplicatesDropped: duplicates,
            next: next, reachedEnd: reachedEnd, historyStart: historyStart, usedWeight: usedWeight)
    }

    static func sameValues(_ a: SourceCandle, _ b: SourceCandle) -> Bool {
        a.open == b.open && a.high == b.high && a.low == b.low && a.close == b.close && a.volume == b.volume
    }

    static func clip(_ gap: KnownGap, to window: ClosedRange<UTCDay>) -> KnownGap? {
        let lower = max(gap.days.lowerBound, window.lowerBound)
        let upper = min(gap.days.upperBound, window.upperBound)
        return lower <= upper ? KnownGap(days: lower...upper, cause: gap.cause) : nil
    }

    static func missingDays(window: ClosedRange<UTCDay>, expectedFrom: UTCDay?, nowMillis: Int64, gaps: [KnownGap], present: Set<UTCDay>) -> [UTCDay] {
        let lastClosed = UTCDay(containingMillis: nowMillis).advanced(by: -1)
        let lower = max(window.lowerBound, expectedFrom ?? window.lowerBound)
        let upper = min(window.upperBound, lastClosed)
        guard lower <= upper else { return [] }
        return (lower...upper).filter { day in
            !present.contains(day) && !gaps.contains { $0.days.contains(day) }
        }
    }
}
