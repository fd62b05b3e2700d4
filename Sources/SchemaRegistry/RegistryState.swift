import Avro
import SchemaRegistryModel

/// Limits applied when schemas are parsed.
public struct SchemaLimits: Sendable, Hashable {
    /// Deepest nesting accepted. Default 64.
    public var maxDepth: Int = 64
    public init(maxDepth: Int = 64) { self.maxDepth = maxDepth }
}

/// The registry's whole state, built by applying the `_schemas` log in order.
/// Pure and deterministic: the same log gives the same state on every instance.
public struct RegistryState: Sendable, Equatable {
    public private(set) var schemas: [Int: StoredSchema] = [:]
    /// Identity (normalized form + references) → id; kept after hard deletes so that
    /// re-registering a schema gets its old id back.
    private(set) var idByIdentity: [String: Int] = [:]
    public private(set) var subjects: [String: [RegistrySubjectVersion]] = [:]
    public private(set) var globalCompatibility: CompatibilityLevel = .backward
    public private(set) var subjectCompatibility: [String: CompatibilityLevel] = [:]
    public private(set) var globalMode: RegistryMode = .readWrite
    public private(set) var subjectMode: [String: RegistryMode] = [:]
    public private(set) var nextID = 1
    public let limits: SchemaLimits

    public init(limits: SchemaLimits = SchemaLimits()) {
        self.limits = limits
    }

    public static func == (a: RegistryState, b: RegistryState) -> Bool {
        a.schemas == b.schemas && a.idByIdentity == b.idByIdentity && a.subjects == b.subjects
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
        guard let number = parsed else { return candidates.last! }
        guard let v = candidates.first(where: { $0.version == number }) else { throw .versionNotFound(String(number)) }
        return v
    }

    /// nil for latest; the number otherwise.
    public static func parseVersion(_ spec: String) throws(RegistryError) -> Int? {
        if spec == "latest" || spec == "-1" { return nil }
        guard let n = Int(spec), n >= 1, n <= Int(Int32.max) else { throw .invalidVersion(spec) }
        return n
    }

    /// The schema with `id`.
    public func schema(id: Int) throws(RegistryError) -> StoredSchema {
        guard let s = schemas[id] else { throw .schemaNotFound(id) }
        return s
    }

    /// Every (subject, version) that uses schema `id`, including soft-deleted ones.
    public func subjectVersions(usingID id: Int) -> [(subject: String, version: Int)] {
        subjects.keys.sorted().flatMap { s in subjects[s]!.filter { $0.id == id }.map { (s, $0.version) } }
    }

    /// Ids of schemas that reference `subject` at `version`.
    public func referencedBy(subject: String, version: Int) -> [Int] {
        schemas.values.filter { $0.references.contains { $0.subject == subject && $0.version == version } }.map(\.id).sorted()
    }

    public func compatibility(for subject: String?) -> CompatibilityLevel? {
        guard let subject else { return globalCompatibility }
        return subjectCompatibility[subject]
    }

    public func effectiveCompatibility(for subject: String) -> CompatibilityLevel {
        subjectCompatibility[subject] ?? globalCompatibility
    }

    public func mode(for subject: String?) -> RegistryMode? {
        guard let subject else { return globalMode }
        return subjectMode[subject]
    }

    public func effectiveMode(for subject: String) -> RegistryMode { subjectMode[subject] ?? globalMode }

    // MARK: - Parsing and identity

    /// A schema parsed against its references.
    public struct Prepared: Sendable {
        public var parsed: AvroParsedSchema
        public var text: String
        public var identity: String
    }

    /// Validates a registration's schema and computes its identity.
    /// - Throws: 42201 for an invalid schema or reference, a 404 for a missing reference.
    public func prepare(_ command: RegisterCommand) throws(RegistryError) -> Prepared {
        guard command.schemaType.uppercased() == "AVRO" else {
            throw .invalidSchema("schema type \(command.schemaType) is not supported; this registry accepts AVRO")
        }
        var predefined: [String: AvroSchema] = [:]
        for ref in command.references {
            let referenced = try referencedSchema(ref)
            for (name, def) in referenced.namedTypes { predefined[name] = def }
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
        let compactText = (try? JSONValue(parsing: command.schema).compactText) ?? command.schema
        let refs = command.references.map { "\($0.name)=\($0.subject)@\($0.version)" }.joined(separator: ",")
        return Prepared(parsed: parsed, text: command.normalize ? normalized : compactText, identity: "\(normalized)|\(refs)")
    }

    func referencedSchema(_ ref: SchemaReference) throws(RegistryError) -> AvroParsedSchema {
        guard let v = subjects[ref.subject]?.first(where: { $0.version == ref.version }), let stored = schemas[v.id] else {
            throw .invalidSchema("reference \(ref.name) to subject \(ref.subject) version \(ref.version) not found")
        }
        return try parsedSchema(stored)
    }

    /// Parses a stored schema (with its references).
    public func parsedSchema(_ stored: StoredSchema) throws(RegistryError) -> AvroParsedSchema {
        try prepare(RegisterCommand(subject: "", schema: stored.text, schemaType: stored.schemaType, references: stored.references)).parsed
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
            // Only the transitive levels look past the latest version: parse no more than needed.
            let transitive = [.backwardTransitive, .forwardTransitive, .fullTransitive].contains(level)
            existing = transitive ? live : Array(live.suffix(1))
        }
        let previous = try existing.map { v throws(RegistryError) in try parsedSchema(schemas[v.id]!) }
        return level.incompatibilities(new: prepared.parsed, existing: previous)
    }

    // MARK: - Apply

    /// Applies one command; the outcome answers the request that appended it.
    public mutating func apply(_ command: RegistryCommand) -> RegistryOutcome {
        do {
            return try applyChecked(command)
        } catch {
            return .rejected(error)
        }
    }

    private mutating func applyChecked(_ command: RegistryCommand) throws(RegistryError) -> RegistryOutcome {
        switch command {
        case .noop:
            return .done
        case .register(let r):
            return try register(r)
        case .deleteVersion(let subject, let version, let permanent):
            try checkWritable(subject)
            return .deletedVersions([try deleteVersion(subject: subject, version: version, permanent: permanent)])
        case .deleteSubject(let subject, let permanent):
            try checkWritable(subject)
            return .deletedVersions(try deleteSubject(subject, permanent: permanent))
        case .setCompatibility(let subject, let level):
            if let subject { subjectCompatibility[subject] = level } else { globalCompatibility = level }
            return .compatibility(level)
        case .deleteCompatibility(let subject):
            if let subject {
                guard let previous = subjectCompatibility.removeValue(forKey: subject) else { throw .subjectCompatibilityNotConfigured(subject) }
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

    private mutating func register(_ r: RegisterCommand) throws(RegistryError) -> RegistryOutcome {
        try checkWritable(r.subject)
        let mode = effectiveMode(for: r.subject)
        if mode != .import, r.id != nil || r.version != nil {
            throw .operationNotPermitted("Registering with an id or version needs IMPORT mode (subject \(r.subject) is in \(mode.rawValue))")
        }
        let prepared = try prepare(r)
        var versions = subjects[r.subject] ?? []

        if mode == .import, let importID = r.id {
            if let existing = schemas[importID], idByIdentity[prepared.identity] != importID {
                throw .idDoesNotMatch("Schema id \(importID) is already used by a different schema (\(existing.text.prefix(80)))")
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
            store(prepared, id: importID, command: r)
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
        schemas[id] = StoredSchema(id: id, text: prepared.text, schemaType: "AVRO", references: command.references)
        idByIdentity[prepared.identity] = id
    }

    private mutating func deleteVersion(subject: String, version spec: Int, permanent: Bool) throws(RegistryError) -> Int {
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
        if !referencedBy(subject: subject, version: v.version).isEmpty {
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

    private mutating func deleteSubject(_ subject: String, permanent: Bool) throws(RegistryError) -> [Int] {
        guard let versions = subjects[subject], !versions.isEmpty else { throw .subjectNotFound(subject) }
        for v in versions where !referencedBy(subject: subject, version: v.version).isEmpty {
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

    /// Forgets an id's text once no version uses it (its identity mapping stays).
    private mutating func dropUnusedSchema(_ id: Int) {
        if !subjects.values.contains(where: { $0.contains { $0.id == id } }) { schemas[id] = nil }
    }
}
