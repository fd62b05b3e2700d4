import Foundation
import Testing
@testable import Avro

/// Bytes from hex digits (test data only: traps on malformed hex).
private func bytes(hex: String) -> [UInt8] {
    let digits = Array(hex.utf8)
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self), radix: 16)! }
}

/// The zig-zag varint encoding of a long, as Avro writes it.
private func varint(_ value: Int64) -> [UInt8] {
    var raw = UInt64(bitPattern: (value << 1) ^ (value >> 63))
    var out: [UInt8] = []
    while raw >= 0x80 {
        out.append(UInt8(raw & 0x7F) | 0x80)
        raw >>= 7
    }
    out.append(UInt8(raw))
    return out
}

private func schema(_ text: String) throws -> AvroParsedSchema {
    try AvroParsedSchema(parsing: text)
}

/// The golden files (see AvroGoldenTests.swift), read here only for their schemas and bytes.
private enum GoldenBytes {
    static var folder: URL? { Bundle.module.url(forResource: "Golden", withExtension: nil) }

    static let cases: [String] = {
        guard let folder, let files = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return [] }
        return files.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
    }()

    /// The schema each binary was written with, and the binaries.
    static func load(_ name: String) throws -> (schema: AvroParsedSchema, binaries: [[UInt8]]) {
        let folder = try #require(folder)
        let doc = try JSONValue(parsing: [UInt8](Data(contentsOf: folder.appendingPathComponent("\(name).json"))))
        if let writer = doc["writer"] {
            return (try schema(writer.compactText), [bytes(hex: try #require(doc["binary"]?.stringValue))])
        }
        let values = try #require(doc["values"]?.arrayValue)
        return (try schema(try #require(doc["schema"]).compactText), try values.map { bytes(hex: try #require($0["binary"]?.stringValue)) })
    }
}

@Suite("Corrupt Avro input is rejected before avro-c reads it")
struct AvroCorruptInputTests {
    static let candleValue = AvroValue.record([
        .string("binance"), .string("BTC"), .string("USDT"), .string("1m"), .long(1_714_564_800_000),
        .double(64000.5), .double(64100.25), .double(63950), .double(64050.75), .double(12.5),
        .union(branch: 1, .double(366_000_000_000)), .long(1_714_564_860_125),
    ])

    static func candleSchema() throws -> AvroParsedSchema {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try schema(String(contentsOf: root.appendingPathComponent("schemas/avro/Candle.avsc"), encoding: .utf8))
    }

    static let linkedList = #"{"type":"record","name":"Node","fields":[{"name":"value","type":"long"},{"name":"next","type":["null","Node"]}]}"#

    /// A linked list of `count` nodes: each a long 0, then union branch 1 (another node) or 0 (null).
    static func linkedListBytes(_ count: Int) -> [UInt8] {
        Array([[UInt8]](repeating: [0x00, 0x02], count: count - 1).joined()) + [0x00, 0x00]
    }

    // MARK: The four reported problems

    @Test("an array of 2^62 nulls is rejected by its count, not after avro-c allocates")
    func arrayOfTwoToTheSixtyTwoNulls() throws {
        let codec = try AvroBinaryCodec(schema: schema(#"{"type":"array","items":"null"}"#))
        let error = try #require(throws: AvroCodecError.self) { try codec.decode(bytes(hex: "8080808080808080800100")) }
        // The validator's kind and message: avro-c never saw the bytes.
        #expect(error.kind == .tooManyZeroSizeElements)
        #expect(error.message.contains("array block count 4611686018427387904"), "\(error.message)")
        #expect(error.message.contains("limit of 1000000"), "\(error.message)")
        #expect(error.message.hasSuffix("at / (byte 0)"), "\(error.message)")
        #expect(try codec.decode([0x06, 0x00]) == .array([.null, .null, .null]))
    }

    @Test("the zero-size item limit counts every block of a value and is a parameter")
    func zeroSizeLimitIsPerValue() throws {
        let parsed = try schema(#"{"type":"array","items":{"type":"record","name":"Empty","fields":[{"name":"z","type":{"type":"fixed","name":"Z","size":0}}]}}"#)
        let validator = AvroBinaryValidator(schema: parsed, maxZeroSizeElements: 3)
        #expect(try validator.validate([0x06, 0x00]) == 2)
        let error = try #require(throws: AvroCodecError.self) { try validator.validate([0x04, 0x04, 0x00]) }
        #expect(error.kind == .tooManyZeroSizeElements)
        #expect(error.message.contains("(2 already seen)"), "\(error.message)")
        #expect(error.message.hasSuffix("(byte 1)"), "\(error.message)")

        let defaults = AvroBinaryValidator(schema: parsed)
        #expect(try defaults.validate(varint(1_000_000) + [0x00]) == 4)
        #expect(throws: AvroCodecError.self) { try defaults.validate(varint(1_000_001) + [0x00]) }
    }

    @Test("a map of 2^62 null values cannot fit its keys in the bytes left")
    func mapOfTwoToTheSixtyTwoNulls() throws {
        let codec = try AvroBinaryCodec(schema: schema(#"{"type":"map","values":"null"}"#))
        let error = try #require(throws: AvroCodecError.self) { try codec.decode(bytes(hex: "8080808080808080800100")) }
        #expect(error.kind == .invalidBlockCount)
        #expect(error.message.contains("map block count 4611686018427387904 needs at least 4611686018427387904 bytes but only 1 are left"), "\(error.message)")
    }

    @Test("an array whose items cannot fit is rejected by count times least item size")
    func arrayCountBeyondTheBytesLeft() throws {
        let validator = AvroBinaryValidator(schema: try schema(#"{"type":"array","items":"double"}"#))
        // Three doubles need 24 bytes; 16 are there.
        let error = try #require(throws: AvroCodecError.self) { try validator.validate([0x06] + [UInt8](repeating: 0, count: 16) + [0x00]) }
        #expect(error.kind == .invalidBlockCount)
        #expect(error.message.contains("needs at least 24 bytes but only 17 are left"), "\(error.message)")
    }

    @Test("a 500 MB string or bytes length is checked against the input", arguments: ["string", "bytes"])
    func hugeLengthPrefix(_ type: String) throws {
        let codec = try AvroBinaryCodec(schema: schema(#""\#(type)""#))
        let error = try #require(throws: AvroCodecError.self) { try codec.decode(varint(500_000_000) + Array("abc".utf8)) }
        #expect(error.kind == .invalidLength)
        #expect(error.message.contains("\(type) length 500000000 exceeds the 3 bytes left"), "\(error.message)")
        let negative = try #require(throws: AvroCodecError.self) { try codec.decode(varint(-1) + Array("abc".utf8)) }
        #expect(negative.kind == .invalidLength)
        #expect(negative.message.contains("-1 is negative"), "\(negative.message)")
    }

    @Test("trailing bytes after a whole value are rejected; a prefix may be decoded on request")
    func trailingBytesAfterAnInt() throws {
        let codec = try AvroBinaryCodec(schema: schema(#""int""#))
        let error = try #require(throws: AvroCodecError.self) { try codec.decode(bytes(hex: "0200")) }
        #expect(error.kind == .trailingBytes)
        #expect(error.message == "1 trailing byte after the value (byte 1)")
        #expect(try codec.decode(bytes(hex: "0200"), wholeValue: false) == .int(1))
        #expect(try AvroBinaryValidator(schema: codec.schema).validate(bytes(hex: "020000"), wholeValue: false) == 1)
        // A collection without contiguous storage goes through the same checks.
        let reversed: ReversedCollection<[UInt8]> = [0x00, 0x02].reversed()
        #expect(throws: AvroCodecError.self) { try codec.decode(reversed) }
    }

    @Test("invalid UTF-8 in a string is rejected, not replaced by U+FFFD")
    func invalidUTF8InAString() throws {
        let codec = try AvroBinaryCodec(schema: schema(#""string""#))
        let error = try #require(throws: AvroCodecError.self) { try codec.decode([0x04, 0xC3, 0x28]) }
        #expect(error.kind == .invalidUTF8)
        #expect(error.message.contains("invalid UTF-8 in the string"), "\(error.message)")
        #expect(error.message.hasSuffix("at / (byte 1)"), "\(error.message)")
        #expect(try codec.decode([0x04, 0xC3, 0xA9]) == .string("é"))
    }

    @Test("invalid UTF-8 in a map key is rejected")
    func invalidUTF8InAMapKey() throws {
        let codec = try AvroBinaryCodec(schema: schema(#"{"type":"map","values":"int"}"#))
        let error = try #require(throws: AvroCodecError.self) { try codec.decode([0x02, 0x04, 0xC3, 0x28, 0x02, 0x00]) }
        #expect(error.kind == .invalidUTF8)
        #expect(error.message.contains("the key of map entry 0"), "\(error.message)")
        #expect(error.message.hasSuffix("(byte 2)"), "\(error.message)")
    }

    /// Seen while fuzzing the decoder: avro-c keeps map keys as C strings, so `{"a\0x": 1, "a\0y": 2}`
    /// decoded as `{"a": 2}` and a key with a NUL was encoded cut short.
    @Test("a NUL byte in a map key is rejected, not cut short")
    func nulInAMapKey() throws {
        let codec = try AvroBinaryCodec(schema: schema(#"{"type":"map","values":"int"}"#))
        let error = try #require(throws: AvroCodecError.self) { try codec.decode([0x02, 0x04, 0x61, 0x00, 0x02, 0x00]) }
        #expect(error.kind == .nulInMapKey)
        #expect(error.message.contains("the key of map entry 0 has a NUL byte"), "\(error.message)")
        #expect(error.message.hasSuffix("(byte 3)"), "\(error.message)")
        let encodeError = try #require(throws: AvroCodecError.self) { try codec.encode(.map(["a\u{0}b": .int(1)])) }
        #expect(encodeError.kind == .nulInMapKey)
        #expect(try codec.decode([0x02, 0x04, 0x61, 0x62, 0x02, 0x00]) == .map(["ab": .int(1)]))
    }

    // MARK: Valid input still decodes

    @Test("a Candle of schemas/avro/Candle.avsc round-trips, and the validator consumes all of it")
    func candleRoundTrip() throws {
        let parsed = try Self.candleSchema()
        let codec = try AvroBinaryCodec(schema: parsed)
        let encoded = try codec.encode(Self.candleValue)
        #expect(try codec.decode(encoded) == Self.candleValue)
        #expect(try AvroBinaryValidator(schema: parsed).validate(encoded) == encoded.count)
        #expect(try codec.decode(encoded[...]) == Self.candleValue)
    }

    @Test("a Candle followed by one extra byte: rejected whole, accepted as a prefix")
    func candleWithAnExtraByte() throws {
        let codec = try AvroBinaryCodec(schema: Self.candleSchema())
        let encoded = try codec.encode(Self.candleValue)
        let error = try #require(throws: AvroCodecError.self) { try codec.decode(encoded + [0x00]) }
        #expect(error.kind == .trailingBytes)
        #expect(error.message == "1 trailing byte after the value (byte \(encoded.count))")
        #expect(try codec.decode(encoded + [0x00], wholeValue: false) == Self.candleValue)
        #expect(try AvroBinaryValidator(schema: codec.schema).validate(encoded + [0x00], wholeValue: false) == encoded.count)
    }

    @Test("every truncation of a Candle is rejected by the validator, naming a path")
    func truncatedCandles() throws {
        let codec = try AvroBinaryCodec(schema: Self.candleSchema())
        let encoded = try codec.encode(Self.candleValue)
        for cut in 0..<encoded.count {
            let error = try #require(throws: AvroCodecError.self) { try codec.decode(encoded[0..<cut]) }
            #expect(error.kind == .truncated || error.kind == .invalidLength, "cut \(cut): \(error.message)")
            #expect(error.message.contains("at /fields/"), "cut \(cut): \(error.message)")
        }
        #expect(try codec.decode(encoded) == Self.candleValue)
    }

    @Test("the golden encodings are accepted whole", arguments: GoldenBytes.cases)
    func goldenBytesAreValid(_ name: String) throws {
        let (parsed, binaries) = try GoldenBytes.load(name)
        let validator = AvroBinaryValidator(schema: parsed)
        #expect(!binaries.isEmpty)
        for (i, binary) in binaries.enumerated() {
            #expect(try validator.validate(binary) == binary.count, "\(name) value \(i)")
        }
    }

    // MARK: Blocks

    @Test("a negative block count's byte size is checked")
    func negativeBlockCounts() throws {
        let codec = try AvroBinaryCodec(schema: schema(#"{"type":"array","items":"long"}"#))
        // Count -2 with its true size, 2 bytes: longs 1 and 2.
        #expect(try codec.decode([0x03, 0x04, 0x02, 0x04, 0x00]) == .array([.long(1), .long(2)]))

        let beyond = try #require(throws: AvroCodecError.self) { try codec.decode([0x03] + varint(100) + [0x02, 0x04, 0x00]) }
        #expect(beyond.kind == .invalidBlockSize)
        #expect(beyond.message.contains("array block size 100 exceeds the 3 bytes left"), "\(beyond.message)")

        let negative = try #require(throws: AvroCodecError.self) { try codec.decode([0x03, 0x01, 0x02, 0x04, 0x00]) }
        #expect(negative.kind == .invalidBlockSize)
        #expect(negative.message.contains("array block size -1 is negative"), "\(negative.message)")

        let wrong = try #require(throws: AvroCodecError.self) { try codec.decode([0x03, 0x0A, 0x02, 0x04, 0x00, 0x00, 0x00]) }
        #expect(wrong.kind == .invalidBlockSize)
        #expect(wrong.message.contains("array block size 5 does not match the 2 bytes its 2 items take"), "\(wrong.message)")
        #expect(wrong.message.hasSuffix("(byte 1)"), "\(wrong.message)")

        let unnegatable = try #require(throws: AvroCodecError.self) { try codec.decode(varint(.min) + [0x00, 0x00]) }
        #expect(unnegatable.kind == .invalidBlockCount)
        #expect(unnegatable.message.contains("cannot be negated"), "\(unnegatable.message)")
    }

    // MARK: Recursion

    @Test("a recursive linked list deeper than maxDepth is rejected")
    func deepRecursion() throws {
        let parsed = try schema(Self.linkedList)
        let shallow = AvroBinaryValidator(schema: parsed, maxDepth: 8)
        #expect(try shallow.validate(Self.linkedListBytes(8)) == 16)
        let error = try #require(throws: AvroCodecError.self) { try shallow.validate(Self.linkedListBytes(9)) }
        #expect(error.kind == .tooDeep)
        #expect(error.message.contains("nested deeper than 8 levels"), "\(error.message)")
        #expect(error.message.contains("at " + String(repeating: "/fields/next", count: 8) + " (byte 16)"), "\(error.message)")

        #expect(try AvroBinaryValidator(schema: parsed).validate(Self.linkedListBytes(512)) == 1024)
        // The walk does not recurse: a raised limit costs no thread stack.
        #expect(try AvroBinaryValidator(schema: parsed, maxDepth: 100_000).validate(Self.linkedListBytes(100_000)) == 200_000)
        let codec = try AvroBinaryCodec(schema: parsed)
        let deep = try #require(throws: AvroCodecError.self) { try codec.decode(Self.linkedListBytes(600)) }
        #expect(deep.kind == .tooDeep)
        #expect(deep.message.contains("nested deeper than 512 levels"), "\(deep.message)")
        // Deep paths are shortened in the message.
        #expect(deep.message.contains("more)…"), "\(deep.message)")
        #expect(deep.message.count < 400)
    }

    // MARK: Indexes, booleans, numbers

    @Test("union branch index 7 of a two-branch union is rejected, with the field's path")
    func unionIndexOutOfRange() throws {
        let codec = try AvroBinaryCodec(schema: schema(#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"m","type":["null","long"]}]}"#))
        let error = try #require(throws: AvroCodecError.self) { try codec.decode([0x02, 0x0E, 0x00]) }
        #expect(error.kind == .unionIndexOutOfRange)
        #expect(error.message == "union branch index 7 is out of range for a union of 2 branches at /fields/m (byte 1)")
        let negative = try #require(throws: AvroCodecError.self) { try codec.decode([0x02, 0x01]) }
        #expect(negative.kind == .unionIndexOutOfRange)
        #expect(try codec.decode([0x02, 0x02, 0x08]) == .record([.int(1), .union(branch: 1, .long(4))]))
    }

    @Test("an enum index out of range is rejected")
    func enumIndexOutOfRange() throws {
        let codec = try AvroBinaryCodec(schema: schema(#"{"type":"enum","name":"Side","symbols":["BUY","SELL"]}"#))
        let error = try #require(throws: AvroCodecError.self) { try codec.decode([0x04]) }
        #expect(error.kind == .enumIndexOutOfRange)
        #expect(error.message.contains("enum index 2 is out of range for an enum of 2 symbols"), "\(error.message)")
        #expect(try codec.decode([0x02]) == .enumSymbol("SELL"))
    }

    @Test("a boolean byte other than 0 or 1 is rejected")
    func invalidBoolean() throws {
        let codec = try AvroBinaryCodec(schema: schema(#"{"type":"array","items":"boolean"}"#))
        let error = try #require(throws: AvroCodecError.self) { try codec.decode([0x06, 0x01, 0x00, 0x02, 0x00]) }
        #expect(error.kind == .invalidBoolean)
        #expect(error.message == "boolean byte 0x2 is neither 0 nor 1 at /2 (byte 3)")
        #expect(try codec.decode([0x04, 0x01, 0x00, 0x00]) == .array([.boolean(true), .boolean(false)]))
    }

    @Test("overlong and overflowing varints and out-of-range ints are rejected")
    func malformedNumbers() throws {
        let long = try AvroBinaryCodec(schema: schema(#""long""#))
        let tooLong = try #require(throws: AvroCodecError.self) { try long.decode([UInt8](repeating: 0x80, count: 10) + [0x00]) }
        #expect(tooLong.kind == .malformedVarint)
        #expect(tooLong.message.contains("longer than 10 bytes"), "\(tooLong.message)")
        let overflow = try #require(throws: AvroCodecError.self) { try long.decode([UInt8](repeating: 0xFF, count: 9) + [0x02]) }
        #expect(overflow.kind == .malformedVarint)
        #expect(overflow.message.contains("overflows 64 bits"), "\(overflow.message)")
        for value in [Int64.min, -1, 0, 1, .max] {
            #expect(try long.decode(long.encode(.long(value))) == .long(value))
        }

        let int = try AvroBinaryCodec(schema: schema(#""int""#))
        let outOfRange = try #require(throws: AvroCodecError.self) { try int.decode(varint(1 << 31)) }
        #expect(outOfRange.kind == .intOutOfRange)
        #expect(outOfRange.message.contains("int 2147483648 is outside the range of an int"), "\(outOfRange.message)")
        let sixBytes = try #require(throws: AvroCodecError.self) { try int.decode([0x82, 0x80, 0x80, 0x80, 0x80, 0x00]) }
        #expect(sixBytes.kind == .malformedVarint)
        #expect(sixBytes.message.contains("longer than 5 bytes"), "\(sixBytes.message)")
        for value in [Int32.min, -1, 0, 1, .max] {
            #expect(try int.decode(int.encode(.int(value))) == .int(value))
        }
    }

    @Test("errors name the path of the value and the byte where it went wrong")
    func pathsAndOffsets() throws {
        let record = AvroBinaryValidator(schema: try schema(#"{"type":"record","name":"R","fields":[{"name":"open","type":"double"},{"name":"volume","type":"double"}]}"#))
        let truncated = try #require(throws: AvroCodecError.self) { try record.validate([UInt8](repeating: 0, count: 12)) }
        #expect(truncated.kind == .truncated)
        #expect(truncated.message == "the double needs 8 bytes but only 4 are left at /fields/volume (byte 8)")

        let array = AvroBinaryValidator(schema: try schema(#"{"type":"array","items":"string"}"#))
        let third = try #require(throws: AvroCodecError.self) {
            // Two blocks: "a", "b", "c", then a bad string at overall index 3.
            try array.validate([0x04, 0x02, 0x61, 0x02, 0x62, 0x04, 0x02, 0x63, 0x02, 0xFF, 0x00])
        }
        #expect(third.message == "invalid UTF-8 in the string: byte 0xff does not start a well-formed sequence at /3 (byte 9)")

        let map = AvroBinaryValidator(schema: try schema(#"{"type":"map","values":{"type":"array","items":"int"}}"#))
        let inMap = try #require(throws: AvroCodecError.self) { try map.validate([0x02, 0x06, 0x61, 0x2F, 0x7E, 0x02, 0x80, 0x80, 0x80, 0x80, 0x10]) }
        #expect(inMap.kind == .intOutOfRange)
        #expect(inMap.message.hasSuffix("at /a~1~0/0 (byte 6)"), "\(inMap.message)")
    }

    @Test("the UTF-8 check agrees with Swift's validating decoding")
    func utf8AgreesWithTheStandardLibrary() throws {
        let validator = AvroBinaryValidator(schema: try schema(#""string""#))
        func accepts(_ payload: [UInt8]) -> Bool { (try? validator.validate(varint(Int64(payload.count)) + payload)) != nil }
        let edges: [[UInt8]] = [
            [], [0x7F], [0xC2, 0x80], [0xC0, 0x80], [0xC1, 0xBF], [0xE0, 0xA0, 0x80], [0xE0, 0x9F, 0xBF],
            [0xED, 0x9F, 0xBF], [0xED, 0xA0, 0x80], [0xEF, 0xBF, 0xBF], [0xF0, 0x90, 0x80, 0x80], [0xF0, 0x8F, 0xBF, 0xBF],
            [0xF4, 0x8F, 0xBF, 0xBF], [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xFF], [0x80], [0xE2, 0x82],
            Array("price ₹ 😀".utf8),
        ]
        for payload in edges {
            #expect(accepts(payload) == (String(validating: payload, as: UTF8.self) != nil), "\(payload)")
        }
        // Pseudo-random sequences, weighted towards lead and continuation bytes.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        let interesting: [UInt8] = [0x41, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF]
        for _ in 0..<5000 {
            let length = Int(next() % 6)
            let payload = (0..<length).map { _ in next() % 4 == 0 ? UInt8(truncatingIfNeeded: next()) : interesting[Int(next() % UInt64(interesting.count))] }
            #expect(accepts(payload) == (String(validating: payload, as: UTF8.self) != nil), "\(payload)")
        }
    }

    @Test("the codec keeps decoding after rejecting corrupt input")
    func codecSurvivesRejections() throws {
        let codec = try AvroBinaryCodec(schema: Self.candleSchema())
        let encoded = try codec.encode(Self.candleValue)
        var corrupt = encoded
        corrupt[0] = 0x01
        for _ in 0..<3 {
            #expect(throws: AvroCodecError.self) { try codec.decode(corrupt) }
            #expect(try codec.decode(encoded) == Self.candleValue)
        }
    }
}
