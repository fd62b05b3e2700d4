import Foundation
import HTTPClient
import PriceFixtureServer
import PriceSources
import Testing

@Suite struct UniverseTests {
    @Test func standardAndSyntheticUniverses() {
        let standard = FixtureUniverse.standard(today: today)
        #expect(Array(standard.assets.prefix(6)) == ["BTC", "ETH", "SOL", "XRP", "ADA", "DOGE"])
        #expect(standard.firstDay(of: "BTC") == 14_807 && standard.firstDay(of: "ETH") == FixtureUniverse.dayNumber("2015-08-07"))
        #expect(standard.quotes == ["USD", "INR"] && standard.lastDay == today)
        let synthetic = FixtureUniverse.synthetic(assets: 100, today: today)
        #expect(synthetic.assets.count == 100 && Set(synthetic.assets).count == 100)
        #expect(synthetic.assets[12] == "A001" && synthetic.assets[99] == "A088")
        #expect(synthetic.assets.allSatisfy { Instrument(base: $0, quote: "USD").isWellFormed && synthetic.firstDay(of: $0) != nil })
        #expect(FixtureUniverse.synthetic(assets: 3, today: today).assets == ["BTC", "ETH", "SOL"])
        #expect(synthetic.firstDay(of: "ZZZ") == nil)
    }

    @Test(arguments: ["ETH", "SOL", "XRP", "ADA", "DOGE", "LTC", "BNB", "DOT", "AVAX", "LINK", "TRX", "A001", "A040"])
    func everyAssetBackfillsCleanlyInBothQuotes(asset: String) async throws {
        try await withServer(universe: .synthetic(assets: 60, today: today)) { server in
            let source = CryptoCompareSource(baseURL: server.baseURL(for: "cryptocompare"))
            let first = try #require(server.universe.firstDay(of: asset))
            for quote in ["USD", "INR"] {
                let pages = try await backfill(source, Instrument(base: asset, quote: quote), from: UTCDay.genesis, to: UTCDay(daysSinceEpoch: Int64(today)))
                let candles = pages.flatMap(\.candles)
                #expect(pages.allSatisfy { $0.rejected.isEmpty && $0.missingDays.isEmpty }, "\(asset)/\(quote): every synthesised row is a valid candle")
                #expect(pages.last?.historyStart == UTCDay(daysSinceEpoch: Int64(first)))
                #expect(candles.count == today - first + 1)
                #expect(candles.allSatisfy { $0.volume >= 0 && $0.low > 0 })
            }
        }
    }
}
