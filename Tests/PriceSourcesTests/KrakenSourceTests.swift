import Foundation
import PriceSources
import Testing

@Suite struct KrakenSourceTests {
    let source = KrakenSource()
    let btcUSD = Instrument(base: "BTC", quote: "USD")

    func parse(_ response: SourceResponse, _ days: ClosedRange<UTCDay>) throws -> CandlePage {
        try source.parse(response, cursor: source.firstCursor(for: btcUSD, days: days), now: recordedAt)
    }

    /// A valid OHLC answer with one row per day from `first` to `last`.
    func answer(from first: UTCDay, to last: UTCDay) -> SourceResponse {
        let rows = (first...last).map { #"[\#($0.startSeconds),"100.0","110.0","90.0","105.0","101.0","2.5",7]"# }
        return ok(#"{"error":[],"result":{"XXBTZUSD":["# + rows.joined(separator: ",") + #"],"last":\#(last.advanced(by: -1).startSeconds)}}"#)
    }

    @Test func symbolMappingUsesXBT() {
        #expect(source.marketSymbol(for: btcUSD) == "XBTUSD")
        #expect(source.marketSymbol(for: Instrument(base: "DOGE", quote: "EUR")) == "XDGEUR")
        #expect(!source.supports(Instrument(base: "BTC", quote: "INR")))
    }

    @Test func requestSinceIsTheDayBeforeTheWindow() throws {
        let request = try source.firstRequest(for: btcUSD, from: day("2024-03-01"), to: day("2024-03-11")).request
        #expect(request.url == "https://api.kraken.com/0/public/OHLC?pair=XBTUSD&interval=1440&since=1709164800")
    }

    @Test func ohlcPageKeyedByCanonicalPairWithUncommittedLastRow() throws {
        let page = try parse(try Fixtures.response("kraken_ohlc_XBTUSD_1440.json"), day("2024-03-01")...day("2024-03-11"))
        #expect(page.candles.count == 11)
        #expect(page.candles.first?.openTime == 1_709_251_200_000 && page.candles.last?.openTime == 1_710_115_200_000)
        let first = try #require(page.candles.first)
        #expect(first.open == 61210.3 && first.high == 64121.1 && first.low == 60658.4 && first.close == 62439.6)
        #expect(first.volume == 2357.39301929, "volume is element 6, not the vwap")
        #expect(first.market == "XXBTZUSD")
        #expect(page.candles.map(\.isClosed) == Array(repeating: true, count: 10) + [false])
        #expect(page.reachedEnd && page.next == nil && page.gaps.isEmpty && page.missingDays.isEmpty)
    }

    @Test func olderThan720CandlesIsAKnownGap() throws {
        let today = day("2024-03-11")
        let first = today.advanced(by: -719)
        let page = try parse(answer(from: first, to: today), day("2020-01-01")...today)
        #expect(page.candles.count == 720)
        #expect(page.gaps == [KnownGap(days: day("2020-01-01")...first.advanced(by: -1), cause: .beyondHistoryLimit)])
        #expect(page.historyStart == nil && page.missingDays.isEmpty && page.reachedEnd)
    }

    @Test func fewerRowsStartingLateIsTheListing() throws {
        let page = try parse(answer(from: day("2024-03-05"), to: day("2024-03-11")), day("2024-01-01")...day("2024-03-11"))
        #expect(page.historyStart == day("2024-03-05"))
        #expect(page.gaps == [KnownGap(days: day("2024-01-01")...day("2024-03-04"), cause: .beforeListing)])
        #expect(page.candles.last?.isClosed == false)
    }

    @Test func rowsOutsideTheWindowAreNotReturned() throws {
        let page = try parse(try Fixtures.response("kraken_ohlc_XBTUSD_1440.json"), day("2024-03-03")...day("2024-03-05"))
        #expect(page.candles.map(\.day) == [day("2024-03-03"), day("2024-03-04"), day("2024-03-05")])
    }

    @Test(arguments: [
        ("kraken_error_rate_limit.json", "rateLimited", true),
        ("kraken_error_unknown_pair.json", "unknownMarket", false),
    ])
    func errorsArriveWithHTTP200(file: String, code: String, retriable: Bool) throws {
        let response = try Fixtures.response(file)
        #expect(response.status == 200)
        let error = try #require(sourceError { try parse(response, day("2024-03-01")...day("2024-03-11")) })
        #expect(error.code.description == code && error.isRetriable == retriable && error.status == 200)
    }

    @Test func serviceUnavailableIsRetriable() throws {
        let error = try #require(sourceError { try parse(ok(#"{"error":["EService:Unavailable"]}"#), day("2024-03-01")...day("2024-03-11")) })
        #expect(error.code == .serverError && error.isRetriable)
        #expect(error.message == "EService:Unavailable")
    }

    @Test func invalidArgumentsIsBadRequest() throws {
        let error = try #require(sourceError { try parse(ok(#"{"error":["EGeneral:Invalid arguments"]}"#), day("2024-03-01")...day("2024-03-11")) })
        #expect(error.code == .badRequest && !error.isRetriable)
    }

    @Test func answerWithoutResultIsMalformed() throws {
        let error = try #require(sourceError { try parse(ok(#"{"error":[]}"#), day("2024-03-01")...day("2024-03-11")) })
        #expect(error.code == .malformedResponse)
    }

    @Test func impossibleRowsAreRejected() throws {
        let rows = [
            #"[1709251200,"1","2","3","1.5","1","1",1]"#,
            #"[1709337600,"Infinity","2","1","1.5","1","1",1]"#,
            #"[1709424000000,"1","2","0.5","1.5","1","1",1]"#,
            #"[1709510400,"1","2","0.5","1.5","1"]"#,
        ]
        let body = #"{"error":[],"result":{"XXBTZUSD":["# + rows.joined(separator: ",") + #"],"last":1709510400}}"#
        let page = try parse(ok(body), day("2024-03-01")...day("2024-03-04"))
        #expect(page.candles.isEmpty)
        #expect(page.rejected.map(\.reason) == [.highBelowLow, .notANumber, .millisInsteadOfSeconds, .missingField])
        #expect(page.rejected.map(\.day) == [day("2024-03-01"), day("2024-03-02"), nil, day("2024-03-04")])
    }

    @Test func tickerLastTradePrice() throws {
        #expect(try source.spotRequest(for: btcUSD).url == "https://api.kraken.com/0/public/Ticker?pair=XBTUSD")
        let spot = try source.parseSpot(try Fixtures.response("kraken_ticker_XBTUSD.json"), for: btcUSD, now: recordedAt)
        #expect(spot.price == 69880.4 && spot.market == "XXBTZUSD" && spot.time == nil)
    }
}
