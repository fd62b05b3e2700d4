import Foundation
import PriceSources
import Testing

@Suite struct CoinbaseSourceTests {
    let source = CoinbaseSource(userAgent: "price-pipeline-tests")
    let btcUSD = Instrument(base: "BTC", quote: "USD")

    func parse(_ response: SourceResponse, _ days: ClosedRange<UTCDay>) throws -> CandlePage {
        try source.parse(response, cursor: source.firstCursor(for: btcUSD, days: days), now: recordedAt)
    }

    @Test func requestMatchesTheDocumentedCandlesCall() throws {
        let request = try source.firstRequest(for: btcUSD, from: day("2024-03-01"), to: day("2024-03-10")).request
        #expect(request.url == "https://api.exchange.coinbase.com/products/BTC-USD/candles?granularity=86400&start=2024-03-01T00:00:00Z&end=2024-03-10T00:00:00Z")
        #expect(request.headers == [HTTPHeader(name: "User-Agent", value: "price-pipeline-tests")])
        #expect(request.weight == 1)
        #expect(!source.supports(Instrument(base: "BTC", quote: "INR")))
    }

    @Test func candlesAreReorderedOldestFirstWithTheirOwnFieldOrder() throws {
        let page = try parse(try Fixtures.response("coinbase_candles_BTC-USD_86400.json"), day("2024-03-01")...day("2024-03-10"))
        #expect(page.candles.count == 10)
        #expect(page.candles.first?.openTime == 1_709_251_200_000 && page.candles.last?.openTime == 1_710_028_800_000)
        let first = try #require(page.candles.first)
        #expect(first.low == 60632.85 && first.high == 64091.99 && first.open == 61174.22 && first.close == 62460.8)
        #expect(first.volume == 9000.95516458 && first.market == "BTC-USD" && first.quote == "USD")
        #expect(page.candles.last?.close == 69000.47)
        #expect(page.candles.allSatisfy { $0.isClosed })
        #expect(page.missingDays.isEmpty && page.rejected.isEmpty && !page.reachedEnd && page.next == nil)
    }

    @Test func pagesBackwardsInWindowsOf300Days() throws {
        let days = day("2015-01-01")...day("2024-03-10")
        let cursor = source.firstCursor(for: btcUSD, days: days)
        #expect(cursor.window.count == 300 && cursor.window.upperBound == day("2024-03-10"))
        let page = try source.parse(try Fixtures.response("coinbase_candles_BTC-USD_86400.json"), cursor: cursor, now: recordedAt)
        #expect(page.shortPage, "ten rows for a 300-day window")
        let next = try #require(page.next)
        #expect(next.window.upperBound == cursor.window.lowerBound.advanced(by: -1))
        #expect(next.window.count == 300 && next.remaining.lowerBound == day("2015-01-01"))
        let request = try source.request(for: next)
        #expect(queryItems(request.url) == [
            "granularity=86400", "start=\(next.window.lowerBound.iso)T00:00:00Z", "end=\(next.window.upperBound.iso)T00:00:00Z",
        ])
    }

    @Test func emptyWindowBeforeListingEndsTheBackfill() throws {
        let days = day("2010-07-17")...day("2014-10-27")
        let page = try parse(try Fixtures.response("coinbase_candles_BTC-USD_86400_before_listing.json"), days)
        let cursor = source.firstCursor(for: btcUSD, days: days)
        #expect(page.reachedEnd && page.next == nil && page.candles.isEmpty)
        #expect(page.gaps == [KnownGap(days: cursor.window, cause: .beforeListing)])
        #expect(!page.shortPage)
    }

    @Test func dayWithoutTradesIsMissingNotInvented() throws {
        let body = "[[1709424000,1,3,2,2,5],[1709251200,1,3,2,2,5]]"
        let page = try parse(ok(body), day("2024-03-01")...day("2024-03-03"))
        #expect(page.candles.map(\.day) == [day("2024-03-01"), day("2024-03-03")])
        #expect(page.missingDays == [day("2024-03-02")] && page.shortPage)
    }

    @Test func overlappingSeamRowIsDeduplicated() throws {
        let body = "[[1709337600,1,3,2,2,5],[1709251200,1,3,2,2,5],[1709251200,1,3,2,2,5]]"
        let page = try parse(ok(body), day("2024-03-01")...day("2024-03-02"))
        #expect(page.candles.count == 2 && page.duplicatesDropped == 1 && page.rejected.isEmpty)
    }

    @Test func impossibleRowsAreRejected() throws {
        let rows = ["[1709251200000,1,3,2,2,5]", "[1709337600,3,1,2,2,5]", "[1709424000,1,3,2,2,-5]", "[1709510400,1,3,2,2]", #"[1709596800,1,3,"x",2,5]"#]
        let page = try parse(ok("[" + rows.joined(separator: ",") + "]"), day("2024-03-01")...day("2024-03-05"))
        #expect(page.candles.isEmpty)
        #expect(page.rejected.map(\.reason) == [.millisInsteadOfSeconds, .highBelowLow, .negativeVolume, .missingField, .notANumber])
    }

    @Test(arguments: [
        ("coinbase_error_rate_limit.json", "rateLimited", true),
        ("coinbase_error_not_found.json", "unknownMarket", false),
        ("coinbase_error_too_many_candles.json", "badRequest", false),
    ])
    func errorBodies(file: String, code: String, retriable: Bool) throws {
        let response = try Fixtures.response(file)
        let error = try #require(sourceError { try parse(response, day("2024-03-01")...day("2024-03-10")) })
        #expect(error.code.description == code && error.isRetriable == retriable)
        #expect(error.status == response.status)
    }

    @Test func tickerPriceAndMicrosecondTime() throws {
        let request = try source.spotRequest(for: btcUSD)
        #expect(request.url == "https://api.exchange.coinbase.com/products/BTC-USD/ticker")
        let spot = try source.parseSpot(try Fixtures.response("coinbase_ticker_BTC-USD.json"), for: btcUSD, now: recordedAt)
        #expect(spot.price == 69880.45 && spot.time == 1_710_136_812_114)
    }
}
