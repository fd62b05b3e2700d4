import Foundation

/// The long-run trend of an asset's USD price, as a log price per day.
enum PriceShape: Sendable {
    /// Log-linear between (day, price) anchors, flat outside them.
    case anchors([(Int, Double)])
    /// From `start` at the first day to `end` 2500 days later (flat after), times a
    /// four-year cycle of `amplitude` (in log units) starting at `phase` (0...1).
    case growth(start: Double, end: Double, amplitude: Double, phase: Double)

    /// Days over which a growth shape reaches its end price.
    static let growthDays = 2500.0

    /// The trend's natural log price on `day` for an asset first traded on `firstDay`.
    func logPrice(day: Int, firstDay: Int) -> Double {
        switch self {
        case .anchors(let points):
            guard let first = points.first, let last = points.last else { return 0 }
            if day <= first.0 { return log(first.1) }
            if day >= last.0 { return log(last.1) }
            let upper = points.firstIndex { $0.0 >= day } ?? points.count - 1
            let (d0, p0) = points[upper - 1]
            let (d1, p1) = points[upper]
            let t = Double(day - d0) / Double(d1 - d0)
            return log(p0) + (log(p1) - log(p0)) * t
        case .growth(let start, let end, let amplitude, let phase):
            let age = Double(day - firstDay)
            let progress = min(1, age / Self.growthDays)
            let cycle = sin(2 * Double.pi * (age / 1461 + phase)) - sin(2 * Double.pi * phase)
            return log(start) + (log(end) - log(start)) * progress + amplitude * cycle
        }
    }
}
