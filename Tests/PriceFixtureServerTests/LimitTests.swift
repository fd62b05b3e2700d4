import Foundation
import HTTPClient
import PriceFixtureServer
import PriceSources
import Testing

@Suite struct LimitTests {
    let btcUSD = Instrument(base: "BTC", quote: "USD")

    @Test func coinbaseAnswers429OnceTheWindowIsFull() async throws {
        let script = FaultScript(limits: ["coinbase": RequestLimit(requests: 2, per: .seconds(30))])
        try await withServer(faults: script, recorded: true) { server in
            let url = server.baseURL(for: "coinbase") + "/products/BTC-USD/ticker"
            var statuses: [Int] = []
            var retryAfter: String?
            for _ in 0..<4 {
                let response = try await client.get(url)
                statuses.append(response.status)
                if response.status == 429 {
                    retryAfter = response.header("Retry-After")
                    #expect(response.text == #"{"message":"Public rate limit exceeded"}"#)
                }
            }
            #expect(statuses == [200, 200, 429, 429])
            #expect(retryAfter.flatMap { Int($0) }.map { (1...30).contains($0) } == true)
            #expect(server.violations(source: "coinbase") == 2)
            let accepted = server.requests(source: "coinbase").filter { !$0.limited }
            #expect(accepted.count == 2)
            #expect(server.requests(source: "coinbase").map(\.limited) == [false, false, true, true])
        }
    }

    @Test func binanceBansAClientThatIgnoresRetryAfter() async throws {
        let script = FaultScript(limits: ["binance": RequestLimit(requests: 1, per: .seconds(30), banAfterIgnored: 2, banDuration: .seconds(90))])
        try await withServer(faults: script) { server in
            let source = BinanceSource(baseURL: server.baseURL(for: "binance"))
            let (request, cursor) = try source.firstRequest(for: btcUSD, from: day("2024-01-01"), to: day("2024-01-31"))
            var statuses: [Int] = []
            var last: SourceResponse?
            for _ in 0..<5 {
                let response = try await fetch(request)
                statuses.append(response.status)
                last = response
            }
            #expect(statuses == [200, 429, 429, 418, 418])
            let banned = try #require(last)
            #expect(sourceError { try source.parse(banned, cursor: cursor, now: Date()) }?.code == .banned)
            #expect(server.violations(source: "binance") == 4)
            #expect(banned.header("X-MBX-USED-WEIGHT-1M") == "10")
        }
    }

    @Test func cryptoCompareSaysType99WithStatus200AndRecovers() async throws {
        // A window long enough that a loaded machine still sends the second request inside it.
        let script = FaultScript(limits: ["cryptocompare": RequestLimit(requests: 1, per: .milliseconds(8000))])
        try await withServer(faults: script) { server in
            let source = CryptoCompareSource(baseURL: server.baseURL(for: "cryptocompare"))
            let (request, cursor) = try source.firstRequest(for: btcUSD, from: day("2024-01-01"), to: day("2024-01-31"))
            #expect(try await fetch(request).status == 200)
            let limited = try await fetch(request)
            #expect(limited.status == 200)
            let error = sourceError { try source.parse(limited, cursor: cursor, now: testNow) }
            #expect(error?.code == .rateLimited && error?.retryAfter == .seconds(60), "reported as CryptoCompare's minute window")
            try await Task.sleep(for: .milliseconds(8100))
            #expect(try source.parse(try await fetch(request), cursor: cursor, now: testNow).candles.count == 31)
            #expect(server.violations(source: "cryptocompare") == 1)
        }
    }

    @Test func alphaVantageDailyCap() async throws {
        let script = FaultScript(limits: ["alphavantage": RequestLimit(requests: 1, per: .seconds(86_400))])
        try await withServer(faults: script, recorded: true) { server in
            let source = AlphaVantageSource(apiKey: "K", baseURL: server.baseURL(for: "alphavantage"))
            let (request, cursor) = try source.firstRequest(for: Instrument(base: "BTC", quote: "INR"), from: day("2024-03-01"), to: day("2024-03-10"))
            #expect(try source.parse(try await fetch(request), cursor: cursor, now: testNow).candles.isEmpty == false)
            let capped = try await fetch(request)
            #expect(sourceError { try source.parse(capped, cursor: cursor, now: testNow) }?.code == .dailyCapReached)
        }
    }

    @Test func requestTimesShowTheWindowWasNeverExceeded() async throws {
        let per = Duration.seconds(5)
        let script = FaultScript(limits: ["frankfurter": RequestLimit(requests: 3, per: per)])
        try await withServer(faults: script) { server in
            for _ in 0..<8 {
                _ = try await client.get(server.baseURL(for: "frankfurter") + "/v1/latest?from=USD&to=INR")
                try await Task.sleep(for: .milliseconds(20))
            }
            let accepted = server.requests(source: "frankfurter").filter { !$0.limited }.map(\.at)
            #expect(server.violations(source: "frankfurter") > 0)
            for (index, start) in accepted.enumerated() {
                #expect(accepted[index...].prefix { $0 - start < per }.count <= 3)
            }
        }
    }
}
