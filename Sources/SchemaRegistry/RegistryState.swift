import Avro
import SchemaRegistryModel

/// Limits applied when schemas are parsed.
public struct SchemaLimits: Sendable, Hashable {
    /// Deepest nesting accepted. Default 64.
    public var maxDepth: Int = 64
    /// Limits with nesting up to `maxDepth`.
    public init(maxDepth: Int = 64) { self.maxDepth = maxDepth }

    /// The limits a record is applied with, whatever an instance is configured with: part of
    /// the log's rules, so that every instance applies a record alike. An instance checks its
    /// own (lower or equal) limits in the API, before it appends.
    public static let log = SchemaLimits(maxDepth: 256)
}

/// A subject version named by a schema reference.
struct ReferenceTarget: Sendable, Hashable {
    var subject: String
    var version: Int
}

/// A stored schema parsed against its references, with what its references reach.
struct ResolvedSchema: Sendable {
    var parsed: AvroParsedSchema
    /// Every subject version reachable through references, each once.
    var referenceClosure: Set<ReferenceTarget>
    /// The longest chain of references below the schema (0 without references).
    var referenceDepth: Int
}

/// The registry's whole state, built by applying the `_schemas` log in order.
/// Pure and deterministic: the same log gives the same state on every instance,
/// whatever the instance's configuration.
public struct RegistryState: Sendable, Equatable {
    /// References a schema may reach, directly or through other schemas (each subject version once).
    public static let maxTransitiveReferences = 1000
    /// The longest chain of references a schema may start.
    public static let maxReferenceDepth = 32

    /// Schemas by global id (hard-deleted ones are gone; their ids are not reused).
    public private(set) var schemas: [Int: StoredSchema] = [:]
    /// Identity (normalized form + references) → id; kept after hard deletes so that
    /// re-registering a schema gets its old id back.
    private(set) var idByIdentity: [String: Int] = [:]
    /// Every id ever given out, registered or imported, → the identity it was given to. Kept
    /// after hard deletes: an id names one schema for ever.
    private(set) var identityByID: [Int: String] = [:]
    /// Parsed forms of `schemas` (same keys), made once when a schema is stored, so that
    /// references and compatibility checks never parse a stored schema again.
    private var resolved: [Int: ResolvedSchema] = [:]
    /// Each subject's versions, in version order, soft-deleted ones included.
    public private(set) var subjects: [String: [RegistrySubjectVersion]] = [:]
    /// The registry-wide compatibility level.
    public private(set) var globalCompatibility: CompatibilityLevel = .backward
    /// Subject-level compatibility levels.
    public private(set) var subjectCompatibility: [String: CompatibilityLevel] = [:]
    /// The registry-wide mode.
    public private(set) var globalMode: RegistryMode = .readWrite
    /// Subject-level modes.
    public private(set) var subjectMode: [String: RegistryMode] = [:]
    /// The next id a registration is given: above every id ever used, imported ones included.
    public private(set) var nextID = 1

    /// The empty state, before the first record.
    public init() {}

    /// Equal when everything the log decides is equal (the parse cache is derived from it).
    public static func == (a: RegistryState, b: RegistryState) -> Bool {
        a.schemas == b.schemas && a.idByIdentity == b.idByIdentity && a.identityByID == b.identityByID && a.subjects == b.subjects
            && a.globalCompatibility == b.globalCompatibility && a.subjectCompatibility == b.subjectCompatibility
            && a.globalMode == b.globalMode && a.subjectMode == b.subjectMode && a.nextID == b.nextID
    }

    // MARK: - Queries

    /// Subjects with at least one version (soft-deleted ones only when `deleted`).
    public func subjectNames(includeDeleted: Bool) -> [String] {
        subjects.filter { includeDeleted ? !$0.value.isEmpty : $0.value.contains { !$0.deleted } }.keys.sorted()
    }

    /// The versions of a subject.
    /// - Throws: 40401 when the subject has no (visible) versions.
    public func versions(of subject: String, includeDeleted: Bool) throws(RegistryError) -> [RegistrySubjectVersion] {
        let all = subjects[subject] ?? []
        let visible = includeDeleted ? all : all.filter { !$0.deleted }
        guard !visible.isEmpty else { throw .subjectNotFound(subject) }
        return visible
    }

    /// Resolves `latest`, `-1` or a number to a version of the subject.
    public func version(_ spec: String, of subject: String, includeDeleted: Bool) throws(RegistryError) -> RegistrySubjectVersion {
        let parsed = try RegistryState.parseVersion(spec)
        let candidates = try versions(of: subject, includeDeleted: includeDeleted)
        guard let number = parsed else {
            guard let latest = candidates.last else { throw .subjectNotFound(subject) }
            return latest
        }
        guard let v = candidates.first(where: { $0.version == number }) else { throw .versionNotFound(String(number)) }
        return v
    }

    /// nil for latest; the number otherwise.
    public static func parseVersion(_ spec: String) throws(RegistryError) -> Int? {
        if spec == "latest" || spec == "-1" { return nil }
        guard let n = Int(spec), n >= 1, n <= Int(Int32.max) else { throw .invalidVersion(spec) }
        return n
    }

    /// Checks an imported id and version: both, when given, are in 1...2^31-1.
    /// - Throws: 42201 for an id, 42202 for a version out of range.
    public static func validateImport(id: Int?, version: Int?) throws(RegistryError) {
        let valid = 1...Int(Int32.max)
        if let id, !valid.contains(id) { throw .invalidSchemaID(String(id)) }
        if let version, !valid.contains(version) { throw .invalidVersion(String(version)) }
    }

    /// The schema with `id`.
    public func schema(id: Int) throws(RegistryError) -> StoredSchema {
        guard let s = schemas[id] else { throw .schemaNotFound(id) }
        return s
    }

    /// Every (subject, version) that uses schema `id`, including soft-deleted ones.
    public func subjectVersions(usingID id: Int) -> [(subject: String, version: Int)] {
        subjects.sorted { $0.key < $1.key }.flatMap { s, versions in versions.filter { $0.id == id }.map { (s, $0.version) } }
    }

    /// Ids of schemas that reference `subject` at `version` (soft-deleted referrers included).
    public func referencedBy(subject: String, version: Int) -> [Int] {
        schemas.values.filter { $0.references.contains { $0.subject == subject && $0.version == version } }.map(\.id).sorted()
    }

    /// Ids of schemas that reference `subject` at `version` and are used by a version that is
    /// not soft-deleted.
    public func liveReferrers(subject: String, version: Int) -> [Int] {
        let referrers = Set(referencedBy(subject: subject, version: version))
        guard !referrers.isEmpty else { return [] }
        var live = Set<Int>()
        for versions in subjects.values {
            for v in versions where !v.deleted && referrers.contains(v.id) { live.insert(v.id) }
        }
        return live.sorted()
    }

    /// The subject's own level (nil when it has none), or the global level when `subject` is nil.
    public func compatibility(for subject: String?) -> CompatibilityLevel? {
        guard let subject else { return globalCompatibility }
        return subjectCompatibility[subject]
    }

    /// The level that applies to `subject`: its own, else the global one.
    public func effectiveCompatibility(for subject: String) -> CompatibilityLevel {
        subjectCompatibility[subject] ?? globalCompatibility
    }

    /// The subject's own mode (nil when it has none), or the global mode when `subject` is nil.
    public func mode(for subject: String?) -> RegistryMode? {
        guard let subject else { return globalMode }
        return subjectMode[subject]
    }

    /// The mode that applies to `subject`: its own, else the global one.
    public func effectiveMode(for subject: String) -> RegistryMode { subjectMode[subject] ?? globalMode }

    // MARK: - Parsing and identity

    /// A schema parsed against its references.
    public struct Prepared: Sendable {
        /// The schema, its references resolved.
        public var parsed: AvroParsedSchema
        /// The text to store: compacted, or normalized when asked for.
        public var text: String
        /// Normalized form and resolved references: equal identities are one schema, one id.
        public var identity: String
        var resolved: ResolvedSchema
    }

    /// Validates a registration's schema and computes its identity. References are taken
    /// from the parsed schemas already stored, never parsed again.
    /// - Parameter limits: the nesting limit; `SchemaLimits.log` when applying the log, the
    ///   instance's own when the API checks a request.
    /// - Throws: 42201 for an invalid schema, a missing reference, or references reaching more
    ///   than `maxTransitiveReferences` versions or deeper than `maxReferenceDepth`.
    public func prepare(_ command: RegisterCommand, limits: SchemaLimits = .log) throws(RegistryError) -> Prepared {
        guard command.schemaType == .avro else {
            throw .invalidSchema("schema type \(command.schemaType) is not supported; this registry accepts AVRO")
        }
        guard command.references.count <= Self.maxTransitiveReferences else {
            throw .invalidSchema("a schema may have at most \(Self.maxTransitiveReferences) references")
        }
        var predefined: [String: AvroSchema] = [:]
        var closure = Set<ReferenceTarget>()
        var depth = 0
        var identityReferences: [String] = []
        for ref in command.references {
            let target = ReferenceTarget(subject: ref.subject, version: ref.version)
            guard let v = subjects[ref.subject]?.first(where: { $0.version == ref.version }), let referenced = resolved[v.id] else {
                throw .invalidSchema("reference \(ref.name) to subject \(ref.subject) version \(ref.version) not found")
            }
            closure.insert(target)
            closure.formUnion(referenced.referenceClosure)
            guard closure.count <= Self.maxTransitiveReferences else {
                throw .invalidSchema("the references reach more than \(Self.maxTransitiveReferences) schema versions")
            }
            depth = max(depth, referenced.referenceDepth + 1)
            guard depth <= Self.maxReferenceDepth else {
                throw .invalidSchema("the references are nested deeper than \(Self.maxReferenceDepth) levels")
            }
            for (name, def) in referenced.parsed.namedTypes { predefined[name] = def }
            identityReferences.append("\(ref.name)=\(ref.subject)@\(ref.version)#\(v.id)")
        }
        let parsed: AvroParsedSchema
        do {
            parsed = try AvroParsedSchema(parsing: command.schema, predefined: predefined, maxDepth: limits.maxDepth)
        } catch let e as AvroSchemaError {
            throw .invalidSchema(e.description)
        } catch {
            throw .invalidSchema("\(error)")
        }
        let normalized = parsed.normalizedForm
        // The stored text names the referenced types rather than defining them again.
        let text = command.normalize
            ? parsed.normalizedForm(external: Set(predefined.keys))
            : (try? JSONValue(parsing: command.schema).compactText) ?? command.schema
        return Prepared(parsed: parsed, text: text,
                        identity: "\(normalized)|\(identityReferences.joined(separator: ","))",
                        resolved: ResolvedSchema(parsed: parsed, referenceClosure: closure, referenceDepth: depth))
    }

    /// The parsed form of schema `id`, its references resolved.
    /// - Throws: 40403 when no schema has the id.
    public func parsedSchema(id: Int) throws(RegistryError) -> AvroParsedSchema {
        guard let r = resolved[id] else { throw .schemaNotFound(id) }
        return r.parsed
    }

    /// The id of a schema already registered under `subject` (visible versions), if any.
    public func existingVersion(of prepared: Prepared, in subject: String, includeDeleted: Bool = false) -> RegistrySubjectVersion? {
        guard let id = idByIdentity[prepared.identity] else { return nil }
        return subjects[subject]?.last { $0.id == id && (includeDeleted || !$0.deleted) }
    }

    /// Every reason `prepared` may not be registered under `subject` at its level.
    public func incompatibilities(of prepared: Prepared, subject: String, level: CompatibilityLevel? = nil,
                                  against version: RegistrySubjectVersion? = nil) throws(RegistryError) -> [AvroIncompatibility] {
        let level = level ?? effectiveCompatibility(for: subject)
        if level == .none { return [] }
        let existing: [RegistrySubjectVersion]
        if let version {
            existing = [version]
        } else {
            let live = (subjects[subject] ?? []).filter { !$0.deleted }
            // Only the transitive levels look past the latest version.
            let transitive = [.backwardTransitive, .forwardTransitive, .fullTransitive].contains(level)
            existing = transitive ? live : Array(live.suffix(1))
        }
        let previous = try existing.map { v throws(RegistryError) in try parsedSchema(id: v.id) }
        return level.incompatibilities(new: prepared.parsed, existing: previous)
    }

    // MARK: - Apply

    /// Applies one command by the rules of log format `formatVersion` (see
    /// `RegistryLogRecord.currentFormatVersion`); the outcome answers the request that appended it.
    public mutating func apply(_ command: RegistryCommand,
                               formatVersion: Int = RegistryLogRecord.currentFormatVersion) -> RegistryOutcome {
        do {
            return try applyChecked(command, rules: ApplyRules(formatVersion: formatVersion))
        } catch {
            return .rejected(error)
        }
    }

    /// The rules that changed between log format versions.
    struct ApplyRules {
        /// IMPORT mode refuses a registration without an id (format 2).
        var importNeedsID: Bool
        /// A soft delete looks only at referrers that are not soft-deleted themselves (format 2).
        var softDeleteIgnoresDeletedReferrers: Bool

        init(formatVersion: Int) {
            importNeedsID = formatVersion >= 2
            softDeleteIgnoresDeletedReferrers = formatVersion >= 2
        }
    }

    private mutating func applyChecked(_ command: RegistryCommand, rules: ApplyRules) throws(RegistryError) -> RegistryOutcome {
        switch command {
        case .noop:
            return .done
        case .register(let r):
            return try register(r, rules: rules)
        case .deleteVersion(let subject, let version, let permanent):
            try checkWritable(subject)
            return .deletedVersions([try deleteVersion(subject: subject, version: version, permanent: permanent, rules: rules)])
        case .deleteSubject(let subject, let permanent):
            try checkWritable(subject)
            return .deletedVersions(try deleteSubject(subject, permanent: permanent, rules: rules))
        case .setCompatibility(let subject, let level):
            if let subject { subjectCompatibility[subject] = level } else { globalCompatibility = level }
            return .compatibility(level)
        case .deleteCompatibility(let subject):
            if let subject {
                // Confluent answers 40401 whenever the subject has no level of its own to delete.
                guard let previous = subjectCompatibility.removeValue(forKey: subject) else { throw .subjectNotFound(subject) }
                return .compatibility(previous)
            }
            let previous = globalCompatibility
            globalCompatibility = .backward
            return .compatibility(previous)
        case .setMode(let subject, let mode, let force):
            if mode == .import, !force {
                let nonEmpty = subject.map { !(subjects[$0] ?? []).isEmpty } ?? !subjects.values.allSatisfy(\.isEmpty)
                if nonEmpty {
                    throw .operationNotPermitted("Cannot import since found existing subjects; use force=true to switch to IMPORT anyway")
                }
            }
            if let subject { subjectMode[subject] = mode } else { globalMode = mode }
            return .mode(mode)
        case .deleteMode(let subject):
            if let subject {
                guard let previous = subjectMode.removeValue(forKey: subject) else { throw .subjectModeNotConfigured(subject) }
                return .mode(previous)
            }
            let previous = globalMode
            globalMode = .readWrite
            return .mode(previous)
        }
    }

    func checkWritable(_ subject: String) throws(RegistryError) {
        if effectiveMode(for: subject) == .readOnly {
            throw .operationNotPermitted("Subject \(subject) is in read-only mode")
        }
    }

    private mutating func register(_ r: RegisterCommand, rules: ApplyRules) throws(RegistryError) -> RegistryOutcome {
        try checkWritable(r.subject)
        let mode = effectiveMode(for: r.subject)
        if mode != .import, r.id != nil || r.version != nil {
            throw .operationNotPermitted("Registering with an id or version needs IMPORT mode (subject \(r.subject) is in \(mode.rawValue))")
        }
        if mode == .import, r.id == nil, rules.importNeedsID {
            throw .operationNotPermitted("Subject \(r.subject) is not in read-write mode: in IMPORT mode a registration must give the schema's id")
        }
        try Self.validateImport(id: r.id, version: r.version)
        let prepared = try prepare(r)
        var versions = subjects[r.subject] ?? []

        if mode == .import, let importID = r.id {
            if let owner = identityByID[importID], owner != prepared.identity {
                throw .operationNotPermitted("Overwrite new schema with id \(importID) is not permitted.")
            }
            if let known = idByIdentity[prepared.identity], known != importID {
                throw .idDoesNotMatch("Schema already registered with id \(known) instead of input id \(importID)")
            }
            let version = r.version ?? ((versions.map(\.version).max() ?? 0) + 1)
            if let taken = versions.first(where: { $0.version == version }) {
                guard taken.id == importID else {
                    throw .idDoesNotMatch("Subject \(r.subject) version \(version) already has schema id \(taken.id)")
                }
                return .registered(id: importID, version: version)
            }
            if schemas[importID] == nil { store(prepared, id: importID, command: r) }
            nextID = max(nextID, importID + 1)
            versions.append(RegistrySubjectVersion(version: version, id: importID, deleted: false))
            versions.sort { $0.version < $1.version }
            subjects[r.subject] = versions
            return .registered(id: importID, version: version)
        }

        if let existing = existingVersion(of: prepared, in: r.subject) {
            return .registered(id: existing.id, version: existing.version)
        }
        let problems = try incompatibilities(of: prepared, subject: r.subject)
        if !problems.isEmpty { throw .incompatible(problems.map(\.description)) }
        let id: Int
        if let known = idByIdentity[prepared.identity] {
            id = known
            if schemas[id] == nil { store(prepared, id: id, command: r) }
        } else {
            guard nextID <= Int(Int32.max) else { throw .storeError("every schema id up to 2^31-1 is used") }
            id = nextID
            nextID += 1
            store(prepared, id: id, command: r)
        }
        let version = (versions.map(\.version).max() ?? 0) + 1
        versions.append(RegistrySubjectVersion(version: version, id: id, deleted: false))
        subjects[r.subject] = versions
        return .registered(id: id, version: version)
    }

    private mutating func store(_ prepared: Prepared, id: Int, command: RegisterCommand) {
        schemas[id] = StoredSchema(id: id, text: prepared.text, schemaType: .avro, references: command.references)
        resolved[id] = prepared.resolved
        idByIdentity[prepared.identity] = id
        identityByID[id] = prepared.identity
    }

    /// The referrers that keep `subject` `version` from being deleted: every one for a hard
    /// delete, only those still in use (not soft-deleted) for a soft delete.
    private func blockingReferrers(subject: String, version: Int, permanent: Bool, rules: ApplyRules) -> [Int] {
        permanent || !rules.softDeleteIgnoresDeletedReferrers
            ? referencedBy(subject: subject, version: version)
            : liveReferrers(subject: subject, version: version)
    }

    private mutating func deleteVersion(subject: String, version spec: Int, permanent: Bool,
                                        rules: ApplyRules) throws(RegistryError) -> Int {
        guard var versions = subjects[subject], !versions.isEmpty else { throw .subjectNotFound(subject) }
        let index: Int
        if spec == -1 {
            guard let i = versions.lastIndex(where: { permanent || !$0.deleted }) else { throw .subjectNotFound(subject) }
            index = i
        } else {
            guard let i = versions.firstIndex(where: { $0.version == spec }) else { throw .versionNotFound(String(spec)) }
            index = i
        }
        let v = versions[index]
        if !blockingReferrers(subject: subject, version: v.version, permanent: permanent, rules: rules).isEmpty {
            throw .referenceExists("One or more references exist to the schema {subject=\(subject),version=\(v.version)}")
        }
        if permanent {
            guard v.deleted else { throw .versionNotSoftDeleted(subject, v.version) }
            versions.remove(at: index)
            subjects[subject] = versions.isEmpty ? nil : versions
            dropUnusedSchema(v.id)
        } else {
            guard !v.deleted else { throw .versionSoftDeleted(subject, v.version) }
            versions[index].deleted = true
            subjects[subject] = versions
        }
        return v.version
    }

    private mutating func deleteSubject(_ subject: String, permanent: Bool, rules: ApplyRules) throws(RegistryError) -> [Int] {
        guard let versions = subjects[subject], !versions.isEmpty else { throw .subjectNotFound(subject) }
        for v in versions where !blockingReferrers(subject: subject, version: v.version, permanent: permanent, rules: rules).isEmpty {
            throw .referenceExists("One or more references exist to the schema {subject=\(subject),version=\(v.version)}")
        }
        if permanent {
            guard versions.allSatisfy(\.deleted) else { throw .subjectNotSoftDeleted(subject) }
            subjects[subject] = nil
            subjectCompatibility[subject] = nil
            subjectMode[subject] = nil
            for v in versions { dropUnusedSchema(v.id) }
            return versions.map(\.version)
        }
        let live = versions.filter { !$0.deleted }
        guard !live.isEmpty else { throw .subjectSoftDeleted(subject) }
        subjects[subject] = versions.map { RegistrySubjectVersion(version: $0.version, id: $0.id, deleted: true) }
        return live.map(\.version)
    }

    /// Forgets an id's text once no version uses it (its identity mappings stay: the id is never
    /// given to another schema).
    private mutating func dropUnusedSchema(_ id: Int) {
        if !subjects.values.contains(where: { $0.contains { $0.id == id } }) {
            schemas[id] = nil
            resolved[id] = nil
        }
    }
}
