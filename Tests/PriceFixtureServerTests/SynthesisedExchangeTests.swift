import Foundation
import HTTPClient
import PriceFixtureServer
import PriceSources
import Testing

/// Coinbase, Kraken, CoinGecko and Alpha Vantage synthesised from the universe.
@Suite struct SynthesisedExchangeTests {
    let btcUSD = Instrument(base: "BTC", quote: "USD")
    let btcINR = Instrument(base: "BTC", quote: "INR")
    let todayDay = UTCDay(daysSinceEpoch: Int64(today))

    @Test func coinbasePagesBackwardsToTheListing() async throws {
        try await withServer { server in
            let source = CoinbaseSource(baseURL: server.baseURL(for: "coinbase"))
            let pages = try await backfill(source, btcUSD, from: day("2014-01-01"), to: todayDay, maxPages: 30)
            let candles = pages.flatMap(\.candles)
            #expect(pages.last?.next == nil && pages.last?.reachedEnd == true, "a window before the listing answers []")
            #expect(pages.allSatisfy { $0.rejected.isEmpty })
            #expect(pages.flatMap(\.missingDays).allSatisfy { $0 < day("2015-07-20") }, "Coinbase says nothing of days before a listing")
            #expect(candles.count == today - 16_636 + 1 && Set(candles.map(\.day)).count == candles.count)
            #expect(candles.map(\.day).min() == day("2015-07-20"))
            let spot = try source.parseSpot(try await fetch(try source.spotRequest(for: btcUSD)), for: btcUSD, now: testNow)
            #expect(spot.price > 0)
            let tooWide = try await client.get(server.baseURL(for: "coinbase") + "/products/BTC-USD/candles?granularity=86400&start=2023-01-01T00:00:00Z&end=2024-03-10T00:00:00Z")
            #expect(tooWide.status == 400 && tooWide.text.contains("exceeds 300"))
        }
    }

    @Test func krakenGivesTheNewest720Candles() async throws {
        try await withServer { server in
            let source = KrakenSource(baseURL: server.baseURL(for: "kraken"))
            let pages = try await backfill(source, btcUSD, from: day("2020-01-01"), to: todayDay)
            let page = try #require(pages.first)
            #expect(pages.count == 1 && page.candles.count == 720 && page.rejected.isEmpty && page.missingDays.isEmpty)
            #expect(page.gaps.first?.cause == .beyondHistoryLimit)
            #expect(page.candles.first?.market == "XXBTZUSD" && page.candles.last?.isClosed == false)
            let recent = try await backfill(source, Instrument(base: "ETH", quote: "USD"), from: day("2024-03-01"), to: todayDay)
            #expect(recent.first?.candles.count == 11 && recent.first?.candles.first?.market == "XETHZUSD")
            let spot = try source.parseSpot(try await fetch(try source.spotRequest(for: btcUSD)), for: btcUSD, now: testNow)
            #expect(spot.price > 0)
        }
    }

    @Test func coinGeckoServes365DaysWithoutAProKey() async throws {
        try await withServer { server in
            let keyless = CoinGeckoSource(baseURL: server.baseURL(for: "coingecko"))
            let page = try await backfill(keyless, btcINR, from: todayDay.advanced(by: -200), to: todayDay.advanced(by: -1))[0]
            #expect(page.candles.count == 200 && page.rejected.isEmpty && page.missingDays.isEmpty)
            #expect(page.candles.allSatisfy { $0.open == $0.close && ($0.marketCap ?? 0) > 0 })
            let (request, cursor) = try keyless.firstRequest(for: btcINR, from: day("2020-01-01"), to: todayDay)
            let refused = try await fetch(request)
            #expect(refused.status == 401)
            #expect(sourceError { try keyless.parse(refused, cursor: cursor, now: testNow) }?.code == .historyLimit)
            let pro = CoinGeckoSource(apiKey: "pro-key", pro: true, baseURL: server.baseURL(for: "coingecko"))
            let full = try await backfill(pro, btcINR, from: day("2020-01-01"), to: todayDay.advanced(by: -1))[0]
            #expect(full.candles.count == today - (FixtureUniverse.dayNumber("2020-01-01") ?? 0))
            let spot = try keyless.parseSpot(try await fetch(try keyless.spotRequest(for: btcINR)), for: btcINR, now: testNow)
            #expect(spot.price > 0)
        }
    }

    @Test func alphaVantageHasTheLast1000DaysAtOneRate() async throws {
        try await withServer { server in
            let source = AlphaVantageSource(apiKey: "K", baseURL: server.baseURL(for: "alphavantage"))
            let inr = try await backfill(source, btcINR, from: todayDay.advanced(by: -999), to: todayDay)[0]
            let usd = try await backfill(source, btcUSD, from: todayDay.advanced(by: -999), to: todayDay)[0]
            #expect(inr.candles.count == 1000 && usd.candles.count == 1000 && inr.rejected.isEmpty)
            let ratios = zip(inr.candles, usd.candles).map { $0.close / $1.close }
            #expect(ratios.allSatisfy { abs($0 / ratios[0] - 1) < 1e-6 }, "one constant FX rate for the whole series")
            let csv = AlphaVantageSource(apiKey: "K", baseURL: server.baseURL(for: "alphavantage"), format: .csv)
            #expect(try await backfill(csv, btcINR, from: todayDay.advanced(by: -9), to: todayDay)[0].candles.count == 10)
        }
    }
}
