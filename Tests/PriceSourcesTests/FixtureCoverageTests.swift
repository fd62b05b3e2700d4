import Foundation
import PriceSources
import Testing

/// Every recorded answer in `index.json` goes through its adapter: data files give
/// data, error and rate-limit files give a typed error (whatever their HTTP status).
@Suite struct FixtureCoverageTests {
    static let entries = (try? Fixtures.entries()) ?? []

    static func isError(_ file: String) -> Bool {
        file.contains("error") || file.contains("rate_limit")
    }

    static func isSpot(_ entry: Fixtures.Entry) -> Bool {
        ["ticker", "simple/price", "pricemulti", "currency_exchange_rate"].contains {
            entry.path.lowercased().contains($0) || entry.query.lowercased().contains($0)
        }
    }

    static func instrument(_ file: String) -> Instrument {
        let upper = file.uppercased()
        let quote = upper.contains("INR") ? "INR" : "USD"
        return Instrument(base: upper.contains("ETH") && !upper.contains("BTC") ? "ETH" : "BTC", quote: quote)
    }

    @Test func indexListsEveryFile() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Fixtures.directory.path).filter { $0 != "index.json" && $0 != "README.md" }
        #expect(Set(files) == Set(Self.entries.map(\.file)))
        #expect(Self.entries.count == 59)
    }

    @Test(arguments: entries.map(\.file))
    func everyFixtureIsUnderstood(file: String) throws {
        let entry = try Fixtures.entry(file)
        let response = try Fixtures.response(file)
        let registry = SourceRegistry.standard(settings: SourceSettings(apiKeys: ["alphavantage": "YOUR_KEY", "fred": "k"]))
        let outcome: Result<Int, SourceError>
        switch entry.api {
        case "frankfurter", "fred", "fred_api":
            let source: any FxSource = entry.api == "fred" ? FredSource() : try #require(registry.fxSource(named: entry.api == "fred_api" ? "fred" : entry.api))
            outcome = Result { () throws(SourceError) in
                let page = try source.parse(response, for: Instrument(base: "USD", quote: "INR"), now: recordedAt)
                return page.fixings.count
            }
        default:
            let source = try #require(registry.candleSource(named: entry.api))
            let instrument = Self.instrument(file)
            if Self.isSpot(entry), let spot = source as? any SpotPriceSource {
                outcome = Result { () throws(SourceError) in
                    _ = try spot.parseSpot(response, for: instrument, now: recordedAt)
                    return 1
                }
            } else {
                let days = day("2009-01-03")...day("2024-03-11")
                let cursor = PageCursor(instrument: instrument, remaining: days, window: days)
                outcome = Result { () throws(SourceError) in
                    let page = try source.parse(response, cursor: cursor, now: recordedAt)
                    return page.candles.count + page.rejected.count
                }
            }
        }
        switch outcome {
        case .success(let count):
            #expect(!Self.isError(file), "\(file) should be an error")
            #expect(count > 0 || file.contains("before_listing"), "\(file) gave nothing")
        case .failure(let error):
            #expect(Self.isError(file), "\(file): \(error)")
            #expect(error.status == entry.status)
            #expect(!error.message.contains("YOUR_KEY"))
        }
    }
}
