import Foundation
import PriceSources
import Testing

@Suite struct CryptoCompareSourceTests {
    let source = CryptoCompareSource(apiKey: "cc-secret-key")
    let btcUSD = Instrument(base: "BTC", quote: "USD")
    let btcINR = Instrument(base: "BTC", quote: "INR")

    func page(_ file: String, _ instrument: Instrument, _ days: ClosedRange<UTCDay>) throws -> CandlePage {
        try source.parse(try Fixtures.response(file), cursor: source.firstCursor(for: instrument, days: days), now: recordedAt)
    }

    @Test func requestMatchesTheDocumentedHistodayCall() throws {
        let (request, cursor) = try source.firstRequest(for: btcUSD, from: day("2024-03-01"), to: day("2024-03-10"))
        #expect(path(request.url) == "https://min-api.cryptocompare.com/data/v2/histoday")
        #expect(queryItems(request.url) == ["fsym=BTC", "tsym=USD", "limit=9", "toTs=1710028800", "tryConversion=false"])
        #expect(request.headers == [HTTPHeader(name: "authorization", value: "Apikey cc-secret-key")])
        #expect(request.weight == 1)
        #expect(cursor.window == day("2024-03-01")...day("2024-03-10"))
    }

    @Test func keyCanTravelAsQueryParameterAndIsRedactedInDescription() throws {
        let queryKeyed = CryptoCompareSource(apiKey: "cc-secret-key", keyPlacement: .query)
        let request = try queryKeyed.firstRequest(for: btcINR, from: day("2024-03-01"), to: day("2024-03-10")).request
        #expect(queryItems(request.url).contains("api_key=cc-secret-key"))
        #expect(queryItems(request.url).contains("tryConversion=false"))
        #expect(request.headers.isEmpty)
        #expect(!request.description.contains("cc-secret-key"))
        #expect(!String(describing: queryKeyed).contains("cc-secret-key"))
    }

    @Test func keylessRequestHasNoCredentials() throws {
        let request = try CryptoCompareSource().firstRequest(for: btcUSD, from: day("2024-03-01"), to: day("2024-03-10")).request
        #expect(request.headers.isEmpty)
        #expect(!request.url.contains("api_key"))
    }

    @Test func usdHistoryPage() throws {
        let page = try page("cryptocompare_histoday_BTC_USD.json", btcUSD, day("2024-03-01")...day("2024-03-10"))
        #expect(page.candles.count == 10)
        #expect(page.candles.first?.openTime == 1_709_251_200_000)
        #expect(page.candles.last?.openTime == 1_710_028_800_000)
        let first = try #require(page.candles.first)
        #expect(first.open == 61216.18 && first.high == 64123.14 && first.low == 60640.3 && first.close == 62432.82)
        #expect(first.volume == 24859.78 && first.quoteVolume == 1_543_869_651.92)
        #expect(first.source == "cryptocompare" && first.base == "BTC" && first.quote == "USD" && first.interval == "1d")
        #expect(first.conversion == "direct")
        #expect(first.raw.hasPrefix("{\"time\":1709251200,\"high\":64123.14"))
        #expect(page.candles.allSatisfy { $0.isClosed })
        #expect(page.rejected.isEmpty && page.gaps.isEmpty && page.missingDays.isEmpty)
        #expect(!page.shortPage && !page.reachedEnd && page.next == nil)
    }

    @Test func inrHistoryPage() throws {
        let page = try page("cryptocompare_histoday_BTC_INR.json", btcINR, day("2024-03-01")...day("2024-03-10"))
        #expect(page.candles.count == 10)
        let first = try #require(page.candles.first)
        #expect(first.quote == "INR")
        #expect(first.open == 5_110_761.87 && first.high == 5_356_366.29 && first.low == 5_073_583.67 && first.close == 5_232_933.56)
        #expect(first.volume == 51.09)
        #expect(page.candles.last?.close == 5_781_133.18)
    }

    @Test func leadingZeroRowsAreStartOfHistory() throws {
        let page = try page("cryptocompare_histoday_BTC_USD_start_of_history.json", btcUSD, day("2009-01-03")...day("2010-07-19"))
        #expect(page.candles.map(\.day) == [day("2010-07-17"), day("2010-07-18"), day("2010-07-19")])
        #expect(page.candles.first?.close == 0.04951)
        #expect(page.gaps == [KnownGap(days: day("2010-07-10")...day("2010-07-16"), cause: .preHistoryFiller)])
        #expect(page.historyStart == day("2010-07-17"))
        #expect(page.reachedEnd)
        #expect(page.next == nil)
        #expect(page.missingDays.isEmpty && page.rejected.isEmpty)
    }

    @Test func pagesBackwardsWithToTsBeforeTimeFrom() throws {
        let cursor = source.firstCursor(for: btcUSD, days: day("2012-01-01")...day("2024-03-10"))
        #expect(cursor.window == day("2024-03-10").advanced(by: -2000)...day("2024-03-10"))
        #expect(queryItems(try source.request(for: cursor).url).contains("limit=2000"))
        let page = try source.parse(try Fixtures.response("cryptocompare_histoday_BTC_USD.json"), cursor: cursor, now: recordedAt)
        let next = try #require(page.next)
        #expect(next.window.upperBound == cursor.window.lowerBound.advanced(by: -1))
        #expect(next.window.count == 2001)
        #expect(next.remaining.lowerBound == day("2012-01-01"))
        #expect(next.page == 1 && next.seenData)
        let nextRequest = try source.request(for: next)
        #expect(queryItems(nextRequest.url).contains("toTs=\(next.window.upperBound.startSeconds)"))
        let third = try #require(try source.parse(ok(#"{"Response":"Success","Data":{"Data":[]}}"#), cursor: next, now: recordedAt).next)
        #expect(third.window.lowerBound == day("2012-01-01"))
        #expect(queryItems(try source.request(for: third).url).contains("limit=\(third.window.count - 1)"))
    }

    @Test func truncatedPageIsShortNotTheEnd() throws {
        let page = try page("cryptocompare_histoday_BTC_USD.json", btcUSD, day("2024-02-20")...day("2024-03-10"))
        #expect(page.shortPage)
        #expect(page.missingDays.first == day("2024-02-20") && page.missingDays.count == 10)
        #expect(!page.reachedEnd)
    }

    @Test func impossibleRowsAreRejectedOneByOne() throws {
        let rows = [
            #"{"time":1709251200,"high":10,"low":20,"open":15,"close":15,"volumefrom":1,"volumeto":1}"#,
            #"{"time":1709337600,"high":"NaN","low":1,"open":1,"close":1,"volumefrom":1,"volumeto":1}"#,
            #"{"time":1709424000,"high":10,"low":-1,"open":5,"close":5,"volumefrom":1,"volumeto":1}"#,
            #"{"time":1709510400000,"high":10,"low":1,"open":5,"close":5,"volumefrom":1,"volumeto":1}"#,
            #"{"time":1709596800,"high":10,"low":1,"open":5,"close":5,"volumefrom":1,"volumeto":1}"#,
            #"{"time":1709686800,"high":10,"low":1,"open":5,"close":5,"volumefrom":1,"volumeto":1}"#,
            #"{"time":1710201600,"high":10,"low":1,"open":5,"close":5,"volumefrom":1,"volumeto":1}"#,
            #"{"time":1709769600,"high":10,"low":1,"open":11,"close":5,"volumefrom":1,"volumeto":1}"#,
            #"{"time":1709856000,"high":0,"low":0,"open":0,"close":0,"volumefrom":0,"volumeto":0}"#,
            #"{"time":1709942400,"low":1,"open":5,"close":5,"volumefrom":1,"volumeto":1}"#,
        ]
        let body = #"{"Response":"Success","Data":{"Data":["# + rows.joined(separator: ",") + "]}}"
        let cursor = source.firstCursor(for: btcUSD, days: day("2024-03-01")...day("2024-03-12"))
        let page = try source.parse(ok(body), cursor: cursor, now: recordedAt)
        #expect(page.candles.map(\.day) == [day("2024-03-05")])
        let expected: [Int: RejectReason] = [
            0: .highBelowLow, 1: .notANumber, 2: .nonPositivePrice, 3: .millisInsteadOfSeconds, 5: .notDayAligned,
            6: .inFuture, 7: .outsideRange, 8: .nonPositivePrice, 9: .missingField,
        ]
        #expect(page.rejected.count == expected.count)
        for (index, reason) in expected {
            #expect(page.rejected.first { $0.raw == rows[index] }?.reason == reason, "row \(index)")
        }
        #expect(page.rejected.first { $0.raw == rows[0] }?.day == day("2024-03-01"))
        #expect(page.rejected.first { $0.raw == rows[1] }?.day == day("2024-03-02"))
        #expect(page.gaps.isEmpty && !page.reachedEnd)
        #expect(page.missingDays == [day("2024-03-04"), day("2024-03-10")])
    }

    @Test func overlappingRowsAreDeduplicated() throws {
        let row = #"{"time":1709251200,"high":10,"low":1,"open":5,"close":6,"volumefrom":1,"volumeto":6}"#
        let other = #"{"time":1709251200,"high":10,"low":1,"open":5,"close":7,"volumefrom":1,"volumeto":6}"#
        let body = #"{"Response":"Success","Data":{"Data":["# + [row, row, other].joined(separator: ",") + "]}}"
        let cursor = source.firstCursor(for: btcUSD, days: day("2024-03-01")...day("2024-03-01"))
        let page = try source.parse(ok(body), cursor: cursor, now: recordedAt)
        #expect(page.candles.count == 1 && page.candles.first?.close == 6)
        #expect(page.duplicatesDropped == 1)
        #expect(page.rejected.map(\.reason) == [.conflictingDuplicate])
    }

    @Test func currentDayIsFlaggedOpen() throws {
        let row = #"{"time":1710115200,"high":10,"low":1,"open":5,"close":6,"volumefrom":1,"volumeto":6}"#
        let cursor = source.firstCursor(for: btcUSD, days: day("2024-03-11")...day("2024-03-11"))
        let page = try source.parse(ok(#"{"Response":"Success","Data":{"Data":["# + row + "]}}"), cursor: cursor, now: recordedAt)
        #expect(page.candles.map(\.isClosed) == [false])
        #expect(page.missingDays.isEmpty)
    }

    @Test func rateLimitWithHTTP200IsAnErrorWithTheMinuteWindow() throws {
        let cursor = source.firstCursor(for: btcUSD, days: day("2024-03-01")...day("2024-03-10"))
        let response = try Fixtures.response("cryptocompare_error_rate_limit.json")
        let error = try #require(sourceError { try source.parse(response, cursor: cursor, now: recordedAt) })
        #expect(error.code == .rateLimited)
        #expect(error.retryAfter == .seconds(60))
        #expect(error.isRetriable)
        #expect(error.status == 200)
        #expect(error.message.contains("minute limit used up (301/300 calls)"))
    }

    @Test func dailyWindowExhaustedIsDailyCap() throws {
        let body = #"{"Response":"Error","Message":"You are over your rate limit please upgrade your account!","Type":99,"RateLimit":{"calls_made":{"second":1,"minute":2,"hour":3,"day":7500},"max_calls":{"second":20,"minute":300,"hour":3000,"day":7500}},"Data":{}}"#
        let cursor = source.firstCursor(for: btcUSD, days: day("2024-03-01")...day("2024-03-10"))
        let error = try #require(sourceError { try source.parse(ok(body), cursor: cursor, now: recordedAt) })
        #expect(error.code == .dailyCapReached)
        #expect(error.retryAfter == .seconds(64_788))
    }

    @Test(arguments: [
        ("cryptocompare_error_auth_required.json", "authRequired"),
        ("cryptocompare_error_missing_param.json", "badRequest"),
        ("cryptocompare_error_no_data_for_symbol.json", "unknownMarket"),
    ])
    func errorBodiesWithHTTP200(file: String, code: String) throws {
        let cursor = source.firstCursor(for: btcUSD, days: day("2024-03-01")...day("2024-03-10"))
        let response = try Fixtures.response(file)
        let error = try #require(sourceError { try source.parse(response, cursor: cursor, now: recordedAt) })
        #expect(error.code.description == code)
        #expect(!error.isRetriable)
        #expect(error.retryAfter == nil)
    }

    @Test func successWithoutRowsIsMalformed() throws {
        let cursor = source.firstCursor(for: btcUSD, days: day("2024-03-01")...day("2024-03-10"))
        let error = try #require(sourceError { try source.parse(ok(#"{"Response":"Success","Data":{}}"#), cursor: cursor, now: recordedAt) })
        #expect(error.code == .malformedResponse && error.isRetriable)
    }

    @Test func spotPriceFromPricemulti() throws {
        let request = try source.spotRequest(for: btcINR)
        #expect(path(request.url) == "https://min-api.cryptocompare.com/data/pricemulti")
        #expect(queryItems(request.url).starts(with: ["fsyms=BTC", "tsyms=INR"]))
        let response = try Fixtures.response("cryptocompare_pricemulti_BTC_ETH_INR_USD.json")
        #expect(try source.parseSpot(response, for: btcINR, now: recordedAt).price == 5_854_353.47)
        #expect(try source.parseSpot(response, for: Instrument(base: "ETH", quote: "USD"), now: recordedAt).price == 3941.66)
    }
}
