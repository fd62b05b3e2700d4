import Foundation
import PriceSources
import Testing

@Suite struct BinanceSourceTests {
    let source = BinanceSource()
    let btcUSD = Instrument(base: "BTC", quote: "USD")

    func parse(_ response: SourceResponse, _ days: ClosedRange<UTCDay>) throws -> CandlePage {
        try source.parse(response, cursor: source.firstCursor(for: btcUSD, days: days), now: recordedAt)
    }

    func kline(_ openTime: Int64, _ o: String, _ h: String, _ l: String, _ c: String, close closeTime: Int64? = nil) -> String {
        #"[\#(openTime),"\#(o)","\#(h)","\#(l)","\#(c)","1.5",\#(closeTime ?? openTime + 86_399_999),"100.0",10,"0.5","50.0","0"]"#
    }

    @Test func symbolMappingUsesUSDTAndRefusesINR() throws {
        #expect(source.marketSymbol(for: btcUSD) == "BTCUSDT")
        #expect(source.marketSymbol(for: Instrument(base: "ETH", quote: "USDT")) == "ETHUSDT")
        #expect(!source.supports(Instrument(base: "BTC", quote: "INR")))
        let error = try #require(sourceError {
            try source.firstRequest(for: Instrument(base: "BTC", quote: "INR"), from: day("2024-03-01"), to: day("2024-03-10"))
        })
        #expect(error.code == .unsupported)
    }

    @Test func requestMatchesTheDocumentedKlinesCall() throws {
        let request = try source.firstRequest(for: btcUSD, from: day("2024-03-01"), to: day("2024-03-10")).request
        #expect(request.url == "https://api.binance.com/api/v3/klines?symbol=BTCUSDT&interval=1d&startTime=1709251200000&endTime=1710028800000&limit=1000")
        #expect(request.weight == 2)
        #expect(request.headers.isEmpty)
    }

    @Test func configurableBaseURL() throws {
        let mirror = BinanceSource(baseURL: "http://127.0.0.1:8080/")
        let request = try mirror.firstRequest(for: btcUSD, from: day("2024-03-01"), to: day("2024-03-01")).request
        #expect(path(request.url) == "http://127.0.0.1:8080/api/v3/klines")
    }

    @Test func dailyKlinesPage() throws {
        let page = try parse(try Fixtures.response("binance_klines_BTCUSDT_1d.json"), day("2024-03-01")...day("2024-03-10"))
        #expect(page.candles.count == 10)
        #expect(page.candles.first?.openTime == 1_709_251_200_000 && page.candles.last?.openTime == 1_710_028_800_000)
        let first = try #require(page.candles.first)
        #expect(first.open == 61189.41 && first.high == 64121.0 && first.low == 60637.08 && first.close == 62430.98)
        #expect(first.volume == 26574.24858 && first.quoteVolume == 1_650_117_800.92501807)
        #expect(first.quote == "USDT" && first.market == "BTCUSDT" && first.source == "binance")
        #expect(page.candles.allSatisfy { $0.isClosed })
        #expect(page.usedWeight == 4)
        #expect(page.rejected.isEmpty && page.missingDays.isEmpty && page.gaps.isEmpty)
        #expect(!page.reachedEnd && page.next == nil)
    }

    @Test func firstPageRevealsListingAndPagesForward() throws {
        let days = day("2017-01-01")...day("2024-03-10")
        let cursor = source.firstCursor(for: btcUSD, days: days)
        #expect(cursor.window == day("2017-01-01")...day("2017-01-01").advanced(by: 999))
        let page = try source.parse(try Fixtures.response("binance_klines_BTCUSDT_1d_first_page.json"), cursor: cursor, now: recordedAt)
        #expect(page.candles.map(\.day) == (day("2017-08-17")...day("2017-08-21")).map { $0 })
        #expect(page.historyStart == day("2017-08-17"))
        #expect(page.gaps == [KnownGap(days: day("2017-01-01")...day("2017-08-16"), cause: .beforeListing)])
        let first = try #require(page.candles.first)
        #expect(first.open == 4261.48 && first.high == 4485.39 && first.low == 4200.74 && first.close == 4285.08 && first.volume == 795.150377)
        #expect(page.candles[3].open == 4120.98 && page.candles[2].close == 4139.98)
        #expect(page.shortPage, "the recording is truncated to five rows: the rest of the window is missing")
        #expect(page.missingDays.first == day("2017-08-22"))
        let next = try #require(page.next)
        #expect(next.window.lowerBound == cursor.window.upperBound.advanced(by: 1))
        #expect(next.seenData && next.page == 1)
        #expect(queryItems(try source.request(for: next).url).contains("startTime=\(next.window.lowerBound.startMillis)"))
    }

    @Test func latestKlineIsStillOpenAndEndsPaging() throws {
        let page = try parse(try Fixtures.response("binance_klines_BTCUSDT_1d_latest.json"), day("2024-03-09")...day("2024-03-20"))
        #expect(page.candles.map(\.isClosed) == [true, true, false])
        #expect(page.candles.last?.close == 69880.45)
        #expect(page.reachedEnd && page.next == nil)
        #expect(page.missingDays.isEmpty)
        #expect(page.usedWeight == 6)
    }

    @Test func emptyPageBeforeListingContinuesForward() throws {
        let cursor = source.firstCursor(for: btcUSD, days: day("2010-07-17")...day("2024-03-10"))
        let page = try source.parse(ok("[]"), cursor: cursor, now: recordedAt)
        #expect(page.gaps == [KnownGap(days: cursor.window, cause: .beforeListing)])
        #expect(!page.reachedEnd && page.missingDays.isEmpty)
        #expect(page.next?.window.lowerBound == cursor.window.upperBound.advanced(by: 1))
        #expect(page.next?.seenData == false)
    }

    @Test func emptyPageAfterNewestKlineIsTheEnd() throws {
        let page = try parse(ok("[]"), day("2024-03-11")...day("2024-03-30"))
        #expect(page.reachedEnd && page.next == nil && page.candles.isEmpty)
    }

    @Test func emptyPageInsideKnownHistoryIsShort() throws {
        let days = day("2024-01-01")...day("2024-03-10")
        let cursor = PageCursor(instrument: btcUSD, remaining: days, window: days, page: 3, seenData: true)
        let page = try source.parse(ok("[]"), cursor: cursor, now: recordedAt)
        #expect(page.shortPage && page.missingDays.count == 70 && !page.reachedEnd && page.gaps.isEmpty)
    }

    @Test func impossibleKlinesAreRejected() throws {
        let rows = [
            kline(1_709_251_200, "1", "2", "0.5", "1.5"),
            kline(ms("2024-03-02"), "1", "2", "0.5", "1.5", close: ms("2024-03-02") + 3_599_999),
            kline(ms("2024-03-03"), "NaN", "2", "0.5", "1.5"),
            kline(ms("2024-03-04"), "1", "0.5", "2", "1.5"),
            kline(ms("2024-03-05") + 3_600_000, "1", "2", "0.5", "1.5"),
            kline(ms("2024-03-06"), "-1", "2", "0.5", "1.5"),
            kline(ms("2024-03-07"), "1", "2", "0.5", "1.5"),
            #"[1709856000000,"1","2"]"#,
        ]
        let page = try parse(ok("[" + rows.joined(separator: ",") + "]"), day("2024-03-01")...day("2024-03-08"))
        #expect(page.candles.map(\.day) == [day("2024-03-07")])
        let reasons = Dictionary(uniqueKeysWithValues: page.rejected.map { ($0.raw, $0.reason) })
        #expect(reasons[rows[0]] == .secondsInsteadOfMillis)
        #expect(reasons[rows[1]] == .notDaily)
        #expect(reasons[rows[2]] == .notANumber)
        #expect(reasons[rows[3]] == .highBelowLow)
        #expect(reasons[rows[4]] == .notDayAligned)
        #expect(reasons[rows[5]] == .nonPositivePrice)
        #expect(reasons[rows[7]] == .missingField)
        #expect(page.rejected.count == 7)
    }

    @Test func rateLimitedWithRetryAfter() throws {
        let error = try #require(sourceError { try parse(try Fixtures.response("binance_error_429_too_many_requests.json"), day("2024-03-01")...day("2024-03-10")) })
        #expect(error.code == .rateLimited && error.status == 429)
        #expect(error.retryAfter == .seconds(23))
        #expect(error.isRetriable)
        #expect(error.message.contains("-1003") && error.message.contains("used weight 6004"))
    }

    @Test func bannedUntilTheTimestampInTheBody() throws {
        let body = #"{"code":-1003,"msg":"Way too much request weight used; IP banned until 1710144012345. Please use WebSocket Streams for live updates to avoid bans."}"#
        let response = SourceResponse(status: 418, headers: [HTTPHeader(name: "retry-after", value: "7200")], text: body)
        let error = try #require(sourceError { try parse(response, day("2024-03-01")...day("2024-03-10")) })
        #expect(error.code == .banned)
        #expect(error.bannedUntil == Date(timeIntervalSince1970: 1_710_144_012.345))
        #expect(error.retryAfter == .milliseconds(7_200_345))
        #expect(error.isRetriable)
    }

    @Test func restrictedLocationIsAnEgressProblem() throws {
        let error = try #require(sourceError { try parse(try Fixtures.response("binance_error_451_restricted_location.json"), day("2024-03-01")...day("2024-03-10")) })
        #expect(error.code == .egressBlocked && !error.isRetriable && error.status == 451)
    }

    @Test func invalidSymbolIsUnknownMarket() throws {
        let error = try #require(sourceError { try parse(try Fixtures.response("binance_error_invalid_symbol.json"), day("2024-03-01")...day("2024-03-10")) })
        #expect(error.code == .unknownMarket && error.status == 400 && !error.isRetriable)
        #expect(error.message == "code -1121: Invalid symbol. (used weight 2)")
    }

    @Test func internalErrorIsRetriable() throws {
        let response = SourceResponse(status: 500, text: #"{"code":-1001,"msg":"Internal error; unable to process your request. Please try again."}"#)
        let error = try #require(sourceError { try parse(response, day("2024-03-01")...day("2024-03-10")) })
        #expect(error.code == .serverError && error.isRetriable)
    }

    @Test func tickerSingleAndMulti() throws {
        let request = try source.spotRequest(for: btcUSD)
        #expect(request.url == "https://api.binance.com/api/v3/ticker/price?symbol=BTCUSDT" && request.weight == 2)
        let single = try source.parseSpot(try Fixtures.response("binance_ticker_price_BTCUSDT.json"), for: btcUSD, now: recordedAt)
        #expect(single.price == 69894.43 && single.quote == "USDT" && single.market == "BTCUSDT")
        let multi = try Fixtures.response("binance_ticker_price_multi.json")
        #expect(try source.parseSpot(multi, for: btcUSD, now: recordedAt).price == 69894.43)
        #expect(try source.parseSpot(multi, for: Instrument(base: "ETH", quote: "USD"), now: recordedAt).price == 3942.45)
    }
}
