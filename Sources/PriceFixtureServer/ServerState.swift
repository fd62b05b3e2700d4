import Synchronization

/// Everything the server counts, behind one lock: the request log, fault-rule
/// counters, enforced limits, Binance's used weight.
final class ServerState: Sendable {
    /// What happens to a request before its answer is built.
    struct Admission: Sendable {
        /// The scripted fault to apply, if any.
        let fault: Fault?
        /// The limit that refused it, with the outcome; `nil` when allowed.
        let refusal: (limit: RequestLimit, outcome: LimitWindow.Outcome)?
        /// Binance request weight used in the last minute, this request included.
        let usedWeight: Int
    }

    private struct State {
        var script: FaultScript
        var ruleSeen: [Int]
        var windows: [String: LimitWindow] = [:]
        var weights: [(at: ContinuousClock.Instant, weight: Int)] = []
        var log: [ServedRequest] = []
        var violations: [String: Int] = [:]
        var faults: [String: Int] = [:]
    }

    private let state: Mutex<State>

    init(script: FaultScript) {
        state = Mutex(State(script: script, ruleSeen: Array(repeating: 0, count: script.rules.count)))
    }

    /// Replaces the script; rule counters start again (limit windows carry on).
    func setScript(_ script: FaultScript) {
        state.withLock {
            $0.script = script
            $0.ruleSeen = Array(repeating: 0, count: script.rules.count)
        }
    }

    /// Checks the source's limit, then the fault rules (refused requests advance no rule).
    func admit(source: String, path: String, weight: Int, at now: ContinuousClock.Instant) -> Admission {
        state.withLock { s in
            s.weights.removeAll { now - $0.at >= .seconds(60) }
            s.weights.append((now, weight))
            let used = s.weights.reduce(0) { $0 + $1.weight }
            if let limit = s.script.limits[source] {
                let outcome = s.windows[source, default: LimitWindow()].admit(at: now, limit: limit, canBan: source == APIName.binance.rawValue)
                if outcome != .allowed {
                    s.violations[source, default: 0] += 1
                    return Admission(fault: nil, refusal: (limit, outcome), usedWeight: used)
                }
            }
            var chosen: Fault?
            for (index, rule) in s.script.rules.enumerated() where rule.matches(source: source, path: path) {
                s.ruleSeen[index] += 1
                let seen = s.ruleSeen[index]
                if chosen == nil, seen > rule.after, seen - rule.after <= rule.count { chosen = rule.fault }
            }
            if chosen != nil { s.faults[source, default: 0] += 1 }
            return Admission(fault: chosen, refusal: nil, usedWeight: used)
        }
    }

    func record(_ request: ServedRequest) {
        state.withLock { $0.log.append(request) }
    }

    func requests(source: String) -> [ServedRequest] {
        state.withLock { s in s.log.filter { $0.source == source } }
    }

    func violations(source: String) -> Int {
        state.withLock { $0.violations[source] ?? 0 }
    }

    func faultCount(source: String) -> Int {
        state.withLock { $0.faults[source] ?? 0 }
    }
}
