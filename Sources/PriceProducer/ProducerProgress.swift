import Foundation
import Logging
import Metrics
import PriceSources
import Synchronization

/// Backfill progress per source and instrument.
public final class ProducerProgress: Sendable {
    public struct Entry: Sendable {
        public var key: String
        public var coveredDays: Int64
        public var expectedDays: Int64
        public var published: Int
        /// Candles published by this process (the cursor's count also holds earlier runs').
        public var publishedNow: Int
        public var gapDays: Int64
        public var historyComplete: Bool
        public var lastError: String?
        public var updatedAt: Date
    }
    private let state = Mutex<[String: Entry]>([:])
    private let initial = Mutex<[String: Int]>([:])

    func update(_ cursor: ProducerCursor, expectedFrom: UTCDay, to: UTCDay) {
        let expected = max(0, expectedFrom.distance(to: to) + 1)
        var covered: Int64 = 0
        if let f = cursor.coveredFrom, let t = cursor.coveredTo { covered = t - f + 1 }
        let start = initial.withLock { $0[cursor.key] ?? { $0[cursor.key] = cursor.published; return cursor.published }(&$0) }
        let entry = Entry(key: cursor.key, coveredDays: covered, expectedDays: expected, published: cursor.published,
                          publishedNow: cursor.published - start,
                          gapDays: cursor.gapDays, historyComplete: cursor.historyComplete, lastError: nil, updatedAt: Date())
        state.withLock { $0[cursor.key] = entry }
        let dims = [("source", cursor.source), ("instrument", "\(cursor.base)/\(cursor.quote)")]
        Gauge(label: "producer_backfill_covered_days", dimensions: dims).record(covered)
        Gauge(label: "producer_backfill_expected_days", dimensions: dims).record(expected)
        Gauge(label: "producer_known_gap_days", dimensions: dims).record(cursor.gapDays)
    }

    func fail(_ cursor: ProducerCursor, reason: String) {
        state.withLock { $0[cursor.key]?.lastError = reason }
    }

    public var entries: [Entry] { state.withLock { $0.values.sorted { $0.key < $1.key } } }
}

/// Prints progress: one refreshed bar per instrument on a terminal, a log line every 10 s otherwise.
enum ProducerProgressReporter {
    static func run(progress: ProducerProgress, logger: Logger, terminal: Bool) async {
        let start = Date()
        while !Task.isCancelled {
            try? await Task.sleep(for: terminal ? .seconds(1) : .seconds(10))
            let entries = progress.entries
            guard !entries.isEmpty else { continue }
            let elapsed = max(1, Date().timeIntervalSince(start))
            let published = entries.reduce(0) { $0 + $1.publishedNow }
            let rate = Double(published) / elapsed
            if terminal {
                var lines: [String] = []
                for e in entries {
                    let share = e.historyComplete ? 1 : (e.expectedDays > 0 ? min(1, Double(e.coveredDays) / Double(e.expectedDays)) : 1)
                    let filled = Int(share * 30)
                    lines.append("\(e.key.padding(toLength: 34, withPad: " ", startingAt: 0)) [\(String(repeating: "#", count: filled))\(String(repeating: ".", count: 30 - filled))] \(Int(share * 100))% \(e.published) candles\(e.lastError.map { " (\($0))" } ?? "")")
                }
                let remaining = entries.reduce(0) { $0 + ($1.historyComplete ? 0 : max(0, $1.expectedDays - $1.coveredDays)) }
                let eta = rate > 0 ? Int(Double(remaining) / rate) : 0
                print("\u{1B}[2J\u{1B}[H" + lines.joined(separator: "\n") + "\n\(published) candles, \(Int(rate))/s, ETA \(eta) s", terminator: "\n")
            } else {
                let done = entries.filter { $0.historyComplete || $0.coveredDays >= $0.expectedDays }.count
                logger.info("backfill progress", metadata: ["instruments_done": "\(done)/\(entries.count)", "candles": "\(published)", "rate_per_s": "\(Int(rate))"])
            }
        }
    }
}
