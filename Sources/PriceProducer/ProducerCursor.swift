import Foundation
import PriceSources

/// What the producer has published for one source and instrument, stored in the compacted
/// `prices.producer-state` topic in the same Kafka transaction as the candles it covers.
/// Published days are one contiguous range: every day in `covered` is published or a known gap.
public struct ProducerCursor: Codable, Sendable, Equatable {
    /// Format version of this record.
    public var v: Int = 1
    public var source: String
    public var base: String
    public var quote: String
    public var interval: String = "1d"
    /// First and last day published (days since the epoch), inclusive; nil before the first page.
    public var coveredFrom: Int64?
    public var coveredTo: Int64?
    /// The source showed where its history starts: nothing older will be asked.
    public var historyComplete: Bool = false
    /// Days inside `covered` without a candle, with their cause.
    public var gaps: [Gap] = []
    /// Candles published so far (closed days).
    public var published: Int = 0

    public struct Gap: Codable, Sendable, Equatable {
        public var from: Int64
        public var to: Int64
        public var cause: String
    }

    public init(source: String, instrument: Instrument) {
        self.source = source
        base = instrument.base
        quote = instrument.quote
    }

    /// The state topic's key (the candle key): `source|base|quote|interval`.
    public var key: String { "\(source)|\(base)|\(quote)|\(interval)" }

    public var instrument: Instrument { Instrument(base: base, quote: quote) }

    /// The ranges still to fetch to cover `first … lastClosed`: older days first (unless the
    /// source already showed its start), then newer ones.
    public func missing(first: UTCDay, lastClosed: UTCDay) -> [ClosedRange<UTCDay>] {
        guard first <= lastClosed else { return [] }
        guard let from = coveredFrom.map(UTCDay.init(daysSinceEpoch:)), let to = coveredTo.map(UTCDay.init(daysSinceEpoch:)) else {
            return [first...lastClosed]
        }
        var out: [ClosedRange<UTCDay>] = []
        if !historyComplete, first < from { out.append(first...from.advanced(by: -1)) }
        if to < lastClosed { out.append(max(to.advanced(by: 1), first)...lastClosed) }
        return out
    }

    /// Records a page of closed days covering `window`: widens the covered range (the window
    /// must touch it) and adds the page's gaps.
    /// - Returns: false when the window does not touch the covered range (a gap would open).
    public mutating func cover(_ window: ClosedRange<UTCDay>, candles: Int, gaps newGaps: [KnownGap], missing: [UTCDay], reachedStart: Bool) -> Bool {
        let lo = window.lowerBound.daysSinceEpoch, hi = window.upperBound.daysSinceEpoch
        if let from = coveredFrom, let to = coveredTo {
            guard hi >= from - 1, lo <= to + 1 else { return false }
            coveredFrom = min(from, lo)
            coveredTo = max(to, hi)
        } else {
            coveredFrom = lo
            coveredTo = hi
        }
        published += candles
        for g in newGaps {
            gaps.append(Gap(from: g.days.lowerBound.daysSinceEpoch, to: g.days.upperBound.daysSinceEpoch, cause: g.cause.description))
        }
        for day in missing {
            gaps.append(Gap(from: day.daysSinceEpoch, to: day.daysSinceEpoch, cause: "source returned no candle after refetches"))
        }
        if reachedStart { historyComplete = true }
        return true
    }

    /// Days in gaps.
    public var gapDays: Int64 { gaps.reduce(0) { $0 + ($1.to - $1.from + 1) } }

    public func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array((try? encoder.encode(self)) ?? Data())
    }

    /// Decodes a state record; nil for a record of another format.
    public static func decode(_ bytes: [UInt8]) -> ProducerCursor? {
        guard let cursor = try? JSONDecoder().decode(ProducerCursor.self, from: Data(bytes)), cursor.v == 1 else { return nil }
        return cursor
    }
}
