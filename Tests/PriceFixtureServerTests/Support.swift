import Foundation
import HTTPClient
import PriceFixtureServer
import PriceSources

/// The tests' "today": 2024-03-11 (the recorded fixtures' date).
let today = FixtureUniverse.dayNumber("2024-03-11") ?? 0

/// 06:00 UTC on `today`: today's candle is still open.
let testNow = Date(timeIntervalSince1970: Double(today) * 86_400 + 6 * 3600)

/// `Tests/Fixtures/price-apis`.
let recordedFixtures = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()
    .deletingLastPathComponent()
    .appendingPathComponent("Fixtures")
    .appendingPathComponent("price-apis")

let client = HTTPClient()

/// A day literal of the tests (always valid).
func day(_ iso: String) -> UTCDay {
    UTCDay(iso: iso) ?? UTCDay(daysSinceEpoch: 0)
}

/// Runs `body` against a fresh server and always closes it.
func withServer<T>(
    universe: FixtureUniverse = .standard(today: today), faults: FaultScript = .none, recorded: Bool = false,
    replaying: Set<String> = [], _ body: (PriceFixtureServer) async throws -> T
) async throws -> T {
    let server = try await PriceFixtureServer(universe: universe, faults: faults, recordedFixtures: recorded ? recordedFixtures : nil, replaying: replaying)
    do {
        let result = try await body(server)
        try await server.close()
        return result
    } catch {
        try? await server.close()
        throw error
    }
}

/// Sends an adapter's request and hands back the response in the adapter's terms.
func fetch(_ request: SourceRequest) async throws -> SourceResponse {
    let response = try await client.get(request.url, headers: request.headers.map { ($0.name, $0.value) })
    return SourceResponse(status: response.status, headers: response.headers.map { HTTPHeader(name: $0.name, value: $0.value) }, body: response.body)
}

/// Every page of a backfill, following the adapter's cursors (at most `maxPages`).
func backfill(_ source: some CandleSource, _ instrument: Instrument, from: UTCDay, to: UTCDay, maxPages: Int = 20) async throws -> [CandlePage] {
    var (request, cursor) = try source.firstRequest(for: instrument, from: from, to: to)
    var pages: [CandlePage] = []
    while pages.count < maxPages {
        let page = try source.parse(try await fetch(request), cursor: cursor, now: testNow)
        pages.append(page)
        guard let next = page.next else { break }
        cursor = next
        request = try source.request(for: next)
    }
    return pages
}

/// The `SourceError` an adapter throws for a response, or `nil`.
func sourceError(_ body: () throws -> Any) -> SourceError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error as? SourceError
    }
}
