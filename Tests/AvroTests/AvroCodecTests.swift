import Foundation
import Testing
@testable import Avro

@Suite("Avro codec under concurrency and bad input")
struct AvroCodecTests {
    static let schema = try! AvroParsedSchema(parsing: #"{"type":"record","name":"R","fields":[{"name":"s","type":"string"},{"name":"xs","type":{"type":"array","items":"long"}},{"name":"m","type":["null",{"type":"map","values":"double"}]}]}"#)

    static func value(_ i: Int) -> AvroValue {
        .record([.string("row-\(i)-" + String(repeating: "x", count: i % 300)),
                 .array((0..<(i % 7)).map { .long(Int64($0 * i)) }),
                 i % 2 == 0 ? .union(branch: 0, .null) : .union(branch: 1, .map(["k\(i)": .double(Double(i) / 4)]))])
    }

    @Test func concurrentEncodeAndDecodeRoundTrip() async throws {
        let codec = try AvroBinaryCodec(schema: Self.schema)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for t in 0..<8 {
                group.addTask {
                    for i in (t * 200)..<(t * 200 + 200) {
                        let v = Self.value(i)
                        let roundTripped = try codec.decode(codec.encode(v))
                        #expect(roundTripped == v)
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    @Test func truncatedAndCorruptInputThrowsAndTheCodecKeepsWorking() throws {
        let codec = try AvroBinaryCodec(schema: Self.schema)
        let bytes = try codec.encode(Self.value(11))
        for cut in [0, 1, bytes.count / 2, bytes.count - 1] {
            #expect(throws: AvroCodecError.self) { try codec.decode(bytes[0..<cut]) }
        }
        // A string length far beyond the input.
        #expect(throws: AvroCodecError.self) { try codec.decode([0xFE, 0xFF, 0xFF, 0xFF, 0x0F]) }
        // A union branch out of range.
        #expect(throws: AvroCodecError.self) { try codec.decode([0x02, 0x61, 0x00, 0x08]) }
        #expect(try codec.decode(bytes) == Self.value(11))
    }

    @Test func valuesThatDoNotMatchTheSchemaAreRejected() throws {
        let codec = try AvroBinaryCodec(schema: Self.schema)
        #expect(throws: AvroCodecError.self) { try codec.encode(.string("not a record")) }
        #expect(throws: AvroCodecError.self) { try codec.encode(.record([.string("a")])) }
        #expect(throws: AvroCodecError.self) { try codec.encode(.record([.long(1), .array([]), .union(branch: 0, .null)])) }
        #expect(throws: AvroCodecError.self) { try codec.encode(.record([.string("a"), .array([]), .union(branch: 5, .null)])) }
    }

    /// Found by the avro-decoder fuzz target (Tests/FuzzCorpus/avro-decoder/everything): avro-c
    /// cannot append a record without fields to an array, so valid values failed to decode
    /// ("Couldn't expand array") and to encode.
    @Test func arraysOfRecordsWithoutFieldsRoundTrip() throws {
        let schema = try AvroParsedSchema(parsing: #"{"type":"record","name":"R","fields":[{"name":"units","type":{"type":"array","items":{"type":"record","name":"Unit","fields":[]}}},{"name":"more","type":{"type":"map","values":{"type":"array","items":["null","Unit"]}}}]}"#)
        let codec = try AvroBinaryCodec(schema: schema)
        // Three units, then a map {"k": [Unit, null]}.
        let bytes: [UInt8] = [0x06, 0x00, 0x02, 0x02, 0x6B, 0x04, 0x02, 0x00, 0x00, 0x00]
        let value = AvroValue.record([.array([.record([]), .record([]), .record([])]),
                                      .map(["k": .array([.union(branch: 1, .record([])), .union(branch: 0, .null)])])])
        #expect(try codec.decode(bytes) == value)
        #expect(try codec.encode(value) == bytes)
    }

    /// Found by the avro-schema fuzz target (Tests/FuzzCorpus/avro-schema/enum_without_symbols):
    /// avro-c refused schemas with an enum without symbols or a union without branches, so no
    /// record of such a writer could be decoded, not even one that never uses them.
    @Test func enumsWithoutSymbolsAndUnionsWithoutBranchesAreAccepted() throws {
        let schema = try AvroParsedSchema(parsing: #"{"type":"record","name":"R","fields":[{"name":"e","type":["null",{"type":"enum","name":"E","symbols":[]}]},{"name":"xs","type":{"type":"array","items":[]}}]}"#)
        let codec = try AvroBinaryCodec(schema: schema)
        let value = AvroValue.record([.union(branch: 0, .null), .array([])])
        #expect(try codec.decode([0x00, 0x00]) == value)
        #expect(try codec.encode(value) == [0x00, 0x00])
        #expect(throws: AvroCodecError.self) { try codec.decode([0x02, 0x00, 0x00]) }
        #expect(throws: AvroCodecError.self) { try codec.decode([0x00, 0x02, 0x00, 0x00]) }
        #expect(throws: AvroCodecError.self) { try codec.encode(.record([.union(branch: 1, .enumSymbol("_")), .array([])])) }
    }

    @Test func largeValuesGrowTheScratchBuffer() throws {
        let codec = try AvroBinaryCodec(schema: Self.schema)
        let big = AvroValue.record([.string(String(repeating: "y", count: 100_000)), .array((0..<5000).map { .long(Int64($0)) }), .union(branch: 0, .null)])
        #expect(try codec.decode(codec.encode(big)) == big)
    }
}
