import Avro
import Foundation
import Testing
@testable import SchemaRegistry
import SchemaRegistryModel

/// Apply rules added with log format 2: ids are never reused, imports are validated,
/// references are bounded and parsed once, and deletes follow Confluent.
@Suite("Registry state: ids, imports, references, deletes", .timeLimit(.minutes(1)))
struct RegistryStateRulesTests {
    func registered(_ outcome: RegistryOutcome, sourceLocation: SourceLocation = #_sourceLocation) throws -> (id: Int, version: Int) {
        guard case .registered(let id, let version) = outcome else {
            Issue.record("expected a registration, got \(outcome)", sourceLocation: sourceLocation)
            throw RegistryError.storeError("test")
        }
        return (id, version)
    }

    func rejection(_ outcome: RegistryOutcome) -> RegistryError? {
        if case .rejected(let e) = outcome { return e }
        return nil
    }

    /// Soft- then hard-deletes every version of `subject`.
    func purge(_ subject: String, in state: inout RegistryState) {
        _ = state.apply(.deleteSubject(subject: subject, permanent: false))
        _ = state.apply(.deleteSubject(subject: subject, permanent: true))
    }

    // MARK: - Item 1: an id names one schema for ever

    @Test func aHardDeletedIDIsNeverGivenToAnotherSchema() throws {
        var state = RegistryState()
        #expect(try registered(state.apply(.register(RegisterCommand(subject: "a", schema: Schemas.v1)))) == (1, 1))
        purge("a", in: &state)
        #expect(throws: RegistryError.self) { try state.schema(id: 1) }
        _ = state.apply(.setMode(subject: nil, mode: .import, force: true))
        // Id 1 is free in `schemas` but was v1's: importing v2 onto it is Confluent's 42205.
        let refused = rejection(state.apply(.register(RegisterCommand(subject: "b", schema: Schemas.v2, id: 1))))
        #expect(refused?.errorCode == 42205)
        #expect(refused?.message.contains("Overwrite new schema with id 1") == true)
        // v1 itself may come back on its own id.
        #expect(try registered(state.apply(.register(RegisterCommand(subject: "c", schema: Schemas.v1, id: 1)))) == (1, 1))
        purge("c", in: &state)
        _ = state.apply(.setMode(subject: nil, mode: .readWrite, force: false))
        // Re-registering v1 gets id 1 back, with v1's text.
        #expect(try registered(state.apply(.register(RegisterCommand(subject: "d", schema: Schemas.v1)))).id == 1)
        #expect(try state.schema(id: 1).text == Schemas.v1)
        #expect(try registered(state.apply(.register(RegisterCommand(subject: "e", schema: Schemas.v2)))).id == 2)
    }

    @Test func importedIDsAreUsedIDsToo() throws {
        var state = RegistryState()
        _ = state.apply(.setMode(subject: nil, mode: .import, force: false))
        #expect(try registered(state.apply(.register(RegisterCommand(subject: "a", schema: Schemas.v1, id: 50, version: 1)))) == (50, 1))
        purge("a", in: &state)
        #expect(rejection(state.apply(.register(RegisterCommand(subject: "b", schema: Schemas.v2, id: 50))))?.errorCode == 42205)
        // A gap below the high-water mark is still importable.
        #expect(try registered(state.apply(.register(RegisterCommand(subject: "b", schema: Schemas.v2, id: 7)))) == (7, 1))
        _ = state.apply(.setMode(subject: nil, mode: .readWrite, force: false))
        #expect(state.nextID == 51)
        #expect(try registered(state.apply(.register(RegisterCommand(subject: "c", schema: Schemas.incompatible)))).id == 51)
        // Every id keeps its first schema: the hard-deleted import comes back as 50.
        #expect(try registered(state.apply(.register(RegisterCommand(subject: "d", schema: Schemas.v1)))).id == 50)
    }

    // MARK: - Item 3: imported ids and versions are in 1...2^31-1

    @Test func importedIDsAndVersionsOutOfRangeAreRefused() throws {
        var state = RegistryState()
        _ = state.apply(.setMode(subject: nil, mode: .import, force: false))
        for id in [0, -1, Int(Int32.max) + 1, Int.max] {
            #expect(rejection(state.apply(.register(RegisterCommand(subject: "a", schema: Schemas.v1, id: id))))?.errorCode == 42201, "id \(id)")
        }
        for version in [0, -3, Int(Int32.max) + 1] {
            #expect(rejection(state.apply(.register(RegisterCommand(subject: "a", schema: Schemas.v1, id: 3, version: version))))?.errorCode == 42202,
                    "version \(version)")
        }
        #expect(state.subjects.isEmpty)
        #expect(state.nextID == 1)
        let top = Int(Int32.max)
        #expect(try registered(state.apply(.register(RegisterCommand(subject: "a", schema: Schemas.v1, id: top, version: top)))) == (top, top))
        // Every id is now used: a new registration cannot get one.
        _ = state.apply(.setMode(subject: nil, mode: .readWrite, force: false))
        #expect(rejection(state.apply(.register(RegisterCommand(subject: "b", schema: Schemas.v2))))?.errorCode == 50001)
    }

    // MARK: - Item 7: IMPORT needs an id

    @Test func importModeRefusesARegistrationWithoutAnID() throws {
        var state = RegistryState()
        _ = state.apply(.setMode(subject: "imp", mode: .import, force: false))
        let refused = rejection(state.apply(.register(RegisterCommand(subject: "imp", schema: Schemas.v1))))
        #expect(refused?.errorCode == 42205)
        #expect(state.subjects["imp"] == nil)
        // Other subjects are not in IMPORT mode.
        #expect(try registered(state.apply(.register(RegisterCommand(subject: "other", schema: Schemas.v1)))) == (1, 1))
        // A format 1 record keeps the rule it was written under (a new id), so old logs replay alike.
        #expect(try registered(state.apply(.register(RegisterCommand(subject: "imp", schema: Schemas.v2)), formatVersion: 1)) == (2, 1))
    }

    // MARK: - Item 7: soft deletes of referenced versions

    static let money = #"{"type":"record","name":"Money","namespace":"io.pp","fields":[{"name":"amount","type":"double"}]}"#
    static let order = #"{"type":"record","name":"Order","namespace":"io.pp","fields":[{"name":"price","type":"io.pp.Money"}]}"#
    static let moneyRef = SchemaReference(name: "io.pp.Money", subject: "money", version: 1)

    func stateWithAReference() throws -> RegistryState {
        var state = RegistryState()
        _ = state.apply(.register(RegisterCommand(subject: "money", schema: Self.money)))
        #expect(try registered(state.apply(.register(RegisterCommand(subject: "order", schema: Self.order, references: [Self.moneyRef])))) == (2, 1))
        return state
    }

    @Test func aVersionWhoseReferrersAreAllSoftDeletedMaySoftDeleteButNotHardDelete() throws {
        var state = try stateWithAReference()
        #expect(rejection(state.apply(.deleteVersion(subject: "money", version: 1, permanent: false)))?.errorCode == 42206)
        #expect(state.apply(.deleteSubject(subject: "order", permanent: false)) == .deletedVersions([1]))
        #expect(state.apply(.deleteVersion(subject: "money", version: 1, permanent: false)) == .deletedVersions([1]))
        // The soft-deleted referrer still needs it: no hard delete until the referrer is gone for good.
        #expect(rejection(state.apply(.deleteVersion(subject: "money", version: 1, permanent: true)))?.errorCode == 42206)
        #expect(rejection(state.apply(.deleteSubject(subject: "money", permanent: true)))?.errorCode == 42206)
        #expect(state.apply(.deleteSubject(subject: "order", permanent: true)) == .deletedVersions([1]))
        #expect(state.apply(.deleteVersion(subject: "money", version: 1, permanent: true)) == .deletedVersions([1]))
    }

    @Test func aSubjectWhoseReferrersAreSoftDeletedMaySoftDelete() throws {
        var state = try stateWithAReference()
        #expect(rejection(state.apply(.deleteSubject(subject: "money", permanent: false)))?.errorCode == 42206)
        _ = state.apply(.deleteVersion(subject: "order", version: 1, permanent: false))
        #expect(state.apply(.deleteSubject(subject: "money", permanent: false)) == .deletedVersions([1]))
        #expect(rejection(state.apply(.deleteSubject(subject: "money", permanent: true)))?.errorCode == 42206)
    }

    @Test func formatOneRecordsKeepTheOldSoftDeleteRule() throws {
        var state = try stateWithAReference()
        _ = state.apply(.deleteSubject(subject: "order", permanent: false))
        #expect(rejection(state.apply(.deleteVersion(subject: "money", version: 1, permanent: false), formatVersion: 1))?.errorCode == 42206)
    }

    // MARK: - Item 4: references are parsed once, deduplicated and bounded

    /// Two subjects per level, each referencing both of the level below: a diamond lattice
    /// whose every schema reaches 2 x depth versions by 2^depth paths.
    @Test func aDiamondLatticeOfReferencesIsResolvedWithoutReparsing() throws {
        var state = RegistryState()
        let depth = 24
        func record(_ name: String, _ fields: [String]) -> String {
            #"{"type":"record","name":"\#(name)","namespace":"io.lattice","fields":[\#(fields.joined(separator: ","))]}"#
        }
        for side in ["A", "B"] {
            _ = try registered(state.apply(.register(RegisterCommand(subject: "\(side)0", schema: record("\(side)0", [#"{"name":"x","type":"int"}"#])))))
        }
        let clock = ContinuousClock()
        let start = clock.now
        for level in 1...depth {
            for side in ["A", "B"] {
                let below = ["A\(level - 1)", "B\(level - 1)"]
                let schema = record("\(side)\(level)", below.map { #"{"name":"f\#($0)","type":"io.lattice.\#($0)"}"# })
                let refs = below.map { SchemaReference(name: "io.lattice.\($0)", subject: $0, version: 1) }
                _ = try registered(state.apply(.register(RegisterCommand(subject: "\(side)\(level)", schema: schema, references: refs))))
            }
        }
        // A lookup at the top parses only the new schema.
        let top = RegisterCommand(subject: "A\(depth)", schema: record("A\(depth)", [#"{"name":"fA\#(depth - 1)","type":"io.lattice.A\#(depth - 1)"}"#,
                                                                                  #"{"name":"fB\#(depth - 1)","type":"io.lattice.B\#(depth - 1)"}"#]),
                                  references: ["A\(depth - 1)", "B\(depth - 1)"].map { SchemaReference(name: "io.lattice.\($0)", subject: $0, version: 1) })
        let prepared = try state.prepare(top)
        #expect(state.existingVersion(of: prepared, in: "A\(depth)") != nil)
        #expect(clock.now - start < .seconds(10), "resolving the lattice took \(clock.now - start)")
        #expect(prepared.resolved.referenceClosure.count == 2 * depth)
        #expect(prepared.resolved.referenceDepth == depth)
        #expect(try state.parsedSchema(id: 2 * depth + 2).namedTypes["io.lattice.B0"] != nil)
    }

    @Test func referenceChainsDeeperThan32AreRefused() throws {
        var state = RegistryState()
        func record(_ i: Int) -> String {
            let field = i == 0 ? #"{"name":"x","type":"int"}"# : #"{"name":"x","type":"io.chain.C\#(i - 1)"}"#
            return #"{"type":"record","name":"C\#(i)","namespace":"io.chain","fields":[\#(field)]}"#
        }
        func command(_ i: Int) -> RegisterCommand {
            RegisterCommand(subject: "c\(i)", schema: record(i),
                            references: i == 0 ? [] : [SchemaReference(name: "io.chain.C\(i - 1)", subject: "c\(i - 1)", version: 1)])
        }
        for i in 0...RegistryState.maxReferenceDepth { _ = try registered(state.apply(.register(command(i)))) }
        let refused = rejection(state.apply(.register(command(RegistryState.maxReferenceDepth + 1))))
        #expect(refused?.errorCode == 42201)
        #expect(refused?.message.contains("deeper than 32") == true)
    }

    @Test func referencesReachingMoreThan1000VersionsAreRefused() throws {
        var state = RegistryState()
        func leaf(_ i: Int) -> String { #"{"type":"record","name":"L\#(i)","namespace":"io.fan","fields":[{"name":"x","type":"int"}]}"# }
        let leaves = 0...RegistryState.maxTransitiveReferences
        for i in leaves { _ = try registered(state.apply(.register(RegisterCommand(subject: "l\(i)", schema: leaf(i))))) }
        let refs = leaves.map { SchemaReference(name: "io.fan.L\($0)", subject: "l\($0)", version: 1) }
        func middle(_ name: String) -> String { #"{"type":"record","name":"\#(name)","namespace":"io.fan","fields":[{"name":"x","type":"int"}]}"# }
        // Too many direct references.
        #expect(rejection(state.apply(.register(RegisterCommand(subject: "all", schema: middle("All"), references: refs))))?.errorCode == 42201)
        // Few direct references, too many reached through them (each leaf counted once).
        _ = try registered(state.apply(.register(RegisterCommand(subject: "m1", schema: middle("M1"), references: Array(refs[0..<600])))))
        _ = try registered(state.apply(.register(RegisterCommand(subject: "m2", schema: middle("M2"), references: Array(refs[400...])))))
        let both = [SchemaReference(name: "io.fan.M1", subject: "m1", version: 1), SchemaReference(name: "io.fan.M2", subject: "m2", version: 1)]
        let refused = rejection(state.apply(.register(RegisterCommand(subject: "top", schema: middle("Top"), references: both))))
        #expect(refused?.errorCode == 42201)
        #expect(refused?.message.contains("more than 1000") == true)
        // Overlapping references are counted once: 600 + 2 reached here.
        let overlapping = [both[0], SchemaReference(name: "io.fan.L0", subject: "l0", version: 1)]
        _ = try registered(state.apply(.register(RegisterCommand(subject: "ok", schema: middle("Ok"), references: overlapping))))
    }

    // MARK: - Item 2: the log format

    @Test func recordsCarryTheirFormatVersion() throws {
        let record = RegistryLogRecord(requestID: "r", command: .noop)
        let text = String(decoding: try RegistryLogCodec.encode(record), as: UTF8.self)
        #expect(text.contains(#""v":\#(RegistryLogRecord.currentFormatVersion)"#))
        let key = RegistryLogCodec.commandKey(requestID: "r")
        guard case .record(let decoded) = RegistryLogCodec.decode(RegistryLogEntry(offset: 0, key: key, value: Array(text.utf8))) else {
            Issue.record("a current record must decode")
            return
        }
        #expect(decoded == record)
        // A record from before `v` is format 1.
        let old = #"{"command":{"noop":{}},"requestID":"r"}"#
        guard case .record(let v1) = RegistryLogCodec.decode(RegistryLogEntry(offset: 0, key: key, value: Array(old.utf8))) else {
            Issue.record("a format 1 record must decode")
            return
        }
        #expect(v1.formatVersion == 1)
        #expect(String(decoding: try RegistryLogCodec.encode(v1), as: UTF8.self) == old)
    }

    @Test func entriesAreClassifiedByKeyThenFormat() {
        func decode(_ key: String?, _ value: String?) -> RegistryLogCodec.Decoded {
            RegistryLogCodec.decode(RegistryLogEntry(offset: 3, key: key.map { Array($0.utf8) }, value: value.map { Array($0.utf8) }))
        }
        let ours = String(decoding: RegistryLogCodec.commandKey(requestID: "x"), as: UTF8.self)
        let marker = String(decoding: RegistryLogCodec.markerKey(instanceID: "i"), as: UTF8.self)
        let cases: [(String?, String?, String)] = [
            (#"{"keytype":"SCHEMA","subject":"s","version":1,"magic":1}"#, #"{"schema":"\"int\""}"#, "foreign"),
            (#"{"keytype":"NOOP","magic":0}"#, nil, "foreign"),
            (nil, "anything", "foreign"),
            ("not json", "anything", "foreign"),
            (ours, nil, "unreadable"),
            (ours, "garbage", "unreadable"),
            (marker, #"{"v":2,"requestID":"x"}"#, "unreadable"),
            (ours, #"{"v":0,"requestID":"x","command":{"noop":{}}}"#, "unreadable"),
            (ours, #"{"v":3,"requestID":"x","command":{"teleport":{}}}"#, "newer"),
            (marker, #"{"v":2,"requestID":"x","command":{"noop":{}}}"#, "record"),
        ]
        for (key, value, expected) in cases {
            let kind: String
            switch decode(key, value) {
            case .record: kind = "record"
            case .foreign: kind = "foreign"
            case .newerFormat: kind = "newer"
            case .unreadable: kind = "unreadable"
            }
            #expect(kind == expected, "key \(key ?? "nil"), value \(value ?? "nil")")
        }
    }
}
