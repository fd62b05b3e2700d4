import Foundation
import PriceSources
import Testing

@Suite struct AlphaVantageSourceTests {
    let source = AlphaVantageSource(apiKey: "YOUR_KEY")
    let btcINR = Instrument(base: "BTC", quote: "INR")

    func parse(_ response: SourceResponse, _ days: ClosedRange<UTCDay>, with source: AlphaVantageSource? = nil) throws -> CandlePage {
        let adapter = source ?? self.source
        return try adapter.parse(response, cursor: adapter.firstCursor(for: btcINR, days: days), now: recordedAt)
    }

    @Test func requestCarriesTheKeyInTheQueryButNeverPrintsIt() throws {
        let request = try source.firstRequest(for: btcINR, from: day("2024-03-01"), to: day("2024-03-11")).request
        #expect(request.url == "https://www.alphavantage.co/query?function=DIGITAL_CURRENCY_DAILY&symbol=BTC&market=INR&apikey=YOUR_KEY")
        #expect(!request.description.contains("YOUR_KEY") && request.description.contains("apikey=<redacted>"))
        #expect(!String(reflecting: request).contains("YOUR_KEY"))
        let csv = AlphaVantageSource(apiKey: "YOUR_KEY", format: .csv)
        #expect(queryItems(try csv.firstRequest(for: btcINR, from: day("2024-03-01"), to: day("2024-03-11")).request.url).last == "datatype=csv")
    }

    @Test func requestWithoutKeyIsRefused() throws {
        let error = try #require(sourceError { try AlphaVantageSource(apiKey: nil).firstRequest(for: btcINR, from: day("2024-03-01"), to: day("2024-03-11")) })
        #expect(error.code == .authRequired)
    }

    @Test func currentKeyNames() throws {
        let page = try parse(try Fixtures.response("alphavantage_digital_currency_daily_BTC_INR.json"), day("2024-03-01")...day("2024-03-11"))
        #expect(page.candles.count == 11)
        #expect(page.candles.first?.day == day("2024-03-01") && page.candles.last?.day == day("2024-03-11"))
        let tenth = try #require(page.candles.first { $0.day == day("2024-03-10") })
        #expect(tenth.open == 5_670_530.85816 && tenth.high == 5_830_630.01478 && tenth.low == 5_567_460.00993 && tenth.close == 5_712_818.20236)
        #expect(tenth.volume == 22818.77271 && tenth.marketCap == nil && tenth.quote == "INR")
        #expect(tenth.raw.hasPrefix(#"{"2024-03-10":{"1. open":"5670530.85816000""#))
        #expect(page.candles.last?.isClosed == false, "today's entry is a partial day")
        #expect(page.candles.dropLast().allSatisfy { $0.isClosed })
        #expect(page.reachedEnd && page.next == nil && page.rejected.isEmpty && page.missingDays.isEmpty)
    }

    @Test func legacyKeyNamesIgnoreTheBogusMarketCap() throws {
        let page = try parse(try Fixtures.response("alphavantage_digital_currency_daily_BTC_INR_legacy.json"), day("2023-09-10")...day("2023-09-19"))
        #expect(page.candles.count == 10)
        let row = try #require(page.candles.first { $0.day == day("2023-09-18") })
        #expect(row.open == 2_207_538.9675 && row.high == 2_280_894.753 && row.low == 2_195_043.93495 && row.close == 2_227_095.79467)
        #expect(row.volume == 43000.43256 && row.marketCap == nil)
        #expect(page.candles.first?.day == day("2023-09-10") && page.candles.first?.close == 2_150_461.25937)
    }

    @Test func csvReadsTheSameValuesAsJSON() throws {
        let days = day("2024-03-01")...day("2024-03-11")
        let csv = try parse(try Fixtures.response("alphavantage_digital_currency_daily_BTC_INR.csv"), days)
        let json = try parse(try Fixtures.response("alphavantage_digital_currency_daily_BTC_INR.json"), days)
        #expect(csv.candles.count == 11 && csv.rejected.isEmpty)
        #expect(csv.candles.map(\.openTime) == json.candles.map(\.openTime))
        #expect(csv.candles.map(\.close) == json.candles.map(\.close))
        #expect(csv.candles.map(\.volume) == json.candles.map(\.volume))
        #expect(csv.candles.first?.raw == "2024-03-01,5065657.09096500,5308353.16650000,5019931.62342000,5168442.32577000,26574.24858000")
    }

    @Test func daysOlderThanTheRetainedSeriesAreAKnownGap() throws {
        let page = try parse(try Fixtures.response("alphavantage_digital_currency_daily_BTC_INR.json"), day("2020-01-01")...day("2024-03-11"))
        #expect(page.gaps == [KnownGap(days: day("2020-01-01")...day("2024-02-29"), cause: .beyondHistoryLimit)])
        #expect(page.missingDays.isEmpty && page.reachedEnd)
    }

    @Test func dailyCapWaitsForTheNextUTCDayAndRedactsTheEchoedKey() throws {
        let response = try Fixtures.response("alphavantage_rate_limit_daily.json")
        let error = try #require(sourceError { try parse(response, day("2024-03-01")...day("2024-03-11")) })
        #expect(error.code == .dailyCapReached && error.isRetriable && error.status == 200)
        #expect(error.retryAfter == .seconds(64_788))
        #expect(!error.message.contains("YOUR_KEY") && !error.description.contains("YOUR_KEY"))
        #expect(error.message.contains("API key as <redacted>"))
        let otherKey = AlphaVantageSource(apiKey: "DIFFERENT")
        let otherError = try #require(sourceError { try parse(response, day("2024-03-01")...day("2024-03-11"), with: otherKey) })
        #expect(!otherError.message.contains("YOUR_KEY"))
    }

    @Test(arguments: [
        ("alphavantage_rate_limit_burst.json", "rateLimited", 1),
        ("alphavantage_rate_limit_legacy_note.json", "rateLimited", 60),
    ])
    func rateLimitNotices(file: String, code: String, seconds: Int64) throws {
        let response = try Fixtures.response(file)
        let error = try #require(sourceError { try parse(response, day("2024-03-01")...day("2024-03-11")) })
        #expect(error.code.description == code && error.retryAfter == .seconds(seconds) && error.isRetriable)
    }

    @Test func dailyCapUnderTheNoteKey() throws {
        let body = #"{"Note": "We have detected your API key as ABCDEF123 and our standard API rate limit is 25 requests per day."}"#
        let error = try #require(sourceError { try parse(ok(body), day("2024-03-01")...day("2024-03-11")) })
        #expect(error.code == .dailyCapReached && !error.message.contains("ABCDEF123"))
    }

    @Test(arguments: [
        ("alphavantage_error_invalid_call.json", "unknownMarket"),
        ("alphavantage_error_missing_apikey.json", "authRequired"),
        ("alphavantage_error_demo_key.json", "authRequired"),
    ])
    func configurationErrors(file: String, code: String) throws {
        let response = try Fixtures.response(file)
        let error = try #require(sourceError { try parse(response, day("2024-03-01")...day("2024-03-11")) })
        #expect(error.code.description == code && !error.isRetriable && error.retryAfter == nil)
    }

    @Test func premiumEndpointNoticeIsAConfigurationError() throws {
        let body = #"{"Information": "Thank you for using Alpha Vantage! This is a premium endpoint. You may subscribe to any of the premium plans."}"#
        let error = try #require(sourceError { try parse(ok(body), day("2024-03-01")...day("2024-03-11")) })
        #expect(error.code == .authRequired && !error.isRetriable)
    }

    @Test func unknownNoticeIsRetriableNotData() throws {
        let error = try #require(sourceError { try parse(ok(#"{"Information": "Something new happened."}"#), day("2024-03-01")...day("2024-03-11")) })
        #expect(error.code == .serverError && error.isRetriable)
    }

    @Test func bodyWithoutSeriesIsNeverNoHistory() throws {
        let error = try #require(sourceError { try parse(ok(#"{"Meta Data": {}}"#), day("2024-03-01")...day("2024-03-11")) })
        #expect(error.code == .malformedResponse)
    }

    @Test func answerForAnotherMarketIsMalformed() throws {
        let usd = Instrument(base: "BTC", quote: "USD")
        let response = try Fixtures.response("alphavantage_digital_currency_daily_BTC_INR.json")
        let error = try #require(sourceError { try source.parse(response, cursor: source.firstCursor(for: usd, days: day("2024-03-01")...day("2024-03-11")), now: recordedAt) })
        #expect(error.code == .malformedResponse)
    }

    @Test func badRowsAreRejectedOneByOne() throws {
        let body = #"""
        {"Time Series (Digital Currency Daily)": {
            "2024-03-03": {"1. open": "5", "2. high": "4", "3. low": "6", "4. close": "5", "5. volume": "1"},
            "2024-03-02": {"1. open": "NaN", "2. high": "4", "3. low": "6", "4. close": "5", "5. volume": "1"},
            "2024-02-30": {"1. open": "5", "2. high": "6", "3. low": "4", "4. close": "5", "5. volume": "1"},
            "2024-03-01": {"1. open": "5", "2. high": "6", "3. low": "4", "4. close": "5"},
            "2024-02-29": {"1. open": "5", "2. high": "6", "3. low": "4", "4. close": "5", "5. volume": "1", "7. extra": "x"}
        }}
        """#
        let page = try parse(ok(body), day("2024-02-29")...day("2024-03-03"))
        #expect(page.candles.map(\.day) == [day("2024-02-29")])
        #expect(page.rejected.map(\.reason) == [.highBelowLow, .notANumber, .badTimestamp, .missingField])
        #expect(page.rejected.map(\.day) == [day("2024-03-03"), day("2024-03-02"), nil, day("2024-03-01")])
    }

    @Test func exchangeRate() throws {
        let request = try source.spotRequest(for: btcINR)
        #expect(request.url == "https://www.alphavantage.co/query?function=CURRENCY_EXCHANGE_RATE&from_currency=BTC&to_currency=INR&apikey=YOUR_KEY")
        let spot = try source.parseSpot(try Fixtures.response("alphavantage_currency_exchange_rate_BTC_INR.json"), for: btcINR, now: recordedAt)
        #expect(spot.price == 5_784_934.256485 && spot.time == 1_710_136_801_000)
    }
}
