import Foundation

/// INR per USD by day: log-linear through yearly-ish anchors of the real rate (8.02 in
/// 1973, ~45 in 2010, ~83 in 2024), with a smooth wobble and a little daily noise.
/// Reference-rate publishers (ECB, H.10) read it with their own small offsets, so
/// Frankfurter and FRED differ by a few tenths of a percent, as they really do.
struct UsdInrCurve: Sendable {
    /// Who publishes a fixing.
    enum Publisher: Sendable {
        /// The crypto markets' implied rate (INR candles).
        case market
        /// The ECB reference rate (Frankfurter).
        case ecb
        /// The Fed's H.10 noon rate (FRED `DEXINUS`).
        case h10
    }

    let noise: SeededNoise

    /// INR per USD on `day` as `publisher` would have it.
    func rate(_ day: Int, _ publisher: Publisher) -> Double {
        let base = Self.trend(day) * (1 + 0.004 * sin(Double(day) / 37) + 0.0015 * noise.normal(noise.stream("fx/daily"), day))
        switch publisher {
        case .market: return base
        case .ecb: return base * (1 + 0.0008 * noise.normal(noise.stream("fx/ecb"), day))
        case .h10: return base * (0.998 + 0.0008 * noise.normal(noise.stream("fx/h10"), day))
        }
    }

    static func trend(_ day: Int) -> Double {
        guard let first = anchors.first, let last = anchors.last else { return 80 }
        if day <= first.0 { return first.1 }
        if day >= last.0 { return last.1 }
        let upper = anchors.firstIndex { $0.0 >= day } ?? anchors.count - 1
        let (d0, r0) = anchors[upper - 1]
        let (d1, r1) = anchors[upper]
        return exp(log(r0) + (log(r1) - log(r0)) * Double(day - d0) / Double(d1 - d0))
    }

    static let anchors: [(Int, Double)] = [
        (Calendars.day(1973, 1, 2), 8.02), (Calendars.day(1980, 1, 2), 7.9), (Calendars.day(1985, 1, 2), 12.4),
        (Calendars.day(1990, 1, 2), 17.5), (Calendars.day(1991, 7, 1), 22.7), (Calendars.day(1993, 3, 1), 30.5),
        (Calendars.day(1995, 6, 1), 31.4), (Calendars.day(1998, 6, 1), 42.3), (Calendars.day(2000, 6, 1), 44.7),
        (Calendars.day(2002, 6, 1), 48.9), (Calendars.day(2004, 6, 1), 45.3), (Calendars.day(2007, 12, 1), 39.4),
        (Calendars.day(2009, 1, 2), 48.4), (Calendars.day(2010, 1, 4), 46.3), (Calendars.day(2010, 7, 16), 46.8),
        (Calendars.day(2011, 7, 1), 44.4), (Calendars.day(2012, 6, 1), 55.5), (Calendars.day(2013, 8, 28), 68.0),
        (Calendars.day(2014, 6, 1), 59.5), (Calendars.day(2015, 12, 1), 66.6), (Calendars.day(2016, 11, 25), 68.6),
        (Calendars.day(2017, 8, 1), 63.8), (Calendars.day(2018, 10, 10), 74.3), (Calendars.day(2019, 7, 1), 68.8),
        (Calendars.day(2020, 4, 20), 76.8), (Calendars.day(2021, 3, 1), 72.9), (Calendars.day(2022, 10, 20), 82.9),
        (Calendars.day(2023, 10, 1), 83.2), (Calendars.day(2024, 3, 8), 82.73), (Calendars.day(2024, 12, 31), 85.6),
        (Calendars.day(2025, 2, 10), 87.5), (Calendars.day(2025, 7, 1), 85.8), (Calendars.day(2026, 3, 13), 92.4),
    ]
}
