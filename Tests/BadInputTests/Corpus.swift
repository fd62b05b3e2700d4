import Foundation
import Testing

/// The bad-input corpus under `Tests/BadInput`: one file per case, grouped by boundary, and
/// `manifest.json` with each case's input settings and expected outcome.
enum Corpus {
    /// `Tests/BadInput`, found from this file's path.
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("BadInput")

    /// The repository root (for `schemas/avro/*.avsc`).
    static let repositoryRoot = directory.deletingLastPathComponent().deletingLastPathComponent()

    /// The boundaries, each a subdirectory.
    static let boundaries = ["api", "kafka", "registry", "config"]

    /// What the directory holds besides the boundary directories.
    static let otherEntries: Set<String> = ["manifest.json", "README.md"]

    /// The manifest as read (once), or why it could not be.
    static let loaded = Result { try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: directory.appendingPathComponent("manifest.json"))) }

    /// The manifest; without cases when it does not parse (``CorpusTests`` then fails).
    static var manifest: Manifest {
        (try? loaded.get()) ?? Manifest(apiNow: "1970-01-01T00:00:00Z", cases: [])
    }

    /// The cases of one boundary, in manifest order.
    static func cases(_ boundary: String) -> [Case] {
        manifest.cases.filter { $0.boundary == boundary }
    }

    /// Every file under the boundary directories, as `boundary/name`.
    static func files() throws -> [String] {
        try boundaries.flatMap { boundary in
            try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent(boundary).path)
                .filter { !$0.hasPrefix(".") }
                .map { "\(boundary)/\($0)" }
        }.sorted()
    }

    /// A case file's bytes.
    static func bytes(_ file: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent(file)))
    }

    /// The case file's absolute path.
    static func path(_ file: String) -> String {
        directory.appendingPathComponent(file).path
    }
}

/// A manifest entry that cannot be run as written.
struct CorpusError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// `Tests/BadInput/manifest.json`.
struct Manifest: Decodable {
    /// The clock adapters parse API answers with, ISO 8601.
    let apiNow: String
    let cases: [Case]

    /// The writer schemas the Kafka cases' schema ids stand for, as schema text: each
    /// manifest value is a repository path (`schemas/avro/Candle.avsc`) or the schema itself.
    static func kafkaWriterSchemas() throws -> [Int: String] {
        let data = try Data(contentsOf: Corpus.directory.appendingPathComponent("manifest.json"))
        let document = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let schemas = try #require(document["kafkaWriterSchemas"] as? [String: Any], "manifest.json has no kafkaWriterSchemas")
        var texts: [Int: String] = [:]
        for (id, value) in schemas {
            let number = try #require(Int(id), "writer schema id \(id) is not a number")
            if let path = value as? String {
                texts[number] = try String(contentsOf: Corpus.repositoryRoot.appendingPathComponent(path), encoding: .utf8)
            } else {
                texts[number] = String(decoding: try JSONSerialization.data(withJSONObject: value), as: UTF8.self)
            }
        }
        return texts
    }
}

/// One case: its file, boundary, what it is, how to present it, and what must happen.
struct Case: Decodable, Sendable, CustomTestStringConvertible {
    let file: String
    let boundary: String
    let what: String
    let input: Input
    let expect: Expect

    var testDescription: String { file }

    /// How the file is presented; each boundary uses its own fields.
    struct Input: Decodable, Sendable {
        // api
        /// Adapter name.
        let source: String?
        /// `candles`, `fx` or `spot`.
        let endpoint: String?
        /// `BASE/QUOTE`.
        let instrument: String?
        /// First and last day asked for.
        let days: [String]?
        /// HTTP status the answer came with.
        let status: Int?
        let headers: [String: String]?
        /// Serve the answer over loopback HTTP: the file repeated, or trickled.
        let serve: Serve?
        // kafka
        /// `candles` or `fx`.
        let topic: String?
        // registry
        let method: String?
        let path: String?
        let contentType: String?
        /// The body is the file repeated this many times.
        let `repeat`: Int?
        // config
        /// Executable and arguments.
        let command: [String]?
        /// Variables on top of the file's (`.env` files); `$FILE` is the case file's path.
        let env: [String: String]?
    }

    /// The answer as the fixture server serves it.
    struct Serve: Decodable, Sendable {
        /// The body is the file repeated this many times.
        let `repeat`: Int?
        /// Bytes per write when trickling.
        let trickleBytes: Int?
        /// Milliseconds between trickled writes.
        let trickleEveryMs: Int?
        /// The client's total timeout.
        let clientTimeoutMs: Int?
    }

    /// The outcome; each boundary checks its own fields, and every case must set one.
    struct Expect: Decodable, Sendable {
        // api
        /// A `SourceError` code.
        let error: String?
        /// An `HTTPClientError` code.
        let transport: String?
        /// Candles or fixings kept.
        let candles: Int?
        let fixings: Int?
        /// Reasons of rows rejected (to the producer's dead-letter topic), any order.
        let rejected: [String]?
        /// Identical repeated rows dropped.
        let duplicates: Int?
        /// Days the source listed without a value.
        let noFixing: Int?
        /// Days of the window without a readable row (the producer refetches, then records a gap).
        let missingDays: Int?
        // kafka
        /// `decode` or `validate`: dead-lettered at that stage.
        let stage: String?
        /// The `DeadLetterReason` kind.
        let kind: String?
        /// The record is stored (a writer schema the reader resolves).
        let stored: Bool?
        // registry
        let status: Int?
        let errorCode: Int?
        // config
        /// Process exit status.
        let exit: Int32?
        /// Fragments the output must contain (the flag and the variable).
        let output: [String]?
        // shared
        /// A fragment of the error message.
        let message: String?
        /// Text that must never appear (a secret in the input).
        let mustNotContain: [String]?

        enum CodingKeys: String, CodingKey {
            case error, transport, candles, fixings, rejected, duplicates, noFixing, missingDays, stage, kind, stored, status
            case errorCode = "error_code", exit, output, message, mustNotContain
        }
    }
}

/// The corpus and the manifest name the same cases.
@Suite("Bad-input corpus")
struct CorpusTests {
    @Test func theManifestParsesAndTheDirectoryHoldsOnlyBoundaries() throws {
        _ = try Corpus.loaded.get()
        let entries = Set(try FileManager.default.contentsOfDirectory(atPath: Corpus.directory.path).filter { !$0.hasPrefix(".") })
        #expect(entries == Set(Corpus.boundaries).union(Corpus.otherEntries), "Tests/BadInput holds \(entries.sorted())")
    }

    @Test func everyFileHasOneManifestEntryAndEveryEntryAFile() throws {
        let files = try Corpus.files()
        let entries = Corpus.manifest.cases.map(\.file)
        let duplicates = Dictionary(grouping: entries, by: { $0 }).filter { $0.value.count > 1 }.keys.sorted()
        #expect(duplicates.isEmpty, "files listed twice in manifest.json: \(duplicates)")
        let unlisted = Set(files).subtracting(entries).sorted()
        #expect(unlisted.isEmpty, "files without a manifest entry: \(unlisted)")
        let missing = Set(entries).subtracting(files).sorted()
        #expect(missing.isEmpty, "manifest entries without a file: \(missing)")
    }

    @Test func everyEntryIsInItsBoundaryDirectoryAndSaysWhatMustHappen() {
        for entry in Corpus.manifest.cases {
            #expect(Corpus.boundaries.contains(entry.boundary), "\(entry.file): unknown boundary \(entry.boundary)")
            #expect(entry.file.hasPrefix(entry.boundary + "/"), "\(entry.file) is not under \(entry.boundary)/")
            #expect(!entry.what.isEmpty, "\(entry.file) does not say what it is")
            let e = entry.expect
            let outcome: Bool
            switch entry.boundary {
            case "api": outcome = e.error != nil || e.transport != nil || e.candles != nil || e.fixings != nil
            case "kafka": outcome = (e.stage != nil && e.kind != nil) || e.stored == true
            case "registry": outcome = e.status != nil && e.errorCode != nil
            case "config": outcome = e.exit != nil && !(e.output ?? []).isEmpty
            default: outcome = false
            }
            #expect(outcome, "\(entry.file) has no checked outcome for its boundary")
        }
    }
}
