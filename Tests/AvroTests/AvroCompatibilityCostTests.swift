import Avro
import Testing

@Suite("Compatibility cost", .timeLimit(.minutes(1)))
struct AvroCompatibilityCostTests {
    /// Record L0 has two fields of type L1, L1 two of L2, …: 2^depth paths through one type per level.
    func lattice(depth: Int, extraField: Bool) throws -> AvroParsedSchema {
        var types: [String] = []
        for level in stride(from: depth, through: 0, by: -1) {
            let fields = level == depth
                ? #"{"name":"v","type":"long"}"# + (extraField ? #",{"name":"w","type":"int"}"# : "")
                : #"{"name":"a","type":"L\#(level + 1)"},{"name":"b","type":"L\#(level + 1)"}"#
            types.append(#"{"type":"record","name":"L\#(level)","fields":[\#(fields)]}"#)
        }
        // A union defines the deepest first; each later record refers to the one before by name.
        let json = "[" + types.joined(separator: ",") + "]"
        let parsed = try AvroParsedSchema(parsing: json)
        return try AvroParsedSchema(parsing: #""L0""#, predefined: parsed.namedTypes)
    }

    @Test func aTypeRepeatedAtEveryLevelIsCheckedOnce() throws {
        let old = try lattice(depth: 40, extraField: false)
        let new = try lattice(depth: 40, extraField: true)
        // 2^40 paths: finishing at all shows each record pair is checked once.
        let issues = AvroCompatibility.incompatibilities(reader: new, writer: old)
        #expect(!issues.isEmpty && issues.count <= 41, "the missing default is reported, once per level at most (\(issues.count))")
        #expect(issues.first?.kind == .readerFieldMissingDefaultValue)
        #expect(AvroCompatibility.incompatibilities(reader: old, writer: new).isEmpty)
    }
}
