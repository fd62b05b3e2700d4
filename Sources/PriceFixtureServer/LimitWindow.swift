/// One source's sliding-window limit state: accepted requests in the window, the
/// `Retry-After` last announced, and (Binance) how often it was ignored, up to a ban.
struct LimitWindow: Sendable {
    enum Outcome: Sendable, Equatable {
        case allowed
        /// Refused; retry after this many seconds.
        case limited(retryAfter: Int)
        /// Banned (Binance 418) for this many more seconds.
        case banned(retryAfter: Int)
    }

    private var accepted: [ContinuousClock.Instant] = []
    private var retryUntil: ContinuousClock.Instant?
    private var ignored = 0
    private var bannedUntil: ContinuousClock.Instant?

    mutating func admit(at now: ContinuousClock.Instant, limit: RequestLimit, canBan: Bool) -> Outcome {
        if let until = bannedUntil {
            if now < until { return .banned(retryAfter: Self.seconds(until - now)) }
            bannedUntil = nil
        }
        accepted.removeAll { now - $0 >= limit.per }
        if accepted.count < limit.requests {
            accepted.append(now)
            ignored = 0
            retryUntil = nil
            return .allowed
        }
        if canBan, let until = retryUntil, now < until {
            ignored += 1
            if ignored >= limit.banAfterIgnored {
                ignored = 0
                bannedUntil = now + limit.banDuration
                return .banned(retryAfter: Self.seconds(limit.banDuration))
            }
        }
        let wait = (accepted.first ?? now) + limit.per - now
        retryUntil = now + wait
        return .limited(retryAfter: Self.seconds(wait))
    }

    /// Whole seconds, rounded up, at least 1.
    static func seconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return max(1, Int(seconds) + (attoseconds > 0 ? 1 : 0))
    }
}
