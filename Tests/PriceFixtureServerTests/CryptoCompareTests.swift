import Foundation
import HTTPClient
import PriceFixtureServer
import PriceSources
import Testing

@Suite struct CryptoCompareTests {
    let btcUSD = Instrument(base: "BTC", quote: "USD")

    @Test func fullBackfillReachesStartOfHistoryWithoutMissingDays() async throws {
        try await withServer { server in
            let source = CryptoCompareSource(baseURL: server.baseURL(for: "cryptocompare"))
            let pages = try await backfill(source, btcUSD, from: UTCDay.genesis, to: UTCDay(daysSinceEpoch: Int64(today)))
            let days = pages.flatMap(\.candles).map(\.day)
            let first = day("2010-07-17")
            #expect(pages.count == 3)
            #expect(pages.last?.reachedEnd == true && pages.last?.next == nil)
            #expect(pages.last?.historyStart == first)
            #expect(pages.allSatisfy { $0.missingDays.isEmpty && $0.rejected.isEmpty && $0.duplicatesDropped == 0 })
            #expect(days.count == today - 14_807 + 1)
            #expect(Set(days).count == days.count)
            #expect(days.min() == first && days.max() == UTCDay(daysSinceEpoch: Int64(today)))
            #expect(pages.last?.gaps.first?.cause == .preHistoryFiller)
            let requests = server.requests(source: "cryptocompare")
            #expect(requests.count == 3 && server.requestCount(source: "cryptocompare") == 3)
            #expect(requests.allSatisfy { $0.path == "/data/v2/histoday" && $0.query.contains("tryConversion=false") && $0.status == 200 })
        }
    }

    @Test func pageHasLimitPlusOneRowsEndingOnTheDayOfToTs() async throws {
        try await withServer { server in
            let url = server.baseURL(for: "cryptocompare") + "/data/v2/histoday?fsym=BTC&tsym=USD&limit=9&toTs=1279497600"
            let json = try JSONSerialization.jsonObject(with: Data(try await client.get(url).body)) as? [String: Any]
            let data = json?["Data"] as? [String: Any]
            let rows = data?["Data"] as? [[String: Any]] ?? []
            #expect(json?["Response"] as? String == "Success" && json?["Type"] as? Int == 100)
            #expect(rows.count == 10)
            #expect(data?["TimeFrom"] as? Int == 1_278_720_000 && data?["TimeTo"] as? Int == 1_279_497_600)
            #expect(rows.prefix(7).allSatisfy { row in ["open", "high", "low", "close", "volumefrom", "volumeto"].allSatisfy { row[$0] as? Double == 0 } })
            #expect(rows.dropFirst(7).allSatisfy { ($0["close"] as? Double ?? 0) > 0 && $0["conversionType"] as? String == "direct" })
            #expect(Set(rows.flatMap(\.keys)) == ["time", "high", "low", "open", "volumefrom", "volumeto", "close", "conversionType", "conversionSymbol"])
        }
    }

    @Test func inrIsUSDTimesTheRateAndUnknownPairsAreErrorsWithStatus200() async throws {
        try await withServer { server in
            let source = CryptoCompareSource(baseURL: server.baseURL(for: "cryptocompare"))
            let week = day("2024-03-01")...day("2024-03-07")
            let usd = try await backfill(source, btcUSD, from: week.lowerBound, to: week.upperBound)[0].candles
            let inr = try await backfill(source, Instrument(base: "BTC", quote: "INR"), from: week.lowerBound, to: week.upperBound)[0].candles
            #expect(usd.count == 7 && inr.count == 7)
            for (dollar, rupee) in zip(usd, inr) {
                let ratio = rupee.close / dollar.close
                #expect(ratio > 75 && ratio < 90, "INR/USD \(ratio) on \(dollar.day)")
                #expect(rupee.volume < dollar.volume)
            }
            for pair in [Instrument(base: "BTC", quote: "EUR"), Instrument(base: "BTCC", quote: "USD")] {
                let (request, cursor) = try source.firstRequest(for: pair, from: week.lowerBound, to: week.upperBound)
                let response = try await fetch(request)
                #expect(response.status == 200)
                #expect(sourceError { try source.parse(response, cursor: cursor, now: testNow) }?.code == .unknownMarket)
            }
        }
    }

    @Test func answersAreDeterministicPerSeed() async throws {
        let path = "/data/v2/histoday?fsym=ETH&tsym=INR&limit=50&toTs=1600000000"
        let first = try await withServer { try await client.get($0.baseURL(for: "cryptocompare") + path).body }
        let again = try await withServer { try await client.get($0.baseURL(for: "cryptocompare") + path).body }
        let reseeded = try await withServer(universe: .standard(today: today, seed: 7)) { try await client.get($0.baseURL(for: "cryptocompare") + path).body }
        #expect(first == again)
        #expect(first != reseeded)
    }

    @Test func spotPricesParseWithTheAdapter() async throws {
        try await withServer { server in
            let source = CryptoCompareSource(baseURL: server.baseURL(for: "cryptocompare"))
            let spot = try source.parseSpot(try await fetch(try source.spotRequest(for: btcUSD)), for: btcUSD, now: testNow)
            #expect(spot.price > 0)
        }
    }
}
