import Foundation
import HTTPClient
import PriceFixtureServer
import PriceSources
import Testing

@Suite struct BinanceTests {
    let btcUSD = Instrument(base: "BTC", quote: "USD")

    @Test func forwardPagingFromBeforeListingToTheOpenCandle() async throws {
        try await withServer { server in
            let source = BinanceSource(baseURL: server.baseURL(for: "binance"))
            let pages = try await backfill(source, btcUSD, from: day("2017-01-01"), to: UTCDay(daysSinceEpoch: Int64(today)))
            let candles = pages.flatMap(\.candles)
            #expect(pages.count == 3)
            #expect(pages[0].historyStart == day("2017-08-17"))
            #expect(pages[0].gaps.first?.cause == .beforeListing)
            #expect(pages.last?.reachedEnd == true && pages.last?.next == nil)
            #expect(pages.allSatisfy { $0.missingDays.isEmpty && $0.rejected.isEmpty })
            #expect(candles.count == today - 17_395 + 1)
            #expect(Set(candles.map(\.day)).count == candles.count)
            #expect(candles.allSatisfy { $0.quote == "USDT" && $0.market == "BTCUSDT" })
            #expect(candles.last?.isClosed == false && candles.dropLast().allSatisfy(\.isClosed))
            #expect(pages.map(\.usedWeight) == [2, 4, 6], "X-MBX-USED-WEIGHT-1M adds 2 per klines call")
            let queries = server.requests(source: "binance").map(\.query)
            #expect(queries.allSatisfy { $0.contains("startTime=") && $0.contains("endTime=") && $0.contains("limit=1000") })
        }
    }

    @Test func klinesHaveBinancesShape() async throws {
        try await withServer { server in
            let url = server.baseURL(for: "binance") + "/api/v3/klines?symbol=ETHUSDT&interval=1d&startTime=1483228800000&limit=5"
            let response = try await client.get(url)
            let rows = try JSONSerialization.jsonObject(with: Data(response.body)) as? [[Any]] ?? []
            #expect(response.header("X-MBX-USED-WEIGHT-1M") == "2")
            #expect(rows.count == 5)
            let first = try #require(rows.first)
            #expect(first.count == 12)
            #expect(first[0] as? Int == 1_502_928_000_000 && first[6] as? Int == 1_502_928_000_000 + 86_399_999)
            #expect([1, 2, 3, 4, 5, 7, 9, 10, 11].allSatisfy { first[$0] is String })
            #expect((first[1] as? String)?.split(separator: ".").last?.count == 8)
            #expect(first[8] is Int)
        }
    }

    @Test func onlyUSDFamilyQuotesExist() async throws {
        try await withServer { server in
            let response = try await client.get(server.baseURL(for: "binance") + "/api/v3/klines?symbol=BTCINR&interval=1d")
            #expect(response.status == 400 && response.text == #"{"code":-1121,"msg":"Invalid symbol."}"#)
            let empty = try await client.get(server.baseURL(for: "binance") + "/api/v3/klines?symbol=BTCUSDT&interval=1d&startTime=1900000000000")
            #expect(empty.status == 200 && empty.text == "[]")
        }
    }

    @Test func tickerParsesWithTheAdapter() async throws {
        try await withServer { server in
            let source = BinanceSource(baseURL: server.baseURL(for: "binance"))
            let spot = try source.parseSpot(try await fetch(try source.spotRequest(for: btcUSD)), for: btcUSD, now: testNow)
            #expect(spot.price > 0 && spot.market == "BTCUSDT")
        }
    }
}
