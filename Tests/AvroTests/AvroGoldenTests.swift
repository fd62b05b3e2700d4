import Foundation
import Testing
@testable import Avro

/// The golden files in `Golden/`, written by `Golden/generate.py` with fastavro,
/// an Avro implementation independent of ours (and of avro-c).
private enum AvroGolden {
    struct MissingFile: Error, CustomStringConvertible {
        var description: String
    }

    static var folder: URL? { Bundle.module.url(forResource: "Golden", withExtension: nil) }

    /// Names of all golden cases (file names without `.json`), sorted.
    static let allCases: [String] = {
        guard let folder, let files = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return [] }
        return files.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
    }()

    /// Cases with a schema and values: `{"schema", "canonical", "fingerprint", "values"}`.
    static let valueCases = allCases.filter { !$0.hasPrefix("resolve_") }
    /// Cases with `{"writer", "reader", "binary", "resolved_json"}`.
    static let resolutionCases = allCases.filter { $0.hasPrefix("resolve_") }

    /// Reads a golden file with our own JSON parser (it keeps key order and number text).
    static func load(_ name: String) throws -> JSONValue {
        guard let folder else { throw MissingFile(description: "the Golden folder is not in the test bundle") }
        let data = try Data(contentsOf: folder.appendingPathComponent("\(name).json"))
        return try JSONValue(parsing: [UInt8](data))
    }

    /// Parses a schema held as JSON inside a golden file, through the text entry point.
    static func schema(_ json: JSONValue?) throws -> AvroParsedSchema {
        guard let json else { throw MissingFile(description: "schema missing from golden file") }
        return try AvroParsedSchema(parsing: json.compactText)
    }
}

/// Bytes from lowercase or uppercase hex; nil when malformed.
private func goldenBytes(hex: String) -> [UInt8]? {
    let digits = Array(hex.utf8)
    guard digits.count % 2 == 0 else { return nil }
    var out: [UInt8] = []
    out.reserveCapacity(digits.count / 2)
    for i in stride(from: 0, to: digits.count, by: 2) {
        guard let b = UInt8(String(decoding: digits[i..<i + 2], as: UTF8.self), radix: 16) else { return nil }
        out.append(b)
    }
    return out
}

/// Lowercase hex of bytes.
private func goldenHex(_ bytes: [UInt8]) -> String {
    bytes.map { ($0 < 0x10 ? "0" : "") + String($0, radix: 16) }.joined()
}

/// A fingerprint as fastavro prints it: the 8 bytes little-endian (as in single-object encoding).
private func goldenFingerprintHex(_ fp: UInt64) -> String {
    goldenHex((0..<8).map { UInt8(truncatingIfNeeded: fp >> (8 * UInt64($0))) })
}

/// Equality that also tells -0.0 from 0.0 (AvroValue's `==` does not).
private func identical(_ a: AvroValue, _ b: AvroValue) -> Bool {
    switch (a, b) {
    case let (.float(x), .float(y)): return x.bitPattern == y.bitPattern
    case let (.double(x), .double(y)): return x.bitPattern == y.bitPattern
    case let (.record(x), .record(y)), let (.array(x), .array(y)):
        return x.count == y.count && zip(x, y).allSatisfy { identical($0, $1) }
    case let (.map(x), .map(y)):
        return x.count == y.count && x.allSatisfy { key, value in y[key].map { identical(value, $0) } ?? false }
    case let (.union(i, x), .union(j, y)):
        return i == j && identical(x, y)
    default:
        return a == b
    }
}

@Suite("Avro golden tests")
struct AvroGoldenTests {
    @Test("the golden folder is bundled with every expected case")
    func goldenFolderIsComplete() {
        let expected: Set = [
            "candle", "null", "boolean", "int", "long", "float", "double", "string", "bytes",
            "enum", "fixed", "array", "map", "union_null", "union_records", "nested_record",
            "linked_list", "logical_types",
        ]
        #expect(Set(AvroGolden.valueCases).isSuperset(of: expected), "found \(AvroGolden.valueCases)")
        #expect(AvroGolden.resolutionCases.count >= 4, "found \(AvroGolden.resolutionCases)")
    }

    @Test("canonical form, fingerprint and binary encoding agree with fastavro", arguments: AvroGolden.valueCases)
    func agreesWithFastavro(_ name: String) throws {
        let doc = try AvroGolden.load(name)
        let schema = try AvroGolden.schema(doc["schema"])
        #expect(schema.canonicalForm == doc["canonical"]?.stringValue)
        #expect(goldenFingerprintHex(schema.fingerprint) == doc["fingerprint"]?.stringValue)

        let codec = try AvroBinaryCodec(schema: schema)
        let values = try #require(doc["values"]?.arrayValue)
        #expect(!values.isEmpty)
        for (i, entry) in values.enumerated() {
            let json = try #require(entry["json"])
            let binary = try #require(entry["binary"]?.stringValue.flatMap(goldenBytes(hex:)))
            do {
                let value = try AvroDefaults.value(fromJSON: json, schema: schema.root, in: schema, taggedUnions: true)
                let encoded = try codec.encode(value)
                #expect(goldenHex(encoded) == goldenHex(binary), "\(name) value \(i): \(json.compactText)")
                let decoded = try codec.decode(binary)
                #expect(identical(decoded, value), "\(name) value \(i): decoded \(decoded), expected \(value)")
            } catch {
                Issue.record("\(name) value \(i) (\(json.compactText)): \(error)")
            }
        }
    }

    @Test("writer-to-reader resolution agrees with fastavro", arguments: AvroGolden.resolutionCases)
    func resolutionAgreesWithFastavro(_ name: String) throws {
        let doc = try AvroGolden.load(name)
        let writer = try AvroGolden.schema(doc["writer"])
        let reader = try AvroGolden.schema(doc["reader"])
        let binary = try #require(doc["binary"]?.stringValue.flatMap(goldenBytes(hex:)))
        let expectedJSON = try #require(doc["resolved_json"])

        let written = try AvroBinaryCodec(schema: writer).decode(binary)
        let resolved = try AvroResolver(writer: writer, reader: reader).resolve(written)
        let expected = try AvroDefaults.value(fromJSON: expectedJSON, schema: reader.root, in: reader, taggedUnions: true)
        #expect(identical(resolved, expected), "\(name): resolved \(resolved), fastavro \(expected)")
        // The resolved value is a valid value of the reader schema.
        let reencoded = try AvroBinaryCodec(schema: reader).encode(resolved)
        #expect(identical(try AvroBinaryCodec(schema: reader).decode(reencoded), expected))
    }

    @Test("a Candle round-trips through Confluent framing")
    func candleThroughFraming() throws {
        let doc = try AvroGolden.load("candle")
        let schema = try AvroGolden.schema(doc["schema"])
        let codec = try AvroBinaryCodec(schema: schema)
        let entry = try #require(doc["values"]?.arrayValue?.last)
        let value = try AvroDefaults.value(fromJSON: try #require(entry["json"]), schema: schema.root, in: schema, taggedUnions: true)
        let framed = ConfluentFraming.frame(schemaID: 42, payload: try codec.encode(value))
        let (id, payload) = try ConfluentFraming.unframe(framed)
        #expect(id == 42)
        #expect(identical(try codec.decode(payload), value))
        // market_cap is the second union branch (double); open_time a plain long.
        guard case .record(let fields) = value else { Issue.record("not a record: \(value)"); return }
        #expect(fields[10] == .union(branch: 1, .double(366_000_000_000)))
        #expect(fields[4] == .long(0))
    }
}

// MARK: - The specification's canonical forms and fingerprints

extension AvroGoldenTests {
    /// A schema, its Parsing Canonical Form and its CRC-64-AVRO fingerprint as a Java `long`.
    struct SpecVector: Sendable, CustomTestStringConvertible {
        var input: String
        var canonical: String
        var fingerprint: Int64?
        var testDescription: String { input }
    }

    /// Vectors of Apache Avro's share/test/data/schema-tests.txt (the cross-language
    /// fingerprint tests), plus two for the [STRINGS] and [FULLNAMES] rules. Every
    /// canonical form and fingerprint here was also checked with fastavro. Vector 026
    /// has `"default": true` where the original's `"true"` is an invalid default.
    static let specVectors: [SpecVector] = [
        .init(input: #""null""#, canonical: #""null""#, fingerprint: 7_195_948_357_588_979_594),
        .init(input: #"{"type":"null"}"#, canonical: #""null""#),
        .init(input: #""boolean""#, canonical: #""boolean""#, fingerprint: -6_970_731_678_124_411_036),
        .init(input: #"{"type":"boolean"}"#, canonical: #""boolean""#),
        .init(input: #""int""#, canonical: #""int""#, fingerprint: 8_247_732_601_305_521_295),
        .init(input: #"{"type":"int"}"#, canonical: #""int""#),
        .init(input: #""long""#, canonical: #""long""#, fingerprint: -3_434_872_931_120_570_953),
        .init(input: #"{"type":"long"}"#, canonical: #""long""#),
        .init(input: #""float""#, canonical: #""float""#, fingerprint: 5_583_340_709_985_441_680),
        .init(input: #"{"type":"float"}"#, canonical: #""float""#),
        .init(input: #""double""#, canonical: #""double""#, fingerprint: -8_181_574_048_448_539_266),
        .init(input: #"{"type":"double"}"#, canonical: #""double""#),
        .init(input: #""bytes""#, canonical: #""bytes""#, fingerprint: 5_746_618_253_357_095_269),
        .init(input: #"{"type":"bytes"}"#, canonical: #""bytes""#),
        .init(input: #""string""#, canonical: #""string""#, fingerprint: -8_142_146_995_180_207_161),
        .init(input: #"{"type":"string"}"#, canonical: #""string""#),
        .init(input: "[  ]", canonical: "[]", fingerprint: -1_241_056_759_729_112_623),
        .init(input: #"[ "int"  ]"#, canonical: #"["int"]"#, fingerprint: -5_232_228_896_498_058_493),
        .init(input: #"[ "int" , {"type":"boolean"} ]"#, canonical: #"["int","boolean"]"#, fingerprint: 5_392_556_393_470_105_090),
        .init(input: #"{"fields":[], "type":"record", "name":"foo"}"#,
              canonical: #"{"name":"foo","type":"record","fields":[]}"#, fingerprint: -4_824_392_279_771_201_922),
        .init(input: #"{"fields":[], "type":"record", "name":"foo", "namespace":"x.y"}"#,
              canonical: #"{"name":"x.y.foo","type":"record","fields":[]}"#, fingerprint: 5_916_914_534_497_305_771),
        .init(input: #"{"fields":[], "type":"record", "name":"a.b.foo", "namespace":"x.y"}"#,
              canonical: #"{"name":"a.b.foo","type":"record","fields":[]}"#, fingerprint: -4_616_218_487_480_524_110),
        .init(input: #"{"fields":[], "type":"record", "name":"foo", "doc":"Useful info"}"#,
              canonical: #"{"name":"foo","type":"record","fields":[]}"#, fingerprint: -4_824_392_279_771_201_922),
        .init(input: #"{"fields":[], "type":"record", "name":"foo", "aliases":["foo","bar"]}"#,
              canonical: #"{"name":"foo","type":"record","fields":[]}"#, fingerprint: -4_824_392_279_771_201_922),
        .init(input: #"{"fields":[{"type":{"type":"boolean"}, "name":"f1"}], "type":"record", "name":"foo"}"#,
              canonical: #"{"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"}]}"#,
              fingerprint: 7_843_277_075_252_814_651),
        .init(input: """
              { "fields":[{"type":"boolean", "aliases":[], "name":"f1", "default":true},
                          {"order":"descending","name":"f2","doc":"Hello","type":"int"}],
                "type":"record", "name":"foo"
              }
              """,
              canonical: #"{"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"},{"name":"f2","type":"int"}]}"#,
              fingerprint: -4_860_222_112_080_293_046),
        .init(input: #"{"type":"enum", "name":"foo", "symbols":["A1"]}"#,
              canonical: #"{"name":"foo","type":"enum","symbols":["A1"]}"#, fingerprint: -6_342_190_197_741_309_591),
        .init(input: #"{"namespace":"x.y.z", "type":"enum", "name":"foo", "doc":"foo bar", "symbols":["A1", "A2"]}"#,
              canonical: #"{"name":"x.y.z.foo","type":"enum","symbols":["A1","A2"]}"#, fingerprint: -4_448_647_247_586_288_245),
        .init(input: #"{"name":"foo","type":"fixed","size":15}"#,
              canonical: #"{"name":"foo","type":"fixed","size":15}"#, fingerprint: 1_756_455_273_707_447_556),
        .init(input: #"{"namespace":"x.y.z", "type":"fixed", "name":"foo", "doc":"foo bar", "size":32}"#,
              canonical: #"{"name":"x.y.z.foo","type":"fixed","size":32}"#, fingerprint: -3_064_184_465_700_546_786),
        .init(input: #"{ "items":{"type":"null"}, "type":"array"}"#,
              canonical: #"{"type":"array","items":"null"}"#, fingerprint: -589_620_603_366_471_059),
        .init(input: #"{ "values":"string", "type":"map"}"#,
              canonical: #"{"type":"map","values":"string"}"#, fingerprint: -8_732_877_298_790_414_990),
        .init(input: #"{"name":"PigValue","type":"record", "fields":[{"name":"value", "type":["null", "int", "long", "PigValue"]}]}"#,
              canonical: #"{"name":"PigValue","type":"record","fields":[{"name":"value","type":["null","int","long","PigValue"]}]}"#,
              fingerprint: -1_759_257_747_318_642_341),
        // [STRINGS]: escapes are replaced by the characters they stand for.
        .init(input: #"{"type":"\u0069nt"}"#, canonical: #""int""#),
        // [FULLNAMES]: nested names inherit the enclosing namespace; references become full names.
        .init(input: #"{"type":"record","name":"R","namespace":"x.y","fields":[{"name":"e","type":{"type":"enum","name":"E","symbols":["A"]}},{"name":"f","type":{"type":"fixed","name":"F","namespace":"q","size":2}},{"name":"g","type":"E"},{"name":"h","type":"q.F"}]}"#,
              canonical: #"{"name":"x.y.R","type":"record","fields":[{"name":"e","type":{"name":"x.y.E","type":"enum","symbols":["A"]}},{"name":"f","type":{"name":"q.F","type":"fixed","size":2}},{"name":"g","type":"x.y.E"},{"name":"h","type":"q.F"}]}"#),
    ]

    @Test("the specification's canonical forms and fingerprints", arguments: specVectors)
    func specificationVector(_ vector: SpecVector) throws {
        let schema = try AvroParsedSchema(parsing: vector.input)
        #expect(schema.canonicalForm == vector.canonical)
        if let fingerprint = vector.fingerprint {
            #expect(Int64(bitPattern: schema.fingerprint) == fingerprint)
        }
        // The fingerprint depends only on the canonical form.
        #expect(schema.fingerprint == AvroFingerprint.crc64(Array(vector.canonical.utf8)))
    }

    @Test("CRC-64-AVRO of no bytes is the algorithm's empty value")
    func emptyFingerprint() {
        #expect(AvroFingerprint.crc64([]) == 0xC15D_213A_A4D7_A795)
    }
}

// MARK: - Confluent framing

extension AvroGoldenTests {
    @Suite("Confluent framing")
    struct Framing {
        @Test("frame writes magic byte and big-endian id; unframe reverses it")
        func roundTrip() throws {
            let payload: [UInt8] = [0x02, 0x61, 0xFF]
            let framed = ConfluentFraming.frame(schemaID: 0x0102_0304, payload: payload)
            #expect(framed == [0x00, 0x01, 0x02, 0x03, 0x04, 0x02, 0x61, 0xFF])
            let (id, rest) = try ConfluentFraming.unframe(framed)
            #expect(id == 0x0102_0304)
            #expect(Array(rest) == payload)
        }

        @Test("every schema id survives the round trip", arguments: [Int32.min, -1, 0, 1, 255, 256, Int32.max])
        func idRoundTrip(_ id: Int32) throws {
            let (back, rest) = try ConfluentFraming.unframe(ConfluentFraming.frame(schemaID: id, payload: []))
            #expect(back == id)
            #expect(rest.isEmpty)
        }

        @Test("a payload not starting with 0x00 is a wrong magic byte")
        func wrongMagicByte() {
            #expect(throws: ConfluentFraming.FramingError.wrongMagicByte(0x01)) {
                try ConfluentFraming.unframe([0x01, 0, 0, 0, 1, 0x02])
            }
            // Even when short: a JSON payload is not a truncated Avro one.
            #expect(throws: ConfluentFraming.FramingError.wrongMagicByte(0x7B)) {
                try ConfluentFraming.unframe(Array("{}".utf8))
            }
        }

        @Test("fewer than 5 bytes is truncated, distinct from a wrong magic byte")
        func truncated() {
            #expect(throws: ConfluentFraming.FramingError.truncated(length: 0)) { try ConfluentFraming.unframe([]) }
            #expect(throws: ConfluentFraming.FramingError.truncated(length: 4)) { try ConfluentFraming.unframe([0, 0, 0, 1]) }
            let truncated = ConfluentFraming.FramingError.truncated(length: 3)
            let wrong = ConfluentFraming.FramingError.wrongMagicByte(3)
            #expect(truncated != wrong)
            #expect(truncated.description.contains("shorter than the 5-byte"))
            #expect(wrong.description.contains("magic byte 0x3"))
        }
    }
}

// MARK: - Schema parse errors

extension AvroGoldenTests {
    /// A schema that must be rejected, a fragment of the expected message, and the expected path.
    struct BadSchema: Sendable, CustomTestStringConvertible {
        var what: String
        var text: String
        var maxDepth = 64
        var message: String
        var path: String
        var testDescription: String { what }
    }

    static let nestedArrays: String = {
        var text = #""int""#
        for _ in 0..<10 { text = #"{"type":"array","items":\#(text)}"# }
        return text
    }()

    static let badSchemas: [BadSchema] = [
        .init(what: "unknown type name",
              text: #"{"type":"record","name":"R","fields":[{"name":"a","type":"Missing"}]}"#,
              message: #"unknown type name "Missing""#, path: "/fields/0/type"),
        .init(what: "unknown type name in a union",
              text: #"{"type":"record","name":"R","fields":[{"name":"a","type":["null","Nope"]}]}"#,
              message: #"unknown type name "Nope""#, path: "/fields/0/type/1"),
        .init(what: "duplicate field name",
              text: #"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"a","type":"long"}]}"#,
              message: #"duplicate field name "a""#, path: "/fields/1/name"),
        .init(what: "invalid record name",
              text: #"{"type":"record","name":"9lives","fields":[]}"#,
              message: #"invalid name "9lives""#, path: "/name"),
        .init(what: "invalid field name",
              text: #"{"type":"record","name":"R","fields":[{"name":"bad-name","type":"int"}]}"#,
              message: #"invalid field name "bad-name""#, path: "/fields/0/name"),
        .init(what: "default of the wrong type",
              text: #"{"type":"record","name":"R","fields":[{"name":"n","type":"int","default":"seven"}]}"#,
              message: #"default value "seven" of field "n" is invalid"#, path: "/fields/0/default"),
        .init(what: "union default not of the first branch",
              text: #"{"type":"record","name":"R","fields":[{"name":"m","type":["null","double"],"default":1.5}]}"#,
              message: #"default value 1.5 of field "m" is invalid"#, path: "/fields/0/default"),
        .init(what: "nesting deeper than maxDepth",
              text: nestedArrays, maxDepth: 5,
              message: "nested deeper than 5 levels", path: String(repeating: "/items", count: 6)),
        .init(what: "malformed JSON",
              text: #"{"type": "record", "name": }"#,
              message: "malformed JSON", path: ""),
        .init(what: "nesting too deep even to read as JSON",
              text: String(repeating: "[", count: 100_000),
              message: "nesting deeper than", path: ""),
    ]

    @Test("invalid schemas are rejected with a meaningful message and path", arguments: badSchemas)
    func parseError(_ bad: BadSchema) throws {
        do {
            let schema = try AvroParsedSchema(parsing: bad.text, maxDepth: bad.maxDepth)
            Issue.record("accepted: \(schema.canonicalForm)")
        } catch let error as AvroSchemaError {
            #expect(error.message.contains(bad.message), "message: \(error.message)")
            #expect(error.path == bad.path)
            #expect(error.description.contains("at \(bad.path.isEmpty ? "/" : bad.path):"))
        }
    }

    @Test("malformed JSON reports where parsing stopped")
    func malformedJSONOffset() throws {
        let error = try #require(throws: AvroSchemaError.self) {
            try AvroParsedSchema(parsing: #"{"type": "record", "name": }"#)
        }
        #expect(error.message.contains("(byte 27)"), "message: \(error.message)")
    }
}

// MARK: - Cases avro-c needs help with

extension AvroGoldenTests {
    /// fastavro and Java both write an error type's canonical form with `"type":"record"`
    /// (Java: `Schema.Type.RECORD.getName()`); values checked with fastavro.
    @Test("an error type's canonical form says \"record\"")
    func errorTypeCanonicalForm() throws {
        let schema = try AvroParsedSchema(parsing: #"{"type":"error","name":"Err","fields":[{"name":"m","type":"string"}]}"#)
        #expect(schema.canonicalForm == #"{"name":"Err","type":"record","fields":[{"name":"m","type":"string"}]}"#)
        #expect(goldenFingerprintHex(schema.fingerprint) == "9cd99514ad5558de")
        let codec = try AvroBinaryCodec(schema: schema)
        #expect(try codec.encode(.record([.string("x")])) == [0x02, 0x78])
    }

    /// A zero-size fixed encodes as no bytes; fastavro writes and reads it.
    @Test("a zero-size fixed decodes")
    func zeroSizeFixed() throws {
        let schema = try AvroParsedSchema(parsing: #"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"z","type":{"type":"fixed","name":"Z","size":0}}]}"#)
        let codec = try AvroBinaryCodec(schema: schema)
        let value = AvroValue.record([.int(1), .fixed([])])
        #expect(try codec.encode(value) == [0x02])
        let decoded = try codec.decode([0x02])
        #expect(decoded == value)
    }
}
