/// Exponential backoff with full jitter: attempt n waits a random time in
/// [0, min(cap, base × 2^n)], at least `floor`.
public struct Backoff: Sendable {
    public var base: Duration = .milliseconds(500)
    public var cap: Duration = .seconds(60)
    public var floor: Duration = .milliseconds(50)

    public init(base: Duration = .milliseconds(500), cap: Duration = .seconds(60)) {
        self.base = base
        self.cap = cap
    }

    /// The wait before retry number `attempt` (0-based).
    public func delay(attempt: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        let ceiling = min(cap, base * (1 << min(attempt, 20)))
        let ms = max(floor.milliseconds, Int64.random(in: 0...max(1, ceiling.milliseconds), using: &generator))
        return .milliseconds(ms)
    }
}

extension Duration {
    var milliseconds: Int64 {
        let (s, atto) = components
        return s * 1000 + atto / 1_000_000_000_000_000
    }
}
