import Foundation
import PriceSources

/// The one gate every request to a source passes, shared by everything in the process:
/// the source's documented rate windows (requests or Binance weight), pauses ordered by the
/// source (`Retry-After`, a ban), and a circuit breaker that pauses a source that keeps
/// failing while the others go on.
public actor SourceGate {
    public nonisolated let source: String
    private let windows: [RateLimit.Window]
    /// Send times and weights within the longest window.
    private var sent: [(at: ContinuousClock.Instant, weight: Int)] = []
    private var pausedUntil: ContinuousClock.Instant?
    private var consecutiveFailures = 0
    private var openUntil: ContinuousClock.Instant?
    private let clock = ContinuousClock()
    /// Failures in a row that open the breaker.
    let failureThreshold: Int
    /// How long an open breaker pauses the source.
    let openDuration: Duration
    /// A safety margin: use at most this share of each documented window.
    let headroom: Double

    public init(source: String, limits: RateLimit, failureThreshold: Int = 5, openDuration: Duration = .seconds(60), headroom: Double = 0.8) {
        self.source = source
        windows = limits.windows
        self.failureThreshold = failureThreshold
        self.openDuration = openDuration
        self.headroom = headroom
    }

    /// The breaker's state: 0 closed, 1 open (paused).
    public var breakerOpen: Bool {
        guard let openUntil else { return false }
        return clock.now < openUntil
    }

    /// Waits until a request of `weight` fits every window and no pause is in force, then
    /// records it as sent.
    /// - Returns: how long it waited.
    @discardableResult
    public func acquire(weight: Int = 1) async throws -> Duration {
        let start = clock.now
        while true {
            let now = clock.now
            var until = now
            if let p = pausedUntil, p > until { until = p }
            if let o = openUntil, o > until { until = o }
            if let w = windowWait(weight: weight, now: now), now + w > until { until = now + w }
            if until <= now {
                sent.append((now, weight))
                return now - start
            }
            try await Task.sleep(until: until, clock: clock)
        }
    }

    /// How long until `weight` more fits every window (nil: it fits now).
    private func windowWait(weight: Int, now: ContinuousClock.Instant) -> Duration? {
        guard let longest = windows.map(\.period).max() else { return nil }
        sent.removeAll { now - $0.at >= longest }
        var wait: Duration?
        for w in windows {
            let budget = max(1, Int(Double(w.limit) * headroom))
            let inWindow = sent.filter { now - $0.at < w.period }
            let used = inWindow.reduce(0) { $0 + (w.countsWeight ? $1.weight : 1) }
            let needed = w.countsWeight ? weight : 1
            guard used + needed > budget else { continue }
            // Wait until enough of the oldest sends leave the window.
            var freed = 0
            for entry in inWindow {
                freed += w.countsWeight ? entry.weight : 1
                if used - freed + needed <= budget {
                    let d = w.period - (now - entry.at)
                    wait = max(wait ?? .zero, d)
                    break
                }
            }
        }
        return wait
    }

    /// The source asked for a pause (429 `Retry-After`, a ban until a time, a daily cap).
    public func pause(for duration: Duration) {
        let until = clock.now + duration
        if pausedUntil.map({ $0 < until }) ?? true { pausedUntil = until }
    }

    /// A request succeeded.
    public func succeeded() {
        consecutiveFailures = 0
        openUntil = nil
    }

    /// A request failed after its retries: enough of those in a row open the breaker.
    /// - Returns: true when the breaker opened now.
    @discardableResult
    public func failed() -> Bool {
        consecutiveFailures += 1
        guard consecutiveFailures >= failureThreshold else { return false }
        consecutiveFailures = 0
        openUntil = clock.now + openDuration
        return true
    }

    /// Requests sent within the last `period` (for tests and metrics).
    public func sentWithin(_ period: Duration) -> Int {
        let now = clock.now
        return sent.filter { now - $0.at < period }.count
    }
}
