import Foundation
import PriceSources
import Testing

/// Bodies that are not data must be typed errors for every adapter, never data.
@Suite struct RobustnessTests {
    static let candleNames = ["cryptocompare", "binance", "coinbase", "coingecko", "kraken", "alphavantage"]
    static let registry = SourceRegistry.standard(settings: SourceSettings(apiKeys: ["alphavantage": "k"]))
    static let usdINR = Instrument(base: "USD", quote: "INR")

    static let html = "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body>cloudflare</body></html>"
    static let bodies: [(name: String, status: Int, text: String, code: String)] = [
        ("html page with 200", 200, html, "malformedResponse"),
        ("empty body with 200", 200, "", "malformedResponse"),
        ("whitespace body with 200", 200, " \n", "malformedResponse"),
        ("truncated JSON", 200, #"{"Response":"Success","Data":{"Data":[{"time":1709251200,"high":64123.1"#, "malformedResponse"),
        ("truncated array", 200, #"[[1709251200000,"61189.41","#, "malformedResponse"),
        ("bad gateway page", 502, html, "serverError"),
        ("CDN forbidden page", 403, html, "egressBlocked"),
        ("geo block", 451, "unavailable", "egressBlocked"),
        ("plain 500", 500, "oops", "serverError"),
    ]

    func cursor(_ source: any CandleSource) -> PageCursor {
        source.firstCursor(for: Instrument(base: "BTC", quote: "USD"), days: day("2024-03-01")...day("2024-03-10"))
    }

    @Test(arguments: candleNames)
    func nonDataBodiesAreTypedErrors(name: String) throws {
        let source = try #require(Self.registry.candleSource(named: name))
        for body in Self.bodies {
            let response = SourceResponse(status: body.status, headers: [HTTPHeader(name: "Content-Type", value: "application/json")], text: body.text)
            let error = try #require(sourceError { try source.parse(response, cursor: cursor(source), now: recordedAt) }, "\(name): \(body.name)")
            #expect(error.code.description == body.code, "\(name): \(body.name)")
            #expect(error.source == name && error.status == body.status)
        }
    }

    @Test(arguments: candleNames)
    func serverErrorsKeepRetryAfter(name: String) throws {
        let source = try #require(Self.registry.candleSource(named: name))
        let response = SourceResponse(status: 503, headers: [HTTPHeader(name: "Retry-After", value: "30")], text: "Service Unavailable")
        let error = try #require(sourceError { try source.parse(response, cursor: cursor(source), now: recordedAt) })
        #expect(error.code == .serverError && error.retryAfter == .seconds(30))
    }

    @Test(arguments: candleNames)
    func wrongJSONShapeIsMalformed(name: String) throws {
        let source = try #require(Self.registry.candleSource(named: name))
        let error = try #require(sourceError { try source.parse(ok(#""just a string""#), cursor: cursor(source), now: recordedAt) })
        #expect(error.code == .malformedResponse)
    }

    @Test func deeplyNestedJSONIsRefusedNotCrashed() throws {
        let source = BinanceSource()
        let body = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        let error = try #require(sourceError { try source.parse(ok(body), cursor: cursor(source), now: recordedAt) })
        #expect(error.code == .malformedResponse)
    }

    @Test(arguments: ["frankfurter", "fred"])
    func fxNonDataBodies(name: String) throws {
        let source = try #require(Self.registry.fxSource(named: name))
        for body in Self.bodies {
            let response = SourceResponse(status: body.status, text: body.text)
            let error = try #require(sourceError { try source.parse(response, for: Self.usdINR, now: recordedAt) }, "\(name): \(body.name)")
            #expect(error.code.description == body.code, "\(name): \(body.name)")
        }
    }

    @Test func unicodeEscapesAndExponentsAreRead() throws {
        let source = BinanceSource()
        let body = #"[[1709251200000,"6.118941E4","64121.0","6.063708e+4","62430.98","2.657424858e4",1709337599999,"1","0","0","0","\u00e9\ud83d\ude00"]]"#
        let page = try source.parse(ok(body), cursor: cursor(source), now: recordedAt)
        #expect(page.candles.first?.open == 61189.41 && page.candles.first?.low == 60637.08)
        #expect(page.candles.first?.raw.hasSuffix(#""é😀"]"#) == true)
    }
}
