import Foundation
import Synchronization

/// Every synthesised price of a universe: per asset a deterministic random walk
/// (mean-reverting noise around the asset's ``PriceShape``) in USD, read by each venue
/// in its own way. Series are computed once per asset, on first use.
final class PriceBook: Sendable {
    /// Where a candle is quoted.
    enum Venue: Sendable {
        /// CryptoCompare's aggregate (and CoinGecko's, Alpha Vantage's): USD as is,
        /// INR ≈ USD × the market rate.
        case aggregate
        /// One exchange's book: the aggregate within a few basis points (its own noise),
        /// with its share of the volume.
        case exchange(String, volumeShare: Double)

        static let binance = Venue.exchange("binance", volumeShare: 1.1)
        static let coinbase = Venue.exchange("coinbase", volumeShare: 0.08)
        static let kraken = Venue.exchange("kraken", volumeShare: 0.03)
    }

    /// 06:00:12 UTC on the last day: the server's notion of "now" for request-time values.
    var nowSeconds: Int { universe.lastDay * 86_400 + 21_612 }

    let universe: FixtureUniverse
    let noise: SeededNoise
    let fx: UsdInrCurve
    private let logCloses = Mutex<[String: [Double]]>([:])

    init(universe: FixtureUniverse) {
        self.universe = universe
        noise = SeededNoise(seed: universe.seed)
        fx = UsdInrCurve(noise: noise)
    }

    /// The asset's candle on `day` in `quote`, or `nil` outside its history.
    func candle(_ asset: String, _ quote: String, day: Int, venue: Venue) -> DayCandle? {
        guard let usd = usdCandle(asset, day: day) else { return nil }
        let quoted: DayCandle
        switch quote {
        case "USD", "USDT", "USDC", "FDUSD":
            quoted = usd
        case "INR":
            let premium = 1 + 0.003 * noise.normal(noise.stream(asset + "/inr-premium"), day)
            quoted = usd.scaled(by: fx.rate(day, .market) * premium, volumeShare: 0.002)
        default:
            let level = 0.5 + 1.5 * noise.uniform(noise.stream("quote/" + quote), 0)
            quoted = usd.scaled(by: level, volumeShare: 0.05)
        }
        switch venue {
        case .aggregate:
            return quoted
        case .exchange(let name, let share):
            let basis = 1 + 0.0008 * noise.normal(noise.stream(asset + "/" + name), day)
            return quoted.scaled(by: basis, volumeShare: share)
        }
    }

    /// The open of `day` (the price at 00:00 UTC) in `quote`, with the previous day's
    /// whole-market volume converted to `quote`, as a snapshot source (CoinGecko) sees it.
    func snapshot(_ asset: String, _ quote: String, day: Int) -> (price: Double, dayVolume: Double)? {
        guard let current = self.candle(asset, quote, day: day, venue: .aggregate), let usd = usdCandle(asset, day: day) else { return nil }
        let usdVolume = usdCandle(asset, day: day - 1)?.quoteVolume ?? usd.quoteVolume
        return (current.open, usdVolume * current.open / usd.open)
    }

    /// The whole-market quote volume of `day` converted to `quote` (what aggregators report).
    func marketVolume(_ asset: String, _ quote: String, day: Int) -> Double? {
        guard let current = self.candle(asset, quote, day: day, venue: .aggregate), let usd = usdCandle(asset, day: day) else { return nil }
        return usd.quoteVolume * current.close / usd.close
    }

    /// The USD candle: open is the previous close, high and low extend beyond both.
    func usdCandle(_ asset: String, day: Int) -> DayCandle? {
        guard let first = universe.firstDay(of: asset), day >= first, day <= universe.lastDay else { return nil }
        let closes = series(asset, firstDay: first)
        let index = day - first
        guard index < closes.count else { return nil }
        let stream = noise.stream(asset + "/candle")
        let close = exp(closes[index])
        let open = index > 0 ? exp(closes[index - 1]) : close * exp(0.02 * noise.normal(stream, day))
        let high = max(open, close) * (1.003 + 0.025 * noise.uniform(stream ^ 1, day))
        let low = min(open, close) / (1.003 + 0.025 * noise.uniform(stream ^ 2, day))
        let typical = (high + low + close) / 3
        let years = Double(index) / 365.25
        let startExponent = first < Calendars.day(2013, 1, 1) ? 0.0 : 4.0
        var turnover = Foundation.pow(10, min(9.0, startExponent + 1.3 * years)) * (0.4 + 1.2 * noise.uniform(stream ^ 3, day))
        if day == universe.lastDay { turnover *= 0.25 }
        let volume = turnover / typical
        return DayCandle(day: day, open: open, high: high, low: low, close: close, volume: volume,
                         quoteVolume: volume * typical, trades: max(1, Int(turnover / 1300)))
    }

    /// Natural log closes from `firstDay` to the universe's last day.
    func series(_ asset: String, firstDay: Int) -> [Double] {
        if let cached = logCloses.withLock({ $0[asset] }) { return cached }
        let shape = StandardAssets.shape(of: asset, firstDay: firstDay, noise: noise)
        let stream = noise.stream(asset + "/walk")
        let count = max(0, universe.lastDay - firstDay + 1)
        var values: [Double] = []
        values.reserveCapacity(count)
        var deviation = 0.0
        for index in 0..<count {
            let day = firstDay + index
            deviation = 0.97 * deviation + 0.035 * noise.normal(stream, day)
            values.append(shape.logPrice(day: day, firstDay: firstDay) + deviation)
        }
        logCloses.withLock { $0[asset] = values }
        return values
    }
}
