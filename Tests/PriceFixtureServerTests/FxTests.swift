import Foundation
import HTTPClient
import PriceFixtureServer
import PriceSources
import Testing

@Suite struct FxTests {
    let usdINR = Instrument(base: "USD", quote: "INR")

    func weekday(_ day: UTCDay) -> Int {
        Int(((day.daysSinceEpoch + 3) % 7 + 7) % 7) + 1
    }

    @Test func frankfurter2009To2010HasECBWorkingDaysOnly() async throws {
        try await withServer { server in
            let source = FrankfurterSource(baseURL: server.baseURL(for: "frankfurter"))
            let request = try source.request(for: usdINR, days: day("2009-01-01")...day("2010-12-31"))
            #expect(request.url.hasPrefix(server.baseURL + "/frankfurter/v1/2009-01-01..2010-12-31?"))
            let page = try source.parse(try await fetch(request), for: usdINR, now: testNow)
            let days = page.fixings.map(\.day)
            #expect(page.rejected.isEmpty)
            #expect(days.first == day("2009-01-02") && days.last == day("2010-12-31"))
            #expect(days.allSatisfy { weekday($0) <= 5 }, "no weekend dates")
            let holidays = ["2009-04-10", "2009-04-13", "2009-05-01", "2009-12-25", "2010-01-01", "2010-04-02", "2010-04-05"].map(day)
            #expect(holidays.allSatisfy { !days.contains($0) })
            #expect(days.count == 514, "261 + 261 weekdays minus 5 + 3 TARGET holidays")
            #expect(page.fixings.allSatisfy { $0.rate > 40 && $0.rate < 60 && $0.base == "USD" && $0.quote == "INR" })
        }
    }

    @Test func frankfurterSingleDatesAndErrors() async throws {
        try await withServer { server in
            let base = server.baseURL(for: "frankfurter")
            let saturday = try await client.get(base + "/v1/2010-07-17?from=USD&to=INR")
            #expect(saturday.text.hasPrefix(#"{"amount":1.0,"base":"USD","date":"2010-07-16","rates":{"INR":"#))
            let latest = try await client.get(base + "/v1/latest?from=USD&to=INR")
            #expect(latest.text.contains(#""date":"2024-03-08""#), "before 16:00 CET on Monday: Friday's fixing")
            let before = try await client.get(base + "/v1/2008-01-01..2008-12-31?from=USD&to=INR")
            #expect(before.status == 404 && before.text == #"{"message":"not found"}"#)
            let invalid = try await client.get(base + "/v1/2010-02-30..2010-03-31?from=USD&to=INR")
            #expect(invalid.status == 422 && invalid.text == #"{"message":"invalid date"}"#)
            let weekendStart = try await client.get(base + "/v1/2010-03-20..2010-04-16?from=USD&to=INR")
            #expect(weekendStart.text.contains(#""start_date":"2010-03-19""#))
        }
    }

    @Test func fredObservationsListHolidaysWithADot() async throws {
        try await withServer { server in
            let source = FredSource(apiKey: "abcdefghijklmnopqrstuvwxyz012345", apiBaseURL: server.baseURL(for: "fred_api"), graphBaseURL: server.baseURL(for: "fred"))
            let request = try source.request(for: usdINR, days: day("2010-01-01")...day("2010-01-29"))
            let response = try await fetch(request)
            #expect(response.text.contains(#""date":"2010-01-18","value":".""#))
            let page = try source.parse(response, for: usdINR, now: testNow)
            #expect(page.noFixing == ["2010-01-01", "2010-01-18", "2010-01-26"].map(day))
            #expect(page.fixings.count == 18 && page.rejected.isEmpty)
            #expect(page.fixings.allSatisfy { weekday($0.day) <= 5 && $0.rate > 40 && $0.rate < 50 })

            let keyless = FredSource(graphBaseURL: server.baseURL(for: "fred"))
            let csv = try keyless.parse(try await fetch(try keyless.request(for: usdINR, days: day("2010-01-01")...day("2010-01-29"))), for: usdINR, now: testNow)
            #expect(csv.fixings == page.fixings, "the CSV's 4 decimals are the JSON's values")
            #expect(csv.noFixing == page.noFixing)

            let badKey = try await client.get(server.baseURL(for: "fred") + "/fred/series/observations?series_id=DEXINUS&file_type=json&api_key=not-a-key")
            #expect(badKey.status == 400 && badKey.text.contains("32 character alpha-numeric lower-case string"))
        }
    }

    @Test func fredAndFrankfurterAgreeWithinAPercent() async throws {
        try await withServer { server in
            let ecb = FrankfurterSource(baseURL: server.baseURL(for: "frankfurter"))
            let fred = FredSource(apiKey: "abcdefghijklmnopqrstuvwxyz012345", apiBaseURL: server.baseURL(for: "fred_api"))
            let days = day("2023-01-01")...day("2023-03-31")
            let a = try ecb.parse(try await fetch(try ecb.request(for: usdINR, days: days)), for: usdINR, now: testNow).fixings
            let b = try fred.parse(try await fetch(try fred.request(for: usdINR, days: days)), for: usdINR, now: testNow).fixings
            let byDay = Dictionary(uniqueKeysWithValues: b.map { ($0.day, $0.rate) })
            let shared = a.compactMap { fixing in byDay[fixing.day].map { abs($0 / fixing.rate - 1) } }
            #expect(shared.count > 50)
            #expect(shared.allSatisfy { $0 < 0.01 } && shared.contains { $0 > 0 })
        }
    }
}
