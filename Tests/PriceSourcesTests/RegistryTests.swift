import Foundation
import PriceSources
import Testing

@Suite struct RegistryTests {
    let registry = SourceRegistry.standard()

    @Test func standardRegistryListsEverySourceOnce() {
        #expect(registry.candleSources.map(\.name) == ["cryptocompare", "binance", "coinbase", "coingecko", "kraken", "alphavantage"])
        #expect(registry.fxSources.map(\.name) == ["frankfurter", "fred"])
        #expect(Set(registry.names).count == registry.names.count)
        #expect(registry.spotSources.count == 6)
    }

    @Test func sourcesForINRAndUSD() {
        #expect(registry.candleSources(supporting: Instrument(base: "BTC", quote: "INR")).map(\.name) == ["cryptocompare", "coingecko", "alphavantage"])
        #expect(registry.candleSources(supporting: Instrument(base: "BTC", quote: "USD")).count == 6)
        #expect(registry.fxSources.allSatisfy { $0.supports(Instrument(base: "USD", quote: "INR")) })
    }

    @Test func baseURLOverridesReachEveryRequest() throws {
        let base = "http://127.0.0.1:9999"
        let names = registry.names + ["fred_api"]
        let settings = SourceSettings(apiKeys: ["alphavantage": "k"], baseURLs: Dictionary(uniqueKeysWithValues: names.map { ($0, base + "/" + $0) }))
        let local = SourceRegistry.standard(settings: settings)
        let btcUSD = Instrument(base: "BTC", quote: "USD")
        for source in local.candleSources {
            let url = try source.firstRequest(for: btcUSD, from: day("2024-03-01"), to: day("2024-03-10")).request.url
            #expect(url.hasPrefix(base + "/" + source.name + "/"), "\(source.name): \(url)")
        }
        for source in local.fxSources {
            let url = try source.request(for: Instrument(base: "USD", quote: "INR"), days: day("2010-01-01")...day("2010-01-31")).url
            #expect(url.hasPrefix(base + "/" + source.name + "/"))
        }
    }

    @Test func everySpotSourceBuildsARequest() throws {
        let keyed = SourceRegistry.standard(settings: SourceSettings(apiKeys: ["alphavantage": "k"]))
        for source in keyed.spotSources {
            let request = try source.spotRequest(for: Instrument(base: "BTC", quote: "USD"))
            #expect(request.url.hasPrefix("https://"), "\(source.name)")
        }
    }

    @Test func customRegistry() {
        let custom = SourceRegistry(candleSources: [KrakenSource()], fxSources: [])
        #expect(custom.candleSource(named: "kraken") != nil && custom.candleSource(named: "binance") == nil)
    }

    @Test func emptyRangeIsRefused() throws {
        let error = try #require(sourceError { try KrakenSource().firstRequest(for: Instrument(base: "BTC", quote: "USD"), from: day("2024-03-02"), to: day("2024-03-01")) })
        #expect(error.code == .badRequest)
    }
}
