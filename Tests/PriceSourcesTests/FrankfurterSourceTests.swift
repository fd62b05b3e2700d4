import Foundation
import PriceSources
import Testing

@Suite struct FrankfurterSourceTests {
    let source = FrankfurterSource()
    let usdINR = Instrument(base: "USD", quote: "INR")

    func parse(_ file: String) throws -> FxPage {
        try source.parse(try Fixtures.response(file), for: usdINR, now: recordedAt)
    }

    @Test func requests() throws {
        #expect(try source.request(for: usdINR, days: day("2010-01-01")...day("2010-12-31")).url
            == "https://api.frankfurter.dev/v1/2010-01-01..2010-12-31?from=USD&to=INR")
        #expect(try source.latestRequest(for: usdINR).url == "https://api.frankfurter.dev/v1/latest?from=USD&to=INR")
        #expect(try source.request(for: usdINR, on: day("2010-07-17")).url == "https://api.frankfurter.dev/v1/2010-07-17?from=USD&to=INR")
        let error = try #require(sourceError { try source.request(for: Instrument(base: "USD", quote: "USD"), days: day("2010-01-01")...day("2010-01-02")) })
        #expect(error.code == .unsupported)
    }

    @Test func timeSeriesHasOnlyWorkingDays() throws {
        let page = try parse("frankfurter_timeseries_USD_INR_2010.json")
        #expect(page.fixings.count == 19)
        #expect(page.fixings.first == FxFixing(base: "USD", quote: "INR", day: day("2010-03-19"), rate: 45.505, source: "frankfurter"))
        #expect(page.fixings.first?.date == "2010-03-19", "the previous working day, not the requested Saturday")
        #expect(page.fixings.last?.date == "2010-04-16" && page.fixings.last?.rate == 44.315)
        let dates = Set(page.fixings.map(\.date))
        #expect(!dates.contains("2010-04-02") && !dates.contains("2010-04-05") && !dates.contains("2010-03-20"))
        #expect(page.noFixing.isEmpty && page.rejected.isEmpty)
    }

    @Test func seriesStartsAtTheFirstINRFixing() throws {
        let page = try parse("frankfurter_timeseries_USD_INR_2009_inr_start.json")
        #expect(page.fixings.map(\.date) == ["2009-01-02", "2009-01-05", "2009-01-06", "2009-01-07", "2009-01-08", "2009-01-09"])
        #expect(page.fixings.first?.rate == 48.41 && page.fixings.first?.day == FrankfurterSource.firstINRFixing)
    }

    @Test func singleDateAnswersThePreviousWorkingDay() throws {
        #expect(try parse("frankfurter_date_USD_INR_2010-07-17.json").fixings
            == [FxFixing(base: "USD", quote: "INR", day: day("2010-07-16"), rate: 46.78, source: "frankfurter")])
    }

    @Test func latestBeforeTheECBPublishes() throws {
        let page = try parse("frankfurter_latest_USD_INR.json")
        #expect(page.fixings.map(\.date) == ["2024-03-08"] && page.fixings.first?.rate == 82.73)
    }

    @Test func amountScalesTheRate() throws {
        let page = try source.parse(ok(#"{"amount":2.0,"base":"USD","date":"2024-03-08","rates":{"INR":165.46}}"#), for: usdINR, now: recordedAt)
        #expect(page.fixings.first?.rate == 82.73)
    }

    @Test func notFoundAndInvalidDate() throws {
        let notFound = try #require(sourceError { try parse("frankfurter_error_404_not_found.json") })
        #expect(notFound.code == .noData && notFound.status == 404 && !notFound.isRetriable && notFound.message == "not found")
        let invalid = try #require(sourceError { try parse("frankfurter_error_422_invalid_date.json") })
        #expect(invalid.code == .badRequest && invalid.status == 422 && invalid.message == "invalid date")
    }

    @Test func wrongBaseIsMalformed() throws {
        let error = try #require(sourceError { try source.parse(ok(#"{"amount":1.0,"base":"EUR","date":"2024-03-08","rates":{"INR":90.44}}"#), for: usdINR, now: recordedAt) })
        #expect(error.code == .malformedResponse)
    }

    @Test func cloudflareTimeoutPageIsRetriable() throws {
        let response = SourceResponse(status: 524, text: "<html><head><title>api.frankfurter.dev | 524: A timeout occurred</title></head></html>")
        let error = try #require(sourceError { try source.parse(response, for: usdINR, now: recordedAt) })
        #expect(error.code == .serverError && error.isRetriable && error.message.contains("524: A timeout occurred"))
    }

    @Test func badRatesAreRejected() throws {
        let body = #"{"amount":1.0,"base":"USD","start_date":"2010-03-19","end_date":"2010-03-23","rates":{"2010-03-19":{"INR":-1},"2010-03-22":{"INR":"x"},"2010-03-23":5}}"#
        let page = try source.parse(ok(body), for: usdINR, now: recordedAt)
        #expect(page.fixings.isEmpty)
        #expect(page.rejected.map(\.reason) == [.nonPositivePrice, .notANumber, .unexpectedShape])
    }
}
