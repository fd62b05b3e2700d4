import Foundation
import PriceProducer
import PriceSources
import Testing

@Suite("Producer logic without I/O")
struct ProducerLogicTests {
    let btc = Instrument(base: "BTC", quote: "USD")
    func day(_ iso: String) -> UTCDay { UTCDay(iso: iso)! }

    @Test func aNewCursorAsksForEverythingAndAResumedOneOnlyForWhatIsMissing() {
        var cursor = ProducerCursor(source: "cryptocompare", instrument: btc)
        #expect(cursor.missing(first: day("2010-07-17"), lastClosed: day("2024-03-10")) == [day("2010-07-17")...day("2024-03-10")])
        // Paging backwards: the newest page first.
        let first = cursor.cover(day("2018-08-01")...day("2024-03-10"), candles: 2000, gaps: [], missing: [], reachedStart: false)
        #expect(first)
        #expect(cursor.missing(first: day("2010-07-17"), lastClosed: day("2024-03-10")) == [day("2010-07-17")...day("2018-07-31")])
        // A page that does not touch the covered days would open a gap: refused.
        let apart = cursor.cover(day("2011-01-01")...day("2012-01-01"), candles: 1, gaps: [], missing: [], reachedStart: false)
        #expect(!apart)
        let rest = cursor.cover(day("2010-07-17")...day("2018-07-31"), candles: 2938, gaps: [KnownGap(days: day("2010-07-17")...day("2010-07-17"), cause: .preHistoryFiller)],
                                missing: [day("2012-05-05")], reachedStart: true)
        #expect(rest)
        // Days later: only the new closed days; older ones are done (the source showed its start).
        #expect(cursor.missing(first: day("2009-01-01"), lastClosed: day("2024-03-12")) == [day("2024-03-11")...day("2024-03-12")])
        #expect(cursor.gapDays == 2)
        #expect(cursor.published == 4938)
    }

    @Test func cursorsSurviveTheirEncoding() {
        var cursor = ProducerCursor(source: "binance", instrument: Instrument(base: "ETH", quote: "INR"))
        _ = cursor.cover(day("2020-01-01")...day("2020-02-01"), candles: 32, gaps: [], missing: [], reachedStart: true)
        let decoded = ProducerCursor.decode(cursor.encoded())
        #expect(decoded == cursor)
        #expect(cursor.key == "binance|ETH|INR|1d")
        #expect(ProducerCursor.decode(Array(#"{"v":2,"source":"x"}"#.utf8)) == nil, "a newer format is not misread")
    }

    @Test func theGateNeverLetsMoreThanTheBudgetThrough() async throws {
        let gate = SourceGate(source: "test", limits: RateLimit(windows: [.requests(10, per: .milliseconds(500))], note: ""), headroom: 0.8)
        let clock = ContinuousClock()
        let start = clock.now
        for _ in 0..<24 { try await gate.acquire() }
        // 8 per 500 ms (80 % of 10): 24 requests need at least two full windows.
        #expect(clock.now - start >= .milliseconds(900))
        #expect(await gate.sentWithin(.milliseconds(500)) <= 8)
        await gate.pause(for: .milliseconds(300))
        let paused = clock.now
        try await gate.acquire()
        #expect(clock.now - paused >= .milliseconds(250))
    }

    @Test func theBreakerOpensAfterRepeatedFailuresAndClosesOnSuccess() async throws {
        let gate = SourceGate(source: "test", limits: RateLimit(windows: [], note: ""), failureThreshold: 3, openDuration: .milliseconds(300))
        await gate.failed()
        await gate.failed()
        #expect(await gate.breakerOpen == false)
        #expect(await gate.failed())
        #expect(await gate.breakerOpen)
        let clock = ContinuousClock()
        let start = clock.now
        try await gate.acquire()
        #expect(clock.now - start >= .milliseconds(250), "an open breaker pauses the source")
        await gate.succeeded()
        #expect(await gate.breakerOpen == false)
    }

    @Test func backoffGrowsWithJitterAndIsCapped() {
        var rng = SystemRandomNumberGenerator()
        let backoff = Backoff(base: .milliseconds(100), cap: .seconds(2))
        for attempt in 0..<12 {
            let d = backoff.delay(attempt: attempt, using: &rng)
            #expect(d >= .milliseconds(50) && d <= .seconds(2))
        }
    }
}
