import Foundation
import PriceSources
import Testing

/// The recorded price-API answers in `Tests/Fixtures/price-apis`, with the status and
/// headers `index.json` assigns to each.
enum Fixtures {
    /// `Tests/Fixtures/price-apis`, found from this file's path.
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("Fixtures")
        .appendingPathComponent("price-apis")

    /// One `index.json` entry.
    struct Entry: Decodable, Sendable {
        let file: String
        let api: String
        let path: String
        let query: String
        let status: Int
        let headers: [String: String]
    }

    private struct Index: Decodable {
        let fixtures: [Entry]
    }

    /// All entries of `index.json`.
    static func entries() throws -> [Entry] {
        let data = try Data(contentsOf: directory.appendingPathComponent("index.json"))
        return try JSONDecoder().decode(Index.self, from: data).fixtures
    }

    /// The entry for a file.
    static func entry(_ file: String) throws -> Entry {
        try #require(try entries().first { $0.file == file }, "no index entry for \(file)")
    }

    /// The file's body.
    static func body(_ file: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent(file)))
    }

    /// The answer a fixture server would give: body, status and headers from the index.
    static func response(_ file: String) throws -> SourceResponse {
        let entry = try entry(file)
        let headers = entry.headers.sorted { $0.key < $1.key }.map { HTTPHeader(name: $0.key, value: $0.value) }
        return SourceResponse(status: entry.status, headers: headers, body: try body(file))
    }
}

/// The simulated recording time of the fixtures: 2024-03-11T06:00:12Z.
let recordedAt = Date(timeIntervalSince1970: 1_710_136_812)

/// A day from a literal `YYYY-MM-DD` (tests only use valid literals).
func day(_ iso: String) -> UTCDay {
    UTCDay(iso: iso) ?? UTCDay(daysSinceEpoch: Int64.min / 4)
}

/// Milliseconds of 00:00 UTC of a literal day.
func ms(_ iso: String) -> Int64 { day(iso).startMillis }

/// An inline JSON answer with HTTP 200.
func ok(_ text: String, headers: [HTTPHeader] = []) -> SourceResponse {
    SourceResponse(status: 200, headers: headers, text: text)
}

/// Runs `body` and returns the `SourceError` it throws, or records an issue.
func sourceError<T>(_ body: () throws -> T, sourceLocation: SourceLocation = #_sourceLocation) -> SourceError? {
    do {
        _ = try body()
        Issue.record("expected a SourceError", sourceLocation: sourceLocation)
    } catch let error as SourceError {
        return error
    } catch {
        Issue.record("expected a SourceError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// The query items of a URL, in order.
func queryItems(_ url: String) -> [String] {
    guard let mark = url.firstIndex(of: "?") else { return [] }
    return url[url.index(after: mark)...].split(separator: "&").map(String.init)
}

/// The URL without its query.
func path(_ url: String) -> String {
    String(url.split(separator: "?", maxSplits: 1).first ?? "")
}
