import Testing
@testable import Avro

/// Reader aliases are full names: an alias without a namespace takes the reader's namespace,
/// so it matches a writer of that namespace only.
@Suite("Avro aliases resolve against the reader's namespace")
struct AvroAliasNamespaceTests {
    static let writerTwo = #"{"type":"record","name":"Alpha","namespace":"org.two","fields":[{"name":"a","type":"int"}]}"#
    static let writerOne = #"{"type":"record","name":"Alpha","namespace":"org.one","fields":[{"name":"a","type":"int"}]}"#
    /// Renamed to Beta, in namespace org.one, with the short alias `Alpha` (that is, org.one.Alpha).
    static let reader = #"{"type":"record","name":"Beta","namespace":"org.one","aliases":["Alpha"],"fields":[{"name":"a","type":"int"}]}"#

    func parse(_ text: String) throws -> AvroParsedSchema { try AvroParsedSchema(parsing: text) }

    @Test func aShortRecordAliasMatchesOnlyTheReadersNamespace() throws {
        let reader = try parse(Self.reader)
        let fromOtherNamespace = AvroCompatibility.incompatibilities(reader: reader, writer: try parse(Self.writerTwo))
        #expect(fromOtherNamespace.map(\.kind) == [.nameMismatch])
        #expect(AvroCompatibility.incompatibilities(reader: reader, writer: try parse(Self.writerOne)).isEmpty)
    }

    @Test func aQualifiedAliasNamesAnotherNamespace() throws {
        let reader = try parse(#"{"type":"record","name":"Beta","namespace":"org.one","aliases":["org.two.Alpha"],"fields":[{"name":"a","type":"int"}]}"#)
        #expect(AvroCompatibility.incompatibilities(reader: reader, writer: try parse(Self.writerTwo)).isEmpty)
        #expect(AvroCompatibility.incompatibilities(reader: reader, writer: try parse(Self.writerOne)).map(\.kind) == [.nameMismatch])
    }

    @Test func enumAndFixedAliasesToo() throws {
        let writerEnum = try parse(#"{"type":"enum","name":"Colour","namespace":"org.two","symbols":["RED"]}"#)
        let readerEnum = try parse(#"{"type":"enum","name":"Shade","namespace":"org.one","aliases":["Colour"],"symbols":["RED"]}"#)
        #expect(AvroCompatibility.incompatibilities(reader: readerEnum, writer: writerEnum).map(\.kind) == [.nameMismatch])
        let writerFixed = try parse(#"{"type":"fixed","name":"Hash","namespace":"org.two","size":4}"#)
        let readerFixed = try parse(#"{"type":"fixed","name":"Digest","namespace":"org.one","aliases":["Hash"],"size":4}"#)
        #expect(AvroCompatibility.incompatibilities(reader: readerFixed, writer: writerFixed).map(\.kind) == [.nameMismatch])
    }

    @Test func theResolverAppliesTheSameRule() throws {
        let value = AvroValue.record([.int(7)])
        let reader = try parse(Self.reader)
        #expect(throws: (any Error).self) { try AvroResolver(writer: try parse(Self.writerTwo), reader: reader).resolve(value) }
        #expect(try AvroResolver(writer: try parse(Self.writerOne), reader: reader).resolve(value) == value)
        // A union branch is chosen by the same rule: no branch matches the other namespace's record.
        let union = try parse(#"["null",\#(Self.reader)]"#)
        #expect(throws: (any Error).self) { try AvroResolver(writer: try parse(Self.writerTwo), reader: union).resolve(value) }
        #expect(try AvroResolver(writer: try parse(Self.writerOne), reader: union).resolve(value) == .union(branch: 1, value))
    }
}
