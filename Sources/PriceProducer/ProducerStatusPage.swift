import Foundation

/// `GET /` of the producer: backfill progress per instrument, known gaps and each source's
/// state. Server-rendered HTML, no scripts or external assets.
public enum ProducerStatusPage {
    public static func render(_ service: PriceProducerService) async -> String {
        var html = """
        <!doctype html><html lang="en"><head><meta charset="utf-8"><title>price-producer</title><style>
        body{font:14px system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin:8px 0 20px}
        td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
        .bar{display:inline-block;width:160px;height:10px;background:#eee}.bar i{display:block;height:10px;background:#2563eb}
        .ok{color:#18794e}.bad{color:#c2410c}</style></head><body><h1>price-producer</h1>
        <h2>Backfill</h2><table id="progress"><tr><th>source|base|quote</th><th>progress</th><th>days covered</th><th>days expected</th><th>candles</th><th>known gap days</th><th>last error</th></tr>
        """
        for e in service.status {
            let share = e.historyComplete ? 1 : (e.expectedDays > 0 ? min(1, Double(e.coveredDays) / Double(e.expectedDays)) : 1)
            html += "<tr><td>\(escape(e.key))</td><td><span class=\"bar\"><i style=\"width:\(Int(share * 100))%\"></i></span> \(Int(share * 100))%</td><td>\(e.coveredDays)</td><td>\(e.expectedDays)</td><td>\(e.published)</td><td>\(e.gapDays)</td><td>\(escape(e.lastError ?? ""))</td></tr>"
        }
        html += "</table><h2>Sources</h2><table id=\"sources\"><tr><th>source</th><th>state</th><th>requests in the last minute</th></tr>"
        for s in await service.sourceStates() {
            html += "<tr><td>\(escape(s.name))</td><td class=\"\(s.paused ? "bad" : "ok")\">\(s.paused ? "paused (circuit breaker)" : "ok")</td><td>\(s.recentRequests)</td></tr>"
        }
        html += "</table><p><a href=\"/metrics\">/metrics</a> · <a href=\"/health/ready\">/health/ready</a></p></body></html>"
        return html
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}

extension PriceProducerService {
    /// Each source's gate: paused by its breaker, and requests sent in the last minute.
    public func sourceStates() async -> [(name: String, paused: Bool, recentRequests: Int)] {
        var out: [(String, Bool, Int)] = []
        for (name, gate) in gateList { out.append((name, await gate.breakerOpen, await gate.sentWithin(.seconds(60)))) }
        return out.sorted { $0.0 < $1.0 }
    }
}
