import Foundation
import PriceSources
import Testing

@Suite struct CoinGeckoSourceTests {
    let keyless = CoinGeckoSource()
    let btcINR = Instrument(base: "BTC", quote: "INR")
    let btcUSD = Instrument(base: "BTC", quote: "USD")

    func parse(_ response: SourceResponse, _ instrument: Instrument, _ days: ClosedRange<UTCDay>) throws -> CandlePage {
        try keyless.parse(response, cursor: keyless.firstCursor(for: instrument, days: days), now: recordedAt)
    }

    @Test func keylessRangeRequest() throws {
        let request = try keyless.firstRequest(for: btcINR, from: day("2023-12-01"), to: day("2024-03-10")).request
        #expect(request.url == "https://api.coingecko.com/api/v3/coins/bitcoin/market_chart/range?vs_currency=inr&from=1701388800&to=1710028800")
        #expect(request.headers.isEmpty)
        #expect(keyless.marketSymbol(for: btcINR) == "bitcoin/inr")
        #expect(!keyless.supports(Instrument(base: "NOPE", quote: "USD")))
    }

    @Test func demoAndProKeysUseTheirHeadersAndHosts() throws {
        let demo = CoinGeckoSource(apiKey: "CG-demo-secret")
        let demoRequest = try demo.firstRequest(for: btcUSD, from: day("2023-12-01"), to: day("2024-03-10")).request
        #expect(demoRequest.headers == [HTTPHeader(name: "x-cg-demo-api-key", value: "CG-demo-secret")])
        #expect(demoRequest.url.hasPrefix("https://api.coingecko.com/api/v3/"))
        #expect(!demoRequest.url.contains("CG-demo-secret") && !demoRequest.description.contains("CG-demo-secret"))
        let pro = CoinGeckoSource(apiKey: "CG-pro-secret", pro: true)
        let proRequest = try pro.firstRequest(for: btcUSD, from: day("2023-12-01"), to: day("2024-03-10")).request
        #expect(proRequest.headers == [HTTPHeader(name: "x-cg-pro-api-key", value: "CG-pro-secret")])
        #expect(proRequest.url.hasPrefix("https://pro-api.coingecko.com/api/v3/coins/bitcoin/"))
    }

    @Test func shortRangesAreWidenedToStayDaily() throws {
        let request = try keyless.firstRequest(for: btcUSD, from: day("2024-03-02"), to: day("2024-03-11")).request
        let from = day("2024-03-11").advanced(by: -91).startSeconds
        #expect(queryItems(request.url) == ["vs_currency=usd", "from=\(from)", "to=1710115200"])
    }

    @Test func inrRangeIsOneSnapshotPerDay() throws {
        let page = try parse(try Fixtures.response("coingecko_market_chart_range_bitcoin_inr.json"), btcINR, day("2023-12-01")...day("2024-03-10"))
        #expect(page.candles.count == 101)
        #expect(page.candles.first?.openTime == 1_701_388_800_000 && page.candles.last?.openTime == 1_710_028_800_000)
        let first = try #require(page.candles.first)
        #expect(first.open == 3_149_469.665722185 && first.high == first.open && first.low == first.open && first.close == first.open)
        #expect(first.marketCap == 61_730_953_076_902.43)
        #expect(first.volume == 113_886_492_866.64314 && first.quoteVolume == first.volume)
        #expect(first.kind == .snapshot && first.quote == "INR" && first.market == "bitcoin/inr")
        #expect(page.candles.allSatisfy { $0.isClosed })
        #expect(page.rejected.isEmpty && page.missingDays.isEmpty && page.gaps.isEmpty && page.reachedEnd && page.next == nil)
    }

    @Test func usdRange() throws {
        let page = try parse(try Fixtures.response("coingecko_market_chart_range_bitcoin_usd.json"), btcUSD, day("2023-12-01")...day("2024-03-10"))
        #expect(page.candles.count == 101)
        #expect(page.candles.first?.close == 37700.4311206985 && page.candles.last?.close == 68456.64444238544)
        #expect(page.candles.last?.marketCap == 1_344_941_553_666.9177)
    }

    @Test(arguments: [
        ("coingecko_market_chart_bitcoin_inr_days10_daily.json", "INR", 5_707_405.787148809),
        ("coingecko_market_chart_bitcoin_usd_days10_daily.json", "USD", 69048.23838165923),
    ])
    func lastNDaysDropsTheRequestTimePoint(file: String, quote: String, todayPrice: Double) throws {
        let page = try parse(try Fixtures.response(file), Instrument(base: "BTC", quote: quote), day("2024-03-02")...day("2024-03-11"))
        #expect(page.candles.count == 10)
        #expect(page.candles.last?.day == day("2024-03-11") && page.candles.last?.close == todayPrice)
        #expect(page.candles.last?.isClosed == false)
        #expect(page.rejected.map(\.reason) == [.notDayAligned])
        #expect(page.rejected.first?.raw.hasPrefix("[1710136812345,") == true)
    }

    @Test func ohlcBarsAreFourDaysAndNeverMixedIn() throws {
        let page = try parse(try Fixtures.response("coingecko_ohlc_bitcoin_inr_days90.json"), btcINR, day("2023-12-01")...day("2024-03-10"))
        #expect(page.candles.isEmpty)
        #expect(page.rejected.count == 22)
        #expect(page.rejected.allSatisfy { $0.reason == .notDaily })
        #expect(page.rejected.first?.detail.contains("96 h") == true)
    }

    @Test func emptyPricesIsBeforeListing() throws {
        let page = try parse(ok(#"{"prices":[],"market_caps":[],"total_volumes":[]}"#), btcUSD, day("2012-01-01")...day("2012-12-31"))
        #expect(page.candles.isEmpty && page.reachedEnd && !page.shortPage)
        #expect(page.gaps == [KnownGap(days: day("2012-01-01")...day("2012-12-31"), cause: .beforeListing)])
    }

    @Test func duplicatePointsAreDroppedAndBadPointsRejected() throws {
        let body = #"{"prices":[[1709337600000,10.5],[1709337600000,10.5],[1709424000,11],[1709510400000,null],[1709596800000,-3]],"market_caps":[[1709337600000,5],[1709596800000,5]],"total_volumes":[[1709337600000,7],[1709424000,7],[1709510400000,7],[1709596800000,7]]}"#
        let page = try parse(ok(body), btcUSD, day("2024-03-02")...day("2024-03-05"))
        #expect(page.candles.count == 1 && page.duplicatesDropped == 1)
        #expect(page.candles.first?.marketCap == 5)
        #expect(page.rejected.map(\.reason) == [.secondsInsteadOfMillis, .missingField, .nonPositivePrice])
    }

    @Test func rateLimitedWithRetryAfter() throws {
        let error = try #require(sourceError { try parse(try Fixtures.response("coingecko_error_429_rate_limited.json"), btcINR, day("2023-12-01")...day("2024-03-10")) })
        #expect(error.code == .rateLimited && error.retryAfter == .seconds(7) && error.status == 429)
    }

    @Test func rateLimitBodyWithHTTP200IsNotData() throws {
        let body = #"{"status":{"error_code":429,"error_message":"You've exceeded the Rate Limit."}}"#
        let error = try #require(sourceError { try parse(ok(body), btcINR, day("2023-12-01")...day("2024-03-10")) })
        #expect(error.code == .rateLimited && error.status == 200)
    }

    @Test func historyBeyond365DaysIsHistoryLimit() throws {
        let error = try #require(sourceError { try parse(try Fixtures.response("coingecko_error_10012_history_beyond_365_days.json"), btcINR, day("2013-01-01")...day("2024-03-10")) })
        #expect(error.code == .historyLimit && !error.isRetriable && error.status == 401)
        #expect(error.message.hasPrefix("error 10012: Your request exceeds the allowed time range."))
    }

    @Test(arguments: [
        ("coingecko_error_coin_not_found.json", "unknownMarket", "coin not found"),
        ("coingecko_error_invalid_vs_currency.json", "unknownMarket", "invalid vs_currency"),
        ("coingecko_error_10010_pro_key_on_public_host.json", "authRequired", "error 10010: If you are using Pro API key, please change your root URL from api.coingecko.com to pro-api.coingecko.com"),
    ])
    func configurationErrors(file: String, code: String, message: String) throws {
        let response = try Fixtures.response(file)
        let error = try #require(sourceError { try parse(response, btcINR, day("2023-12-01")...day("2024-03-10")) })
        #expect(error.code.description == code && !error.isRetriable)
        #expect(error.message == message)
    }

    @Test func cloudflareAccessDeniedPage() throws {
        let html = "<!DOCTYPE html><html><head><title>Access denied | api.coingecko.com used Cloudflare to restrict access</title></head><body>Error 1020</body></html>"
        let response = SourceResponse(status: 403, headers: [HTTPHeader(name: "Content-Type", value: "text/html")], text: html)
        let error = try #require(sourceError { try parse(response, btcINR, day("2023-12-01")...day("2024-03-10")) })
        #expect(error.code == .egressBlocked && !error.isRetriable)
        #expect(error.message.contains("Access denied"))
    }

    @Test func simplePrice() throws {
        let request = try keyless.spotRequest(for: btcINR)
        #expect(request.url == "https://api.coingecko.com/api/v3/simple/price?ids=bitcoin&vs_currencies=inr&include_last_updated_at=true")
        let response = try Fixtures.response("coingecko_simple_price_bitcoin_ethereum_inr_usd.json")
        let spot = try keyless.parseSpot(response, for: btcINR, now: recordedAt)
        #expect(spot.price == 5_784_934 && spot.time == 1_710_136_781_000)
        #expect(try keyless.parseSpot(response, for: Instrument(base: "ETH", quote: "USD"), now: recordedAt).price == 3941.27)
    }
}
