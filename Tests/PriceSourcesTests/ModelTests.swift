import Foundation
import PriceSources
import Testing

@Suite struct ModelTests {
    @Test func utcDayRoundTripsAndRejectsImpossibleDates() {
        #expect(UTCDay(iso: "1970-01-01")?.daysSinceEpoch == 0)
        #expect(UTCDay(iso: "2024-03-11")?.startMillis == 1_710_115_200_000)
        #expect(UTCDay(iso: "2024-02-29")?.iso == "2024-02-29")
        #expect(UTCDay(iso: "2023-02-29") == nil && UTCDay(iso: "2010-02-30") == nil && UTCDay(iso: "2010-13-01") == nil)
        #expect(UTCDay(iso: "2010-1-01") == nil && UTCDay(iso: "2010-01-01T00:00:00Z") == nil && UTCDay(iso: "") == nil)
        #expect(UTCDay.genesis.iso == "2009-01-03")
        #expect(UTCDay(daysSinceEpoch: -1).iso == "1969-12-31")
        #expect(UTCDay(containingMillis: -1).iso == "1969-12-31")
        #expect(UTCDay(containingMillis: 1_710_136_812_345).iso == "2024-03-11")
        #expect(UTCDay(containing: recordedAt).iso == "2024-03-11")
        #expect(day("2024-12-15").firstOfNextMonth.iso == "2025-01-01")
        #expect((day("2024-02-27")...day("2024-03-01")).map(\.iso) == ["2024-02-27", "2024-02-28", "2024-02-29", "2024-03-01"])
    }

    @Test func utcDayMatchesFoundationOverManyYears() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
        for offset in stride(from: Int64(-800), through: 30_000, by: 97) {
            let date = Date(timeIntervalSince1970: Double(offset) * 86_400)
            let parts = calendar.dateComponents([.year, .month, .day], from: date)
            let expected = UTCDay(year: parts.year ?? 0, month: parts.month ?? 0, day: parts.day ?? 0)
            #expect(expected?.daysSinceEpoch == offset)
        }
    }

    @Test func instrumentParsingAndNormalisation() {
        #expect(Instrument(base: "btc", quote: "inr") == Instrument(base: "BTC", quote: "INR"))
        #expect(Instrument("BTC/USD")?.description == "BTC/USD")
        #expect(Instrument("BTC") == nil && Instrument("BTC/BTC") == nil && Instrument("B-C/USD") == nil)
    }

    @Test func responseHeaderLookupIgnoresCase() {
        let response = SourceResponse(status: 200, headers: [HTTPHeader(name: "X-MBX-USED-WEIGHT-1M", value: "12")], text: "[]")
        #expect(response.header("x-mbx-used-weight-1m") == "12")
        #expect(response.header("Retry-After") == nil)
    }

    @Test func retryAfterAsHTTPDate() throws {
        let response = SourceResponse(status: 429, headers: [HTTPHeader(name: "Retry-After", value: "Mon, 11 Mar 2024 06:01:12 GMT")], text: #"{"message":"Public rate limit exceeded"}"#)
        let source = CoinbaseSource()
        let cursor = source.firstCursor(for: Instrument(base: "BTC", quote: "USD"), days: day("2024-03-01")...day("2024-03-10"))
        let error = try #require(sourceError { try source.parse(response, cursor: cursor, now: recordedAt) })
        #expect(error.code == .rateLimited && error.retryAfter == .seconds(60))
    }

    /// Found while fuzzing the price-API parsers (Tests/FuzzCorpus/<api>/retry_after_hour_overflow):
    /// an 18-digit hour overflowed the arithmetic and crashed the producer; other impossible
    /// times were read as something else.
    @Test(arguments: [
        "Mon, 11 Mar 2024 999999999999999999:00:00 GMT", "Mon, 11 Mar 2024 24:00:00 GMT", "Mon, 11 Mar 2024 06:60:00 GMT",
        "Mon, 11 Mar 2024 6:01:12 GMT", "Mon, 11 Mar 2024 06:xx:01:12 GMT", "Mon, 11 Mar 2024 -1:00:00 GMT",
    ])
    func retryAfterWithAnImpossibleTimeIsIgnored(value: String) throws {
        let response = SourceResponse(status: 429, headers: [HTTPHeader(name: "Retry-After", value: value)], text: #"{"message":"Public rate limit exceeded"}"#)
        let source = CoinbaseSource()
        let cursor = source.firstCursor(for: Instrument(base: "BTC", quote: "USD"), days: day("2024-03-01")...day("2024-03-10"))
        let error = try #require(sourceError { try source.parse(response, cursor: cursor, now: recordedAt) })
        #expect(error.code == .rateLimited && error.retryAfter == nil)
    }

    @Test func errorCodesKnowWhetherToRetry() {
        let retriable: [SourceError.Code] = [.rateLimited, .banned, .dailyCapReached, .malformedResponse, .serverError]
        let permanent: [SourceError.Code] = [.unknownMarket, .unsupported, .authRequired, .historyLimit, .noData, .badRequest, .egressBlocked]
        #expect(retriable.allSatisfy { $0.isRetriable })
        #expect(permanent.allSatisfy { !$0.isRetriable })
        let error = SourceError(.rateLimited, source: "binance", status: 429, message: "slow down", retryAfter: .seconds(23))
        #expect(error.description == "binance: rateLimited (HTTP 429): slow down; retry after 23 s")
    }

    @Test func rateLimitsAreDocumented() {
        #expect(BinanceSource().limits.windows == [RateLimit.Window(limit: 6000, period: .seconds(60), countsWeight: true)])
        #expect(AlphaVantageSource(apiKey: "k").limits.windows.contains(.requests(25, per: .seconds(86_400))))
        #expect(CoinGeckoSource(apiKey: "k").limits.windows.first == .requests(30, per: .seconds(60)))
        #expect(KrakenSource().limits.description.contains("1 requests/1 s"))
    }
}
