import Foundation
import PriceSources
import Testing

@Suite struct FredSourceTests {
    let keyless = FredSource(userAgent: "price-pipeline-tests")
    let keyed = FredSource(apiKey: "abcdefghijklmnopqrstuvwxyz012345")
    let usdINR = Instrument(base: "USD", quote: "INR")

    func parse(_ file: String, _ source: FredSource? = nil) throws -> FxPage {
        try (source ?? keyless).parse(try Fixtures.response(file), for: usdINR, now: recordedAt)
    }

    @Test func keylessCSVRequest() throws {
        let request = try keyless.request(for: usdINR, days: day("2010-01-01")...day("2010-04-16"))
        #expect(request.url == "https://fred.stlouisfed.org/graph/fredgraph.csv?id=DEXINUS&cosd=2010-01-01&coed=2010-04-16")
        #expect(request.headers == [HTTPHeader(name: "User-Agent", value: "price-pipeline-tests")])
        #expect(!keyless.supports(Instrument(base: "USD", quote: "EUR")))
    }

    @Test func keyedJSONRequestRedactsTheKey() throws {
        let request = try keyed.request(for: usdINR, days: day("2010-01-01")...day("2010-01-29"))
        #expect(request.url == "https://api.stlouisfed.org/fred/series/observations?series_id=DEXINUS&observation_start=2010-01-01&observation_end=2010-01-29&file_type=json&api_key=abcdefghijklmnopqrstuvwxyz012345")
        #expect(!request.description.contains("abcdefghijklmnopqrstuvwxyz012345"))
        #expect(!String(describing: keyed).contains("abcdefghijklmnopqrstuvwxyz012345"))
    }

    @Test func oldAndNewCSVHeadersReadToIdenticalData() throws {
        let old = try parse("fred_DEXINUS.csv")
        let new = try parse("fred_DEXINUS_new_header.csv")
        #expect(old == new)
        #expect(old.fixings.count == 72)
        #expect(old.noFixing == [day("2010-01-01"), day("2010-01-18"), day("2010-01-26"), day("2010-02-15")])
        #expect(old.fixings.first == FxFixing(base: "USD", quote: "INR", day: day("2010-01-04"), rate: 46.27, source: "fred"))
        #expect(old.fixings.last?.date == "2010-04-16" && old.fixings.last?.rate == 44.3)
        #expect(old.fixings.first { $0.date == "2010-04-13" }?.rate == 44.4675)
        #expect(old.fixings.first { $0.date == "2010-04-02" }?.rate == 44.74, "Good Friday is not a FRED gap")
        #expect(old.rejected.isEmpty)
    }

    @Test func apiObservationsWithDotsForMissingDays() throws {
        let page = try parse("fred_api_series_observations_DEXINUS_2010.json", keyed)
        #expect(page.fixings.count == 18)
        #expect(page.noFixing == [day("2010-01-01"), day("2010-01-18"), day("2010-01-26")])
        let csv = try parse("fred_DEXINUS.csv")
        let january = csv.fixings.filter { $0.date < "2010-02-01" }
        #expect(page.fixings.map(\.rate) == january.map(\.rate), "trimmed trailing zeros read the same")
    }

    @Test func realRecordedAPIAnswer() throws {
        let page = try parse("fred_api_series_observations_DEXINUS.json", keyed)
        #expect(page.fixings.count == 10)
        #expect(page.fixings.first?.date == "2026-03-02" && page.fixings.first?.rate == 91.47)
        #expect(page.fixings.last?.date == "2026-03-13" && page.fixings.last?.rate == 92.47)
    }

    @Test func badKeyIsAuthRequiredAndNeverEchoed() throws {
        let error = try #require(sourceError { try parse("fred_api_error_400_bad_api_key.json", keyed) })
        #expect(error.code == .authRequired && error.status == 400 && !error.isRetriable)
        #expect(error.message.hasPrefix("Bad Request.  The value for variable api_key"))
    }

    @Test func rateLimited() throws {
        let error = try #require(sourceError { try parse("fred_api_error_429_rate_limit.json", keyed) })
        #expect(error.code == .rateLimited && error.status == 429 && error.isRetriable)
        #expect(error.message == "Too Many Requests.  Exceeded Rate Limit")
    }

    @Test func keylessForbiddenIsAnEgressProblemNotNoData() throws {
        let response = SourceResponse(status: 403, text: "<html><head><title>Forbidden</title></head></html>")
        let error = try #require(sourceError { try keyless.parse(response, for: usdINR, now: recordedAt) })
        #expect(error.code == .egressBlocked && !error.isRetriable)
    }

    @Test func htmlWithStatus200IsMalformed() throws {
        let error = try #require(sourceError { try keyless.parse(ok("<!doctype html><html></html>"), for: usdINR, now: recordedAt) })
        #expect(error.code == .malformedResponse && error.isRetriable)
    }

    @Test func unknownCSVHeaderIsMalformed() throws {
        let error = try #require(sourceError { try keyless.parse(ok("DATE,VALUE\n2010-01-04,46.27\n"), for: usdINR, now: recordedAt) })
        #expect(error.code == .malformedResponse)
    }

    @Test func badCSVRowsAreRejected() throws {
        let page = try keyless.parse(ok("observation_date,DEXINUS\r\n2010-01-04,46.27\r\n2010-02-30,46.1\r\n2010-01-05,abc\r\n2010-01-06\r\n"), for: usdINR, now: recordedAt)
        #expect(page.fixings.map(\.date) == ["2010-01-04"])
        #expect(page.rejected.map(\.reason) == [.badTimestamp, .notANumber, .unexpectedShape])
    }
}
