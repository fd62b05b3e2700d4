import Foundation
import HTTPClient
import PriceFixtureServer
import PriceSources
import Testing

/// `replaying` the four APIs whose recordings exist: the recorded answers parse with their adapters.
@Suite struct RecordedFixtureTests {
    let replayed: Set<String> = ["coinbase", "kraken", "coingecko", "alphavantage"]
    let btcUSD = Instrument(base: "BTC", quote: "USD")
    let march = day("2024-03-01")...day("2024-03-10")

    @Test func coinbaseCandlesParse() async throws {
        try await withServer(recorded: true, replaying: replayed) { server in
            let source = CoinbaseSource(baseURL: server.baseURL(for: "coinbase"))
            let pages = try await backfill(source, btcUSD, from: march.lowerBound, to: march.upperBound)
            #expect(pages.count == 1 && pages[0].candles.count == 10 && pages[0].rejected.isEmpty)
            #expect(server.requests(source: "coinbase").first?.path == "/products/BTC-USD/candles")
        }
    }

    @Test func krakenOHLCParses() async throws {
        try await withServer(recorded: true, replaying: replayed) { server in
            let source = KrakenSource(baseURL: server.baseURL(for: "kraken"))
            let pages = try await backfill(source, btcUSD, from: march.lowerBound, to: day("2024-03-11"))
            #expect(pages.first?.candles.count == 11 && pages.first?.candles.first?.market == "XXBTZUSD")
        }
    }

    @Test func coinGeckoRangeParsesInTheAskedCurrency() async throws {
        try await withServer(recorded: true, replaying: replayed) { server in
            let source = CoinGeckoSource(baseURL: server.baseURL(for: "coingecko"))
            let usd = try await backfill(source, btcUSD, from: day("2023-12-01"), to: march.upperBound)
            let inr = try await backfill(source, Instrument(base: "BTC", quote: "INR"), from: day("2023-12-01"), to: march.upperBound)
            let usdClose = try #require(usd.first?.candles.last?.close)
            let inrClose = try #require(inr.first?.candles.last?.close)
            #expect(usd.first?.candles.count == 101 && inr.first?.candles.count == 101)
            #expect(inrClose / usdClose > 75 && inrClose / usdClose < 90)
        }
    }

    @Test func alphaVantageDailyParses() async throws {
        try await withServer(recorded: true, replaying: replayed) { server in
            let source = AlphaVantageSource(apiKey: "MY-KEY", baseURL: server.baseURL(for: "alphavantage"))
            let pages = try await backfill(source, Instrument(base: "BTC", quote: "INR"), from: march.lowerBound, to: day("2024-03-11"))
            #expect(pages.first?.candles.isEmpty == false && pages.first?.rejected.isEmpty == true)
            let keyless = try await client.get(server.baseURL(for: "alphavantage") + "/query?function=DIGITAL_CURRENCY_DAILY&symbol=BTC&market=INR")
            #expect(keyless.text.contains("the parameter apikey is invalid or missing"), "the recorded error for this exact query")
        }
    }

    @Test func errorsRecordedForTheRequestItselfAreServedButTransientOnesAreNot() async throws {
        try await withServer(recorded: true, replaying: replayed) { server in
            let coinbase = server.baseURL(for: "coinbase")
            let tooMany = try await client.get(coinbase + "/products/BTC-USD/candles?granularity=86400&start=2023-01-01T00:00:00Z&end=2024-03-10T00:00:00Z")
            #expect(tooMany.status == 400 && tooMany.text.contains("exceeds 300"))
            let noRange = try await client.get(coinbase + "/products/BTC-USD/candles?granularity=86400")
            #expect(noRange.status == 200, "the recorded 429 for this URL is a scenario for fault scripts")
            let unknown = try await client.get(coinbase + "/products/ETH-EUR/candles?granularity=86400")
            #expect(unknown.status == 404 && unknown.text == #"{"message":"NotFound"}"#)
            let unknownPair = try await client.get(server.baseURL(for: "kraken") + "/0/public/OHLC?pair=XBTINR&interval=1440")
            #expect(unknownPair.text == #"{"error":["EQuery:Unknown asset pair"]}"#)
        }
    }

    @Test func replayedPathsWithoutARecordingSayNotFound() async throws {
        try await withServer(replaying: replayed) { server in
            let response = try await client.get(server.baseURL(for: "coinbase") + "/products/BTC-USD/stats")
            #expect(response.status == 404 && response.text == #"{"message":"NotFound"}"#)
            let unknownPrefix = try await client.get(server.baseURL + "/nowhere/x")
            #expect(unknownPrefix.status == 404)
        }
    }

    @Test func baseURLsCarryAPathPrefixTheAdaptersKeep() async throws {
        try await withServer { server in
            let settings = SourceSettings(baseURLs: server.baseURLs)
            let registry = SourceRegistry.standard(settings: settings)
            let cursor = try #require(registry.candleSource(named: "cryptocompare")).firstCursor(for: btcUSD, days: march)
            let url = try #require(registry.candleSource(named: "cryptocompare")).request(for: cursor).url
            #expect(url.hasPrefix(server.baseURL + "/cryptocompare/data/v2/histoday?"))
            #expect(server.baseURL(for: "coingecko") == server.baseURL + "/coingecko/api/v3")
            #expect(server.baseURLs["fred_api"] == server.baseURL + "/fred")
        }
    }
}
