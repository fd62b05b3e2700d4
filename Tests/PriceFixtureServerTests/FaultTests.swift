import Foundation
import HTTPClient
import PriceFixtureServer
import PriceSources
import Testing

@Suite struct FaultTests {
    let btcUSD = Instrument(base: "BTC", quote: "USD")
    let window = day("2023-01-01")...day("2023-02-09")

    /// One CryptoCompare page of `window` (40 days) through the adapter.
    func cryptoComparePage(_ server: PriceFixtureServer) async throws -> (response: SourceResponse, parse: () throws -> CandlePage) {
        let source = CryptoCompareSource(baseURL: server.baseURL(for: "cryptocompare"))
        let (request, cursor) = try source.firstRequest(for: btcUSD, from: window.lowerBound, to: window.upperBound)
        let response = try await fetch(request)
        return (response, { try source.parse(response, cursor: cursor, now: testNow) })
    }

    @Test func status429AfterTheFirstRequestForOneRequest() async throws {
        let rule = FaultRule(source: "binance", after: 1, count: 1, fault: .status429(7))
        try await withServer(faults: FaultScript(rules: [rule])) { server in
            let source = BinanceSource(baseURL: server.baseURL(for: "binance"))
            var statuses: [Int] = []
            var error: SourceError?
            for _ in 0..<3 {
                let (request, cursor) = try source.firstRequest(for: btcUSD, from: window.lowerBound, to: window.upperBound)
                let response = try await fetch(request)
                statuses.append(response.status)
                if response.status == 429 {
                    #expect(response.header("Retry-After") == "7")
                    error = sourceError { try source.parse(response, cursor: cursor, now: testNow) }
                }
            }
            #expect(statuses == [200, 429, 200])
            #expect(error?.code == .rateLimited && error?.retryAfter == .seconds(7))
            #expect(server.faultCount(source: "binance") == 1)
            #expect(server.requests(source: "binance").map(\.fault) == [nil, .status429(7), nil])
        }
    }

    @Test func rateLimitBodiesWithStatus200() async throws {
        let rules = [FaultRule(source: "cryptocompare", fault: .rateLimitBody200), FaultRule(source: "kraken", fault: .rateLimitBody200)]
        try await withServer(faults: FaultScript(rules: rules), recorded: true) { server in
            let page = try await cryptoComparePage(server)
            #expect(page.response.status == 200 && page.response.text.contains(#""Type":99"#))
            let error = sourceError(page.parse)
            #expect(error?.code == .rateLimited && error?.retryAfter == .seconds(60))

            let kraken = KrakenSource(baseURL: server.baseURL(for: "kraken"))
            let (request, cursor) = try kraken.firstRequest(for: btcUSD, from: day("2024-03-01"), to: day("2024-03-11"))
            let response = try await fetch(request)
            #expect(response.status == 200 && response.text == #"{"error":["EAPI:Rate limit exceeded"]}"#)
            #expect(sourceError { try kraken.parse(response, cursor: cursor, now: testNow) }?.code == .rateLimited)
        }
    }

    @Test func html502AndBan418() async throws {
        let rules = [FaultRule(source: "cryptocompare", fault: .html502), FaultRule(source: "binance", fault: .ban418(120))]
        try await withServer(faults: FaultScript(rules: rules)) { server in
            let page = try await cryptoComparePage(server)
            #expect(page.response.status == 502 && page.response.header("Content-Type") == "text/html")
            #expect(sourceError(page.parse)?.code == .serverError)

            let source = BinanceSource(baseURL: server.baseURL(for: "binance"))
            let (request, cursor) = try source.firstRequest(for: btcUSD, from: window.lowerBound, to: window.upperBound)
            let response = try await fetch(request)
            #expect(response.status == 418 && response.header("Retry-After") == "120")
            let error = sourceError { try source.parse(response, cursor: cursor, now: Date()) }
            #expect(error?.code == .banned)
            let until = try #require(error?.bannedUntil)
            #expect(abs(until.timeIntervalSinceNow - 120) < 10)
        }
    }

    @Test func slowAnswersArriveLate() async throws {
        let rule = FaultRule(source: "frankfurter", fault: .slow(.milliseconds(700)))
        try await withServer(faults: FaultScript(rules: [rule])) { server in
            let url = server.baseURL(for: "frankfurter") + "/v1/latest?from=USD&to=INR"
            let clock = ContinuousClock()
            let start = clock.now
            let slow = try await client.get(url)
            let slowTime = clock.now - start
            let fast = try await client.get(url)
            #expect(slow.status == 200 && slow.body == fast.body)
            #expect(slowTime >= .milliseconds(700))
        }
    }

    @Test func truncatedBodiesAreHalfAndMalformed() async throws {
        try await withServer { server in
            let whole = try await cryptoComparePage(server).response.body
            server.setFaults(FaultScript(rules: [FaultRule(source: "cryptocompare", fault: .truncated)]))
            let page = try await cryptoComparePage(server)
            #expect(page.response.status == 200 && page.response.body == Array(whole.prefix(whole.count / 2)))
            #expect(sourceError(page.parse)?.code == .malformedResponse)
        }
    }

    @Test func shortPagesMissTwoDaysInTheMiddle() async throws {
        let rules = [FaultRule(source: "cryptocompare", fault: .shortPage), FaultRule(source: "binance", fault: .shortPage)]
        try await withServer(faults: FaultScript(rules: rules)) { server in
            let page = try await cryptoComparePage(server).parse()
            #expect(page.shortPage && page.missingDays.count == 2 && !page.reachedEnd && page.candles.count == 38)
            #expect(page.missingDays.allSatisfy { $0 > window.lowerBound && $0 < window.upperBound })

            let source = BinanceSource(baseURL: server.baseURL(for: "binance"))
            let (request, cursor) = try source.firstRequest(for: btcUSD, from: window.lowerBound, to: window.upperBound)
            let binance = try source.parse(try await fetch(request), cursor: cursor, now: testNow)
            #expect(binance.shortPage && binance.missingDays.count == 2)
            #expect(server.faultCount(source: "cryptocompare") == 1 && server.faultCount(source: "binance") == 1)
        }
    }

    @Test func overlapRepeatsRowsOfThePreviousPage() async throws {
        try await withServer { server in
            let klines = server.baseURL(for: "binance") + "/api/v3/klines?symbol=BTCUSDT&interval=1d&limit=10"
            let histoday = server.baseURL(for: "cryptocompare") + "/data/v2/histoday?fsym=BTC&tsym=USD&limit=9"
            let binanceFirst = try rows(try await client.get(klines + "&startTime=1672531200000").body)
            let ccFirst = try ccRows(try await client.get(histoday + "&toTs=1673308800").body)
            server.setFaults(FaultScript(rules: [FaultRule(source: "binance", fault: .overlap), FaultRule(source: "cryptocompare", fault: .overlap)]))
            let binanceSecond = try rows(try await client.get(klines + "&startTime=1673395200000").body)
            let ccSecond = try ccRows(try await client.get(histoday + "&toTs=1672444800").body)
            #expect(binanceSecond.count == 13 && ccSecond.count == 13)
            #expect(binanceSecond.prefix(3).map { "\($0)" } == binanceFirst.suffix(3).map { "\($0)" }, "forward paging: the previous page's last rows")
            #expect(ccSecond.suffix(3).map(key) == ccFirst.prefix(3).map(key), "backward paging: the previous page's first rows")
        }
    }

    @Test func adaptersClipOverlappingRowsToTheirWindow() async throws {
        let rules = [FaultRule(source: "cryptocompare", after: 1, fault: .overlap), FaultRule(source: "binance", after: 1, fault: .overlap)]
        try await withServer(faults: FaultScript(rules: rules)) { server in
            let cryptoCompare = CryptoCompareSource(baseURL: server.baseURL(for: "cryptocompare"))
            let backwards = try await backfill(cryptoCompare, btcUSD, from: day("2012-01-01"), to: UTCDay(daysSinceEpoch: Int64(today)), maxPages: 2)
            #expect(server.requests(source: "cryptocompare").map(\.fault) == [nil, .overlap])
            #expect(backwards[1].candles.count == 2001 && backwards[1].missingDays.isEmpty && backwards[1].rejected.isEmpty)
            #expect(backwards[1].candles.last?.day.advanced(by: 1) == backwards[0].candles.first?.day)

            let binance = BinanceSource(baseURL: server.baseURL(for: "binance"))
            let forwards = try await backfill(binance, btcUSD, from: day("2017-08-17"), to: UTCDay(daysSinceEpoch: Int64(today)), maxPages: 2)
            #expect(server.requests(source: "binance").map(\.fault) == [nil, .overlap])
            #expect(forwards[1].candles.count == 1000 && forwards[1].missingDays.isEmpty && forwards[1].rejected.isEmpty)
            #expect(forwards[1].candles.first?.day == forwards[0].candles.last?.day.advanced(by: 1))
        }
    }

    func key(_ row: [String: Any]) -> String {
        ["time", "open", "high", "low", "close", "volumefrom"].map { "\(row[$0] ?? "")" }.joined(separator: "/")
    }

    func rows(_ body: [UInt8]) throws -> [[Any]] {
        try JSONSerialization.jsonObject(with: Data(body)) as? [[Any]] ?? []
    }

    func ccRows(_ body: [UInt8]) throws -> [[String: Any]] {
        let json = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]
        return (json?["Data"] as? [String: Any])?["Data"] as? [[String: Any]] ?? []
    }

    @Test func invalidRowsAreRejectedByTheAdapter() async throws {
        try await withServer(faults: FaultScript(rules: [FaultRule(source: "cryptocompare", fault: .invalidRows)])) { server in
            let page = try await cryptoComparePage(server).parse()
            #expect(page.rejected.count == 1 && page.rejected.first?.reason == .highBelowLow)
            #expect(page.candles.count == 39 && page.missingDays.isEmpty)
        }
    }

    @Test func rulesCountOnlyMatchingRequests() async throws {
        let rule = FaultRule(source: "frankfurter", pathContains: "latest", after: 1, count: 2, fault: .html502)
        try await withServer(faults: FaultScript(rules: [rule])) { server in
            let base = server.baseURL(for: "frankfurter")
            var statuses: [Int] = []
            for path in ["/v1/latest", "/v1/2010-07-16", "/v1/latest", "/v1/latest", "/v1/latest"] {
                statuses.append(try await client.get(base + path + "?from=USD&to=INR").status)
            }
            #expect(statuses == [200, 200, 502, 502, 200])
            #expect(server.faultCount(source: "frankfurter") == 2 && server.requestCount(source: "frankfurter") == 5)
        }
    }

    @Test func scriptsParseFromJSON() throws {
        let script = try FaultScript(json: """
            {"rules":[{"source":"binance","after":2,"count":1,"fault":"status429","retryAfter":5},
                      {"source":"cryptocompare","fault":"slow","seconds":1.5,"path":"histoday"},
                      {"source":"*","fault":"rateLimitBody200","count":-1},
                      {"source":"binance","fault":"ban418","retryAfter":60},
                      {"source":"kraken","fault":"html502"},{"source":"kraken","fault":"truncated"},
                      {"source":"kraken","fault":"shortPage"},{"source":"kraken","fault":"overlap"},
                      {"source":"kraken","fault":"invalidRows"}],
             "limits":{"coinbase":{"requests":10,"perSeconds":1},"binance":{"requests":5,"perSeconds":60,"banAfterIgnored":3,"banSeconds":30}}}
            """)
        #expect(script.rules.map(\.fault) == [.status429(5), .slow(.milliseconds(1500)), .rateLimitBody200, .ban418(60), .html502, .truncated, .shortPage, .overlap, .invalidRows])
        #expect(script.rules[0].after == 2 && script.rules[0].count == 1 && script.rules[1].pathContains == "histoday" && script.rules[2].count == Int.max)
        #expect(script.limits["coinbase"] == RequestLimit(requests: 10, per: .seconds(1)))
        #expect(script.limits["binance"] == RequestLimit(requests: 5, per: .seconds(60), banAfterIgnored: 3, banDuration: .seconds(30)))
        #expect(try FaultScript(json: #"[{"source":"fred","fault":"truncated"}]"#).rules.count == 1)
        #expect(throws: FaultScriptError.self) { try FaultScript(json: #"{"rules":[{"source":"fred","fault":"explode"}]}"#) }
    }
}
