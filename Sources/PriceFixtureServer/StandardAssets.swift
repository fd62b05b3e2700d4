import Foundation

/// The assets of ``FixtureUniverse/standard(today:seed:)``: first traded day and a
/// price shape. BTC and ETH follow anchor prices close to their real history; the
/// others grow from a listing price to a 2024 price with a four-year cycle on top.
struct StandardAsset: Sendable {
    let symbol: String
    let firstDay: Int
    let shape: PriceShape
}

enum StandardAssets {
    static let all: [StandardAsset] = [
        StandardAsset(symbol: "BTC", firstDay: Calendars.day(2010, 7, 17), shape: .anchors(btcAnchors)),
        StandardAsset(symbol: "ETH", firstDay: Calendars.day(2015, 8, 7), shape: .anchors(ethAnchors)),
        growth("SOL", (2020, 4, 10), from: 0.95, to: 150),
        growth("XRP", (2013, 8, 4), from: 0.0059, to: 0.62),
        growth("ADA", (2017, 10, 1), from: 0.024, to: 0.7),
        growth("DOGE", (2013, 12, 15), from: 0.00056, to: 0.17),
        growth("LTC", (2013, 4, 28), from: 4.3, to: 80),
        growth("BNB", (2017, 7, 25), from: 0.105, to: 500),
        growth("DOT", (2020, 8, 19), from: 2.9, to: 9.5),
        growth("AVAX", (2020, 9, 22), from: 4.6, to: 42),
        growth("LINK", (2017, 9, 20), from: 0.19, to: 19),
        growth("TRX", (2017, 9, 13), from: 0.002, to: 0.13),
    ]

    /// The shape of an asset, standard or synthetic.
    static func shape(of asset: String, firstDay: Int, noise: SeededNoise) -> PriceShape {
        if let known = all.first(where: { $0.symbol == asset }) { return known.shape }
        let stream = noise.stream(asset + "/shape")
        let start = pow10(noise.uniform(stream, 0) * 4 - 3)
        let end = start * pow10(noise.uniform(stream, 1) * 3 - 0.5)
        return .growth(start: start, end: end, amplitude: 0.3 + noise.uniform(stream, 2) * 0.8, phase: noise.uniform(stream, 3))
    }

    static func growth(_ symbol: String, _ date: (Int, Int, Int), from start: Double, to end: Double) -> StandardAsset {
        let phase = Double(symbol.utf8.reduce(0) { ($0 &* 31 &+ Int($1)) % 997 }) / 997
        return StandardAsset(symbol: symbol, firstDay: Calendars.day(date.0, date.1, date.2),
                             shape: .growth(start: start, end: end, amplitude: 0.6, phase: phase))
    }

    static func pow10(_ exponent: Double) -> Double {
        Foundation.pow(10, exponent)
    }

    static let btcAnchors: [(Int, Double)] = [
        (Calendars.day(2010, 7, 17), 0.0495), (Calendars.day(2010, 11, 6), 0.39), (Calendars.day(2011, 2, 10), 1.0),
        (Calendars.day(2011, 6, 8), 29.6), (Calendars.day(2011, 11, 18), 2.1), (Calendars.day(2012, 8, 16), 13.5),
        (Calendars.day(2013, 1, 1), 13.3), (Calendars.day(2013, 4, 9), 230), (Calendars.day(2013, 7, 5), 68),
        (Calendars.day(2013, 11, 30), 1130), (Calendars.day(2015, 1, 14), 178), (Calendars.day(2016, 1, 1), 430),
        (Calendars.day(2017, 1, 1), 1000), (Calendars.day(2017, 12, 17), 19_500), (Calendars.day(2018, 12, 15), 3200),
        (Calendars.day(2019, 6, 26), 12_900), (Calendars.day(2020, 3, 12), 4900), (Calendars.day(2021, 4, 14), 63_500),
        (Calendars.day(2021, 7, 20), 29_800), (Calendars.day(2021, 11, 10), 67_500), (Calendars.day(2022, 11, 21), 15_800),
        (Calendars.day(2023, 12, 31), 42_200), (Calendars.day(2024, 3, 14), 72_000), (Calendars.day(2024, 12, 17), 106_000),
        (Calendars.day(2025, 4, 8), 77_000), (Calendars.day(2025, 10, 6), 124_000), (Calendars.day(2026, 2, 5), 70_000),
    ]

    static let ethAnchors: [(Int, Double)] = [
        (Calendars.day(2015, 8, 7), 2.77), (Calendars.day(2016, 3, 13), 15), (Calendars.day(2016, 12, 20), 7.2),
        (Calendars.day(2017, 6, 12), 395), (Calendars.day(2018, 1, 13), 1400), (Calendars.day(2018, 12, 15), 85),
        (Calendars.day(2020, 3, 13), 110), (Calendars.day(2021, 5, 11), 4170), (Calendars.day(2021, 7, 20), 1790),
        (Calendars.day(2021, 11, 10), 4800), (Calendars.day(2022, 6, 18), 990), (Calendars.day(2023, 12, 31), 2280),
        (Calendars.day(2024, 3, 11), 4060), (Calendars.day(2025, 4, 8), 1470), (Calendars.day(2025, 8, 24), 4900),
    ]
}
