import Avro
import Testing
@testable import SchemaRegistry
import SchemaRegistryModel

/// Schemas used across the registry tests.
enum Schemas {
    static func record(_ name: String = "Candle", fields: [String]) -> String {
        #"{"type":"record","name":"\#(name)","namespace":"io.pricepipeline","fields":[\#(fields.joined(separator: ","))]}"#
    }
    static let v1 = record(fields: [#"{"name":"source","type":"string"}"#])
    static let v2 = record(fields: [#"{"name":"source","type":"string"}"#, #"{"name":"volume","type":"double","default":0}"#])
    /// Not backward compatible with v1 (a field without default).
    static let incompatible = record(fields: [#"{"name":"source","type":"string"}"#, #"{"name":"quote","type":"string"}"#])
}

@Suite("Registry state: apply rules")
struct RegistryStateTests {
    func registered(_ outcome: RegistryOutcome) throws -> (id: Int, version: Int) {
        guard case .registered(let id, let version) = outcome else {
            Issue.record("expected a registration, got \(outcome)")
            throw RegistryError.storeError("test")
        }
        return (id, version)
    }

    func rejection(_ outcome: RegistryOutcome) -> RegistryError? {
        if case .rejected(let e) = outcome { return e }
        return nil
    }

    @Test func idsAndVersionsAreAssignedInLogOrder() throws {
        var state = RegistryState()
        #expect(try registered(state.apply(.register(RegisterCommand(subject: "a", schema: Schemas.v1)))) == (1, 1))
        #expect(try registered(state.apply(.register(RegisterCommand(subject: "a", schema: Schemas.v2)))) == (2, 2))
        // The same schema under another subject keeps its global id, version 1 there.
        #expect(try registered(state.apply(.register(RegisterCommand(subject: "b", schema: Schemas.v2)))) == (2, 1))
        #expect(state.nextID == 3)
    }

    @Test func registeringTheSameSchemaAgainIsIdempotent() throws {
        var state = RegistryState()
        _ = state.apply(.register(RegisterCommand(subject: "a", schema: Schemas.v1)))
        // Whitespace, key order and doc do not make a new version.
        let reordered = #"{ "namespace":"io.pricepipeline", "fields":[{"type":"string","name":"source","doc":"where"}], "name":"Candle", "type":"record", "doc":"a candle" }"#
        #expect(try registered(state.apply(.register(RegisterCommand(subject: "a", schema: reordered)))) == (1, 1))
        #expect(state.subjects["a"]?.count == 1)
        // A changed default does.
        let withDefault = Schemas.record(fields: [#"{"name":"source","type":"string","default":"x"}"#])
        #expect(try registered(state.apply(.register(RegisterCommand(subject: "a", schema: withDefault)))) == (2, 2))
    }

    @Test func incompatibleSchemasAreRejectedByLevel() throws {
        var state = RegistryState()
        _ = state.apply(.register(RegisterCommand(subject: "a", schema: Schemas.v1)))
        let e = rejection(state.apply(.register(RegisterCommand(subject: "a", schema: Schemas.incompatible))))
        #expect(e?.status == 409)
        #expect(e?.message.contains("READER_FIELD_MISSING_DEFAULT_VALUE") == true)
        _ = state.apply(.setCompatibility(subject: "a", level: .none))
        #expect(try registered(state.apply(.register(RegisterCommand(subject: "a", schema: Schemas.incompatible)))).version == 2)
        #expect(state.effectiveCompatibility(for: "a") == .none)
        #expect(state.effectiveCompatibility(for: "b") == .backward)
    }

    @Test func transitiveLevelsCheckEveryLiveVersion() throws {
        let string = Schemas.record(fields: [#"{"name":"a","type":"string"}"#])
        let int = Schemas.record(fields: [#"{"name":"a","type":"int"}"#])
        let long = Schemas.record(fields: [#"{"name":"a","type":"long"}"#])
        for (level, accepted) in [(CompatibilityLevel.backward, true), (.backwardTransitive, false)] {
            var state = RegistryState()
            _ = state.apply(.setCompatibility(subject: "a", level: .none))
            _ = state.apply(.register(RegisterCommand(subject: "a", schema: string)))
            _ = state.apply(.register(RegisterCommand(subject: "a", schema: int)))
            _ = state.apply(.setCompatibility(subject: "a", level: level))
            // long reads int (the latest) but not string (version 1).
            let outcome = state.apply(.register(RegisterCommand(subject: "a", schema: long)))
            #expect((rejection(outcome) == nil) == accepted, "\(level)")
            if !accepted { #expect(rejection(outcome)?.errorCode == 409) }
        }
    }

    @Test func invalidSchemasAreRejectedWith42201() {
        var state = RegistryState()
        let cases = [
            #"{"type":"record","name":"R","fields":[{"name":"a","type":"nope"}]}"#,
            #"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"a","type":"int"}]}"#,
            #"{"type":"record","name":"1R","fields":[]}"#,
            #"{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":"x"}]}"#,
            "not json",
        ]
        for schema in cases {
            let e = rejection(state.apply(.register(RegisterCommand(subject: "a", schema: schema))))
            #expect(e?.errorCode == 42201, "\(schema)")
        }
        #expect(rejection(state.apply(.register(RegisterCommand(subject: "a", schema: "\"int\"", schemaType: .protobuf))))?.errorCode == 42201)
        #expect(state.subjects.isEmpty)
    }

    @Test func configuredDepthLimitsAreTheAPIsNotTheLogs() throws {
        let deep = #"{"type":"array","items":{"type":"array","items":{"type":"array","items":{"type":"array","items":"int"}}}}"#
        let command = RegisterCommand(subject: "a", schema: deep)
        var state = RegistryState()
        // The API checks an instance's own limit before appending...
        #expect(throws: RegistryError.self) { try state.prepare(command, limits: SchemaLimits(maxDepth: 3)) }
        // ...but applying a record never depends on it: only on the log's fixed limit.
        #expect(try registered(state.apply(.register(command))) == (1, 1))
        let tooDeep = String(repeating: #"{"type":"array","items":"#, count: SchemaLimits.log.maxDepth + 1) + #""int""#
            + String(repeating: "}", count: SchemaLimits.log.maxDepth + 1)
        #expect(rejection(state.apply(.register(RegisterCommand(subject: "b", schema: tooDeep))))?.errorCode == 42201)
        let atTheLimit = String(repeating: #"{"type":"array","items":"#, count: SchemaLimits.log.maxDepth) + #""int""#
            + String(repeating: "}", count: SchemaLimits.log.maxDepth)
        #expect(try registered(state.apply(.register(RegisterCommand(subject: "c", schema: atTheLimit)))) == (2, 1))
    }

    @Test func softAndHardDeleteRules() throws {
        var state = RegistryState()
        _ = state.apply(.register(RegisterCommand(subject: "a", schema: Schemas.v1)))
        _ = state.apply(.register(RegisterCommand(subject: "a", schema: Schemas.v2)))
        // Hard delete needs a soft delete first.
        #expect(rejection(state.apply(.deleteVersion(subject: "a", version: 2, permanent: true)))?.errorCode == 40407)
        #expect(state.apply(.deleteVersion(subject: "a", version: 2, permanent: false)) == .deletedVersions([2]))
        #expect(rejection(state.apply(.deleteVersion(subject: "a", version: 2, permanent: false)))?.errorCode == 40406)
        #expect(try state.versions(of: "a", includeDeleted: false).map(\.version) == [1])
        #expect(try state.versions(of: "a", includeDeleted: true).map(\.version) == [1, 2])
        // A soft-deleted version's id still resolves.
        #expect(try state.schema(id: 2).id == 2)
        #expect(state.apply(.deleteVersion(subject: "a", version: 2, permanent: true)) == .deletedVersions([2]))
        #expect(throws: RegistryError.self) { try state.schema(id: 2) }

        #expect(rejection(state.apply(.deleteSubject(subject: "a", permanent: true)))?.errorCode == 40405)
        #expect(state.apply(.deleteSubject(subject: "a", permanent: false)) == .deletedVersions([1]))
        #expect(rejection(state.apply(.deleteSubject(subject: "a", permanent: false)))?.errorCode == 40404)
        #expect(state.subjectNames(includeDeleted: false).isEmpty)
        #expect(state.subjectNames(includeDeleted: true) == ["a"])
        #expect(try state.schema(id: 1).id == 1)
        #expect(state.apply(.deleteSubject(subject: "a", permanent: true)) == .deletedVersions([1]))
        #expect(state.subjectNames(includeDeleted: true).isEmpty)
        // Ids are never reused; a schema registered again gets its old id back.
        #expect(try registered(state.apply(.register(RegisterCommand(subject: "a", schema: Schemas.v1)))) == (1, 1))
        #expect(try registered(state.apply(.register(RegisterCommand(subject: "c", schema: Schemas.incompatible)))).id == 3)
    }

    @Test func reRegisteringASoftDeletedSchemaMakesANewVersionWithTheSameID() throws {
        var state = RegistryState()
        _ = state.apply(.register(RegisterCommand(subject: "a", schema: Schemas.v1)))
        _ = state.apply(.deleteSubject(subject: "a", permanent: false))
        #expect(try registered(state.apply(.register(RegisterCommand(subject: "a", schema: Schemas.v1)))) == (1, 2))
    }

    @Test func referencesResolveNamedTypesFromOtherSubjects() throws {
        var state = RegistryState()
        let money = #"{"type":"record","name":"Money","namespace":"io.pp","fields":[{"name":"amount","type":"double"}]}"#
        _ = state.apply(.register(RegisterCommand(subject: "money", schema: money)))
        let order = #"{"type":"record","name":"Order","namespace":"io.pp","fields":[{"name":"price","type":"io.pp.Money"}]}"#
        let ref = SchemaReference(name: "io.pp.Money", subject: "money", version: 1)
        #expect(rejection(state.apply(.register(RegisterCommand(subject: "order", schema: order))))?.errorCode == 42201)
        #expect(try registered(state.apply(.register(RegisterCommand(subject: "order", schema: order, references: [ref])))) == (2, 1))
        #expect(state.referencedBy(subject: "money", version: 1) == [2])
        #expect(rejection(state.apply(.deleteSubject(subject: "money", permanent: false)))?.errorCode == 42206)
        let bad = SchemaReference(name: "io.pp.Money", subject: "money", version: 7)
        #expect(rejection(state.apply(.register(RegisterCommand(subject: "order2", schema: order, references: [bad]))))?.errorCode == 42201)
    }

    @Test func readOnlyAndImportModes() throws {
        var state = RegistryState()
        _ = state.apply(.setMode(subject: nil, mode: .readOnly, force: false))
        #expect(rejection(state.apply(.register(RegisterCommand(subject: "a", schema: Schemas.v1))))?.errorCode == 42205)
        _ = state.apply(.setMode(subject: nil, mode: .import, force: false))
        // Import keeps the given id and version, and moves the id counter past it.
        #expect(try registered(state.apply(.register(RegisterCommand(subject: "a", schema: Schemas.v1, id: 100, version: 3)))) == (100, 3))
        // Another schema on a used id is Confluent's "Overwrite new schema with id 100 ... is not permitted" (42205).
        #expect(rejection(state.apply(.register(RegisterCommand(subject: "b", schema: Schemas.v2, id: 100))))?.errorCode == 42205)
        // The same schema under another id is 42207.
        #expect(rejection(state.apply(.register(RegisterCommand(subject: "b", schema: Schemas.v1, id: 7))))?.errorCode == 42207)
        _ = state.apply(.setMode(subject: nil, mode: .readWrite, force: false))
        #expect(rejection(state.apply(.register(RegisterCommand(subject: "a", schema: Schemas.v2, id: 5))))?.errorCode == 42205)
        #expect(try registered(state.apply(.register(RegisterCommand(subject: "a", schema: Schemas.v2)))) == (101, 4))
        // IMPORT on a non-empty registry needs force.
        #expect(rejection(state.apply(.setMode(subject: nil, mode: .import, force: false)))?.errorCode == 42205)
        #expect(state.apply(.setMode(subject: nil, mode: .import, force: true)) == .mode(.import))
    }

    @Test func configAndModeDeletion() {
        var state = RegistryState()
        // Confluent: deleting a subject level that is not there is 40401, whether or not the subject exists.
        #expect(rejection(state.apply(.deleteCompatibility(subject: "x")))?.errorCode == 40401)
        _ = state.apply(.register(RegisterCommand(subject: "x", schema: Schemas.v1)))
        #expect(rejection(state.apply(.deleteCompatibility(subject: "x")))?.errorCode == 40401)
        #expect(rejection(state.apply(.deleteMode(subject: "x")))?.errorCode == 40409)
        _ = state.apply(.setCompatibility(subject: "x", level: .full))
        #expect(state.apply(.deleteCompatibility(subject: "x")) == .compatibility(.full))
        _ = state.apply(.setCompatibility(subject: nil, level: .forwardTransitive))
        #expect(state.apply(.deleteCompatibility(subject: nil)) == .compatibility(.forwardTransitive))
        #expect(state.globalCompatibility == .backward)
    }

    @Test func normalizeStoresTheNormalizedText() throws {
        var state = RegistryState()
        let withDoc = #"{"type":"record","name":"R","doc":"d","fields":[{"name":"a","type":"int"}]}"#
        _ = state.apply(.register(RegisterCommand(subject: "a", schema: withDoc, normalize: true)))
        #expect(try state.schema(id: 1).text == #"{"name":"R","type":"record","fields":[{"name":"a","type":"int"}]}"#)
    }

    /// Found by the registry-request fuzz target (Tests/FuzzCorpus/registry-request/register_with_reference):
    /// the normalized text defined the referenced type again, so neither re-registering it nor
    /// parsing it with its references worked.
    @Test func normalizeNamesReferencedTypesInsteadOfDefiningThem() throws {
        var state = RegistryState()
        let money = #"{"type":"record","name":"Money","namespace":"io.pp","fields":[{"name":"amount","type":"double"}]}"#
        _ = state.apply(.register(RegisterCommand(subject: "money", schema: money)))
        let order = #"{"type":"record","name":"Order","namespace":"io.pp","doc":"d","fields":[{"name":"price","type":"Money"}]}"#
        let ref = SchemaReference(name: "io.pp.Money", subject: "money", version: 1)
        let first = try registered(state.apply(.register(RegisterCommand(subject: "order", schema: order, references: [ref], normalize: true))))
        let stored = try state.schema(id: first.id)
        #expect(stored.text == #"{"name":"io.pp.Order","type":"record","fields":[{"name":"price","type":"io.pp.Money"}]}"#)
        let again = RegisterCommand(subject: "order", schema: stored.text, references: stored.references, normalize: true)
        #expect(try registered(state.apply(.register(again))) == first)
    }

    @Test func theSameLogGivesTheSameState() {
        let commands: [RegistryCommand] = [
            .register(RegisterCommand(subject: "a", schema: Schemas.v1)),
            .register(RegisterCommand(subject: "b", schema: Schemas.v2)),
            .register(RegisterCommand(subject: "a", schema: Schemas.v2)),
            .setCompatibility(subject: "a", level: .none),
            .register(RegisterCommand(subject: "a", schema: Schemas.incompatible)),
            .deleteVersion(subject: "a", version: 1, permanent: false),
        ]
        var one = RegistryState(), two = RegistryState()
        for c in commands { _ = one.apply(c) }
        for c in commands { _ = two.apply(c) }
        #expect(one == two)
        _ = two.apply(.noop)
        #expect(one == two)
    }
}
