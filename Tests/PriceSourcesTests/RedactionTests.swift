import Foundation
import PriceSources
import Testing

@Suite struct RedactionTests {
    let secret = "s3cr3t-KEY-value"

    @Test func requestDescriptionRedactsQueryKeysAndKeyHeaders() {
        let request = SourceRequest(
            url: "https://example.test/q?symbol=BTC&apikey=\(secret)&api_key=\(secret)&x_cg_demo_api_key=\(secret)&x_cg_pro_api_key=\(secret)",
            headers: [
                HTTPHeader(name: "Authorization", value: "Apikey \(secret)"), HTTPHeader(name: "x-cg-demo-api-key", value: secret),
                HTTPHeader(name: "x-cg-pro-api-key", value: secret), HTTPHeader(name: "User-Agent", value: "ua"),
            ])
        for text in [request.description, String(reflecting: request), "\(request)"] {
            #expect(!text.contains(secret))
        }
        var dumped = ""
        dump(request, to: &dumped)
        #expect(!dumped.contains(secret))
        #expect(request.description.contains("symbol=BTC") && request.description.contains("User-Agent: ua"))
        #expect(request.urlWithoutQuery == "https://example.test/q")
    }

    @Test func apiKeyNeverPrints() {
        let key = APIKey(secret)
        #expect(APIKey("  ") == nil && APIKey(nil) == nil)
        #expect("\(String(describing: key))" == "Optional(<redacted>)")
        var dumped = ""
        dump(key, to: &dumped)
        #expect(!dumped.contains(secret))
    }

    @Test(arguments: ["cryptocompare", "coingecko", "alphavantage", "fred"])
    func adaptersNeverPrintTheirKey(name: String) throws {
        let registry = SourceRegistry.standard(settings: SourceSettings(apiKeys: [name: secret]))
        let candle = registry.candleSource(named: name)
        let fx = registry.fxSource(named: name)
        let adapter: Any = try #require(candle.map { $0 as Any } ?? fx.map { $0 as Any })
        var dumped = ""
        dump(adapter, to: &dumped)
        #expect(!dumped.contains(secret))
        #expect(!String(describing: adapter).contains(secret) && !String(reflecting: adapter).contains(secret))
        #expect(!SourceSettings(apiKeys: [name: secret]).description.contains(secret))
    }

    @Test func errorMessagesAreScrubbed() {
        let texts = [
            "failed https://x.test/q?function=A&apikey=\(secret)&x=1",
            "failed api_key=\(secret)",
            "header Authorization: Apikey \(secret)",
            "We have detected your API key as \(secret) and ...",
            "token Bearer \(secret)",
            "x_cg_demo_api_key=\(secret)",
        ]
        for text in texts {
            let error = SourceError(.badRequest, source: "test", message: text)
            #expect(!error.message.contains(secret), "\(text)")
            #expect(!error.description.contains(secret))
        }
        let explicit = SourceError(.badRequest, source: "test", message: "echo \(secret) here", secrets: [secret])
        #expect(explicit.message == "echo <redacted> here")
    }

    @Test func upstreamWordsAroundKeysSurvive() {
        let error = SourceError(.authRequired, source: "alphavantage", message: "the parameter apikey is invalid or missing.")
        #expect(error.message == "the parameter apikey is invalid or missing.")
    }
}
