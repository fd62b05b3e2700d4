import Foundation
import Kafka
import Postgres

/// What the running sink knows about itself, for its status page.
public struct SinkRuntimeSnapshot: Sendable {
    public struct PartitionState: Sendable {
        public var partition: KafkaTopicPartition
        public var storedNextOffset: Int64?
        /// The high watermark last seen in fetch responses.
        public var highWatermark: Int64?
        public var lag: Int64? { highWatermark.map { max(0, $0 - (storedNextOffset ?? 0)) } }
    }
    public var group: String
    public var ready: Bool
    public var readiness: String
    public var partitions: [PartitionState]
    /// Dead letters written by this process since it started, by stage and kind.
    public var deadLetters: [String: Int]
    public var rowsWritten: Int
}

/// `GET /` of the sink: health, lag per partition, rows per asset and quote, dead letters and
/// a chart of the daily close in USD and INR per asset. Server-rendered HTML and SVG, no
/// scripts or external assets.
public enum SinkStatusPage {
    /// Points per chart line at most (longer series are thinned evenly, keeping the last day).
    public static let maxPoints = 400

    struct Point { var day: String; var usd: Double?; var inr: Double?; var derived: Bool }

    public static func render(connection db: PostgresConnection, runtime: SinkRuntimeSnapshot) async throws -> String {
        var html = """
        <!doctype html><html lang="en"><head><meta charset="utf-8"><title>price-sink</title><style>
        body{font:14px system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin:8px 0 20px}
        td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
        .ok{color:#18794e}.bad{color:#c2410c}svg{background:#fafafa;border:1px solid #ddd;margin:4px 0}
        .usd{fill:none;stroke:#2563eb;stroke-width:1.5}.inr{fill:none;stroke:#16a34a;stroke-width:1.5}.inr.derived{stroke-dasharray:4 3;stroke:#65a30d}
        #log:checked ~ .charts .linear{display:none}#log:not(:checked) ~ .charts .logarithmic{display:none}
        </style></head><body>
        <h1>price-sink</h1>
        <p>Group <b>\(escape(runtime.group))</b> — <span class="\(runtime.ready ? "ok" : "bad")" id="health">\(runtime.ready ? "ready" : "not ready: " + escape(runtime.readiness))</span>;
        \(runtime.rowsWritten) rows written by this process.</p>
        <h2>Lag per partition</h2><table id="lag"><tr><th>partition</th><th>stored next offset</th><th>high watermark</th><th>lag</th></tr>
        """
        for p in runtime.partitions.sorted(by: { ($0.partition.topic, $0.partition.partition) < ($1.partition.topic, $1.partition.partition) }) {
            html += "<tr><td>\(escape(p.partition.description))</td><td>\(p.storedNextOffset.map(String.init) ?? "–")</td><td>\(p.highWatermark.map(String.init) ?? "–")</td><td>\(p.lag.map(String.init) ?? "–")</td></tr>"
        }
        html += "</table><h2>Rows</h2><table id=\"rows\"><tr><th>asset</th><th>quote</th><th>rows</th><th>derived</th><th>first day</th><th>last day</th></tr>"
        let counts = try await db.query("""
            SELECT base, quote, count(*) AS n, count(*) FILTER (WHERE derived) AS d,
                   min(open_time)::date::text AS first, max(open_time)::date::text AS last
            FROM prices GROUP BY base, quote ORDER BY base, quote
            """).rows
        for r in counts {
            html += "<tr><td>\(escape(try r.decode("base")))</td><td>\(escape(try r.decode("quote")))</td><td class=\"n\">\(try r.decode("n", as: Int64.self))</td><td>\(try r.decode("d", as: Int64.self))</td><td>\(try r.decode("first", as: String.self))</td><td>\(try r.decode("last", as: String.self))</td></tr>"
        }
        html += "</table><h2>Dead letters (this process)</h2><table id=\"dlq\"><tr><th>reason</th><th>records</th></tr>"
        for (reason, n) in runtime.deadLetters.sorted(by: { $0.key < $1.key }) { html += "<tr><td>\(escape(reason))</td><td>\(n)</td></tr>" }
        if runtime.deadLetters.isEmpty { html += "<tr><td>none</td><td>0</td></tr>" }
        html += "</table><h2>Daily close</h2><input type=\"checkbox\" id=\"log\"><label for=\"log\"> logarithmic scale</label><div class=\"charts\">"
        let rows = try await db.query("SELECT asset, day::text AS day, close_usd, close_inr, coalesce(inr_derived, false) AS derived FROM daily_prices ORDER BY asset, day").rows
        var series: [(String, [Point])] = []
        for r in rows {
            let asset: String = try r.decode("asset")
            let point = Point(day: try r.decode("day"), usd: try r.decode("close_usd", as: Double?.self), inr: try r.decode("close_inr", as: Double?.self),
                              derived: try r.decode("derived", as: Bool.self))
            if series.last?.0 == asset { series[series.count - 1].1.append(point) } else { series.append((asset, [point])) }
        }
        for (asset, points) in series {
            let shown = thinned(points)
            html += "<h3>\(escape(asset)) <small>\(points.first?.day ?? "") … \(points.last?.day ?? "") (\(points.count) days)</small></h3>"
            for (scale, log) in [("linear", false), ("logarithmic", true)] {
                html += chart(asset: asset, points: shown, log: log, cssClass: scale)
            }
        }
        html += "</div><p><a href=\"/metrics\">/metrics</a> · <a href=\"/health/ready\">/health/ready</a></p></body></html>"
        return html
    }

    static func thinned(_ points: [Point]) -> [Point] {
        guard points.count > maxPoints else { return points }
        let step = Int((Double(points.count) / Double(maxPoints)).rounded(.up))
        var out = stride(from: 0, to: points.count, by: step).map { points[$0] }
        if out.last?.day != points.last?.day, let last = points.last { out.append(last) }
        return out
    }

    /// One SVG: USD (blue) and INR (green; dashed where derived from USD and a reference rate),
    /// each scaled to its own range.
    static func chart(asset: String, points: [Point], log: Bool, cssClass: String) -> String {
        let width = 760.0, height = 200.0, pad = 6.0
        func scale(_ values: [Double]) -> (Double) -> Double {
            let v = values.map { log ? Foundation.log10(max($0, 1e-12)) : $0 }
            guard let lo = v.min(), let hi = v.max() else { return { _ in height / 2 } }
            let span = hi - lo > 0 ? hi - lo : 1
            return { x in
                let t = ((log ? Foundation.log10(max(x, 1e-12)) : x) - lo) / span
                return height - pad - t * (height - 2 * pad)
            }
        }
        let n = max(points.count - 1, 1)
        func x(_ i: Int) -> Double { pad + Double(i) / Double(n) * (width - 2 * pad) }
        let usdY = scale(points.compactMap(\.usd)), inrY = scale(points.compactMap(\.inr))
        func line(_ cls: String, _ pts: [(Int, Double)], _ y: (Double) -> Double) -> String {
            guard !pts.isEmpty else { return "" }
            let coords = pts.map { String(format: "%.1f,%.1f", x($0.0), y($0.1)) }.joined(separator: " ")
            return "<polyline class=\"\(cls)\" data-points=\"\(pts.count)\" points=\"\(coords)\"/>"
        }
        let usd = points.enumerated().compactMap { i, p in p.usd.map { (i, $0) } }
        var inrLines = ""
        // INR in runs, so that derived stretches are drawn dashed.
        var run: [(Int, Double)] = []
        var runDerived = false
        for (i, p) in points.enumerated() {
            guard let v = p.inr else { continue }
            if !run.isEmpty && p.derived != runDerived {
                inrLines += line(runDerived ? "inr derived" : "inr", run, inrY)
                run = [run.last!]
            }
            runDerived = p.derived
            run.append((i, v))
        }
        inrLines += line(runDerived ? "inr derived" : "inr", run, inrY)
        return "<svg class=\"\(cssClass)\" data-asset=\"\(escape(asset))\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(escape(asset)) daily close, \(cssClass)\">"
            + line("usd", usd, usdY) + inrLines + "</svg>"
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

extension PriceSinkService {
    /// The sink's view of itself (for `/`).
    public func snapshot() -> SinkRuntimeSnapshot {
        let consumer = consumerRef.consumer
        let owned = partitionsState.owned
        let expected = partitionsState.expected(owned)
        let parts = owned.map { tp in
            SinkRuntimeSnapshot.PartitionState(partition: tp, storedNextOffset: expected[tp] ?? nil, highWatermark: consumer?.cachedWatermarks(tp)?.high)
        }
        return SinkRuntimeSnapshot(group: configuration.group, ready: readinessState.isReady, readiness: readinessState.reason,
                                   partitions: parts, deadLetters: tallies.deadLetters, rowsWritten: tallies.rows)
    }
}
