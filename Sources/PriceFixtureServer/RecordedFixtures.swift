import Foundation

/// The recorded answers of `Tests/Fixtures/price-apis` (`index.json` plus one file
/// each), served for APIs the server does not synthesise. A request gets the fixture
/// recorded for its exact path and query (API keys compared as "some key"): a success
/// first, else an error that belongs to the request itself (unknown pair, bad range,
/// missing key); failing that, the success fixture of the same path sharing the most
/// query parameters. Transient errors (rate limits, geo-blocks) are never picked by
/// URL: script them with a ``FaultScript``.
struct RecordedFixtures: Sendable {
    struct Entry: Sendable {
        let api: APIName
        let file: String
        let path: String
        let query: [String]
        let status: Int
        let headers: [(name: String, value: String)]
        let body: [UInt8]

        /// An error variant (error status, or an error/rate-limit body sent with 200).
        var isError: Bool { status != 200 || file.contains("error") || file.contains("rate_limit") }

        /// An error that depends on the moment, not on the request: rate limits, bans, geo-blocks.
        var isTransient: Bool {
            [429, 418, 451].contains(status) || ["rate_limit", "429", "451", "too_many_requests"].contains { file.contains($0) }
        }
    }

    let entries: [Entry]

    /// Reads `index.json` and every file it lists from `directory`.
    init(directory: URL) throws {
        let index = try JSONDecoder().decode(Index.self, from: Data(contentsOf: directory.appendingPathComponent("index.json")))
        entries = try index.fixtures.compactMap { item -> Entry? in
            guard let api = APIName(fixtureAPI: item.api) else { return nil }
            let headers = item.headers.sorted { ($0.key == "Content-Type" ? 0 : 1, $0.key) < ($1.key == "Content-Type" ? 0 : 1, $1.key) }.map { (name: $0.key, value: $0.value) }
            return Entry(api: api, file: item.file, path: item.path, query: Self.normalized(Query(raw: item.query)), status: item.status,
                         headers: headers, body: [UInt8](try Data(contentsOf: directory.appendingPathComponent(item.file))))
        }
    }

    /// The recorded answer for a request, or `nil` when nothing was recorded for its path.
    func reply(api: APIName, path: String, query: Query) -> Reply? {
        let candidates = entries.filter { $0.api == api && $0.path == path && !$0.isTransient }
        let wanted = Self.normalized(query)
        let exact = candidates.filter { $0.query == wanted }
        let chosen = exact.first { !$0.isError } ?? exact.first ?? bestSuccess(candidates, wanted)
        guard let chosen else { return nil }
        var reply = Reply(status: chosen.status, contentType: "", body: "")
        reply.headers = chosen.headers
        reply.body = chosen.body
        return reply
    }

    func bestSuccess(_ candidates: [Entry], _ wanted: [String]) -> Entry? {
        let wantedSet = Set(wanted)
        var best: (entry: Entry, score: Int)?
        for entry in candidates where !entry.isError {
            let score = Set(entry.query).intersection(wantedSet).count
            if best == nil || score > best?.score ?? 0 { best = (entry, score) }
        }
        return best?.entry
    }

    /// Sorted `name=value` items, key parameters reduced to "a key" or `demo`.
    static func normalized(_ query: Query) -> [String] {
        let keyNames: Set<String> = ["apikey", "api_key", "x_cg_demo_api_key", "x_cg_pro_api_key"]
        return query.pairs.map { pair in
            let value = keyNames.contains(pair.name) && pair.value != "demo" ? "<key>" : pair.value
            return pair.name + "=" + value
        }.sorted()
    }

    private struct Index: Decodable {
        let fixtures: [Item]
    }

    private struct Item: Decodable {
        let file: String
        let api: String
        let path: String
        let query: String
        let status: Int
        let headers: [String: String]
    }
}
