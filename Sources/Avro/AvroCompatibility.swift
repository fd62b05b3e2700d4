/// One reason why a reader schema cannot read data written with a writer schema.
public struct AvroIncompatibility: Sendable, Hashable, CustomStringConvertible {
    /// The kind of incompatibility, named as Avro's `SchemaCompatibility` and Confluent name them.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case typeMismatch = "TYPE_MISMATCH"
        case nameMismatch = "NAME_MISMATCH"
        case fixedSizeMismatch = "FIXED_SIZE_MISMATCH"
        case missingEnumSymbols = "MISSING_ENUM_SYMBOLS"
        case readerFieldMissingDefaultValue = "READER_FIELD_MISSING_DEFAULT_VALUE"
        case missingUnionBranch = "MISSING_UNION_BRANCH"
    }

    /// What kind of incompatibility this is.
    public var kind: Kind
    /// Where the problem is, as a JSON-pointer-like path into the reader schema
    /// (`/fields/3/type`, `/symbols`; `/` for the root). Below a union that both
    /// schemas have, the branch index is the writer's branch (as in Avro's Java checker).
    public var path: String
    /// A readable explanation naming the writer and reader types involved.
    public var message: String

    public init(kind: Kind, path: String, message: String) {
        self.kind = kind
        self.path = path
        self.message = message
    }

    /// One line in the style of Confluent's error list: kind, path and message.
    public var description: String {
        "{errorType:'\(kind.rawValue)', path:'\(path)', description:'\(message)'}"
    }
}

/// Schema-level compatibility by the Avro specification's schema-resolution rules.
public enum AvroCompatibility: Sendable {
    /// Every reason `reader` cannot read data written with `writer` (empty = compatible).
    public static func incompatibilities(reader: AvroParsedSchema, writer: AvroParsedSchema) -> [AvroIncompatibility] {
        var checker = AvroCompatibilityChecker(reader: reader, writer: writer)
        return checker.check(writer: writer.root, reader: reader.root, path: [], field: nil)
    }
}

/// A subject's compatibility level, as the Confluent Schema Registry defines it.
public enum AvroCompatibilityLevel: String, Sendable, CaseIterable, Codable {
    case none = "NONE"
    case backward = "BACKWARD"
    case backwardTransitive = "BACKWARD_TRANSITIVE"
    case forward = "FORWARD"
    case forwardTransitive = "FORWARD_TRANSITIVE"
    case full = "FULL"
    case fullTransitive = "FULL_TRANSITIVE"
}

extension AvroCompatibilityLevel {
    /// Checks `new` against existing versions (oldest first) as Confluent does:
    /// BACKWARD: new reads latest; FORWARD: latest reads new; FULL: both;
    /// *_TRANSITIVE: against all previous versions instead of only the latest; NONE: always compatible.
    /// Versions are checked newest first; a reason found against several versions is listed once.
    public func incompatibilities(new: AvroParsedSchema, existing: [AvroParsedSchema]) -> [AvroIncompatibility] {
        let targets: [AvroParsedSchema]
        switch self {
        case .none: return []
        case .backward, .forward, .full: targets = existing.last.map { [$0] } ?? []
        case .backwardTransitive, .forwardTransitive, .fullTransitive: targets = existing.reversed()
        }
        var result: [AvroIncompatibility] = []
        var seen: Set<AvroIncompatibility> = []
        func add(_ found: [AvroIncompatibility]) {
            for issue in found where seen.insert(issue).inserted { result.append(issue) }
        }
        for old in targets {
            if checksBackward { add(AvroCompatibility.incompatibilities(reader: new, writer: old)) }
            if checksForward { add(AvroCompatibility.incompatibilities(reader: old, writer: new)) }
        }
        return result
    }

    /// Whether the new schema must read data written with existing versions.
    var checksBackward: Bool {
        switch self {
        case .backward, .backwardTransitive, .full, .fullTransitive: return true
        case .none, .forward, .forwardTransitive: return false
        }
    }

    /// Whether existing versions must read data written with the new schema.
    var checksForward: Bool {
        switch self {
        case .forward, .forwardTransitive, .full, .fullTransitive: return true
        case .none, .backward, .backwardTransitive: return false
        }
    }
}

/// Walks a writer and a reader schema together and collects every incompatibility.
struct AvroCompatibilityChecker {
    let reader: AvroParsedSchema
    let writer: AvroParsedSchema
    /// Record pairs being checked further up; meeting one again (recursion) counts as compatible.
    private var inProgress: Set<NamePair> = []
    /// Record pairs already checked, with their incompatibilities relative to the record: a
    /// type used many times is checked once (without this, a schema that repeats one named
    /// type at each level costs 2^depth).
    private var checked: [NamePair: [AvroIncompatibility]] = [:]

    private struct NamePair: Hashable {
        var writer: String
        var reader: String
    }

    init(reader: AvroParsedSchema, writer: AvroParsedSchema) {
        self.reader = reader
        self.writer = writer
    }

    /// The incompatibilities of reading `w` as `r`; `field` names the record field whose type this is, if any.
    mutating func check(writer w: AvroSchema, reader r: AvroSchema, path: [String], field: String?) -> [AvroIncompatibility] {
        let w = writer.resolve(w)
        let r = reader.resolve(r)
        switch (w, r) {
        case (.union(let writerBranches), _):
            var found: [AvroIncompatibility] = []
            let readerIsUnion: Bool
            if case .union = r { readerIsUnion = true } else { readerIsUnion = false }
            for (i, branch) in writerBranches.enumerated() {
                found += check(writer: branch, reader: r, path: readerIsUnion ? path + ["\(i)"] : path, field: field)
            }
            return found
        case (_, .union(let readerBranches)):
            var closest: (AvroSchema, [AvroIncompatibility])?
            for branch in readerBranches.map(reader.resolve) where mayRead(writer: w, reader: branch) {
                let found = check(writer: w, reader: branch, path: [], field: field)
                if found.isEmpty { return [] }
                if case .primitive = branch { continue }
                if closest == nil { closest = (branch, found) }
            }
            var message = "\(prefix(field))reader \(describe(r, in: reader)) has no branch compatible with writer type \(describe(w, in: writer))"
            if case let (branch, found)? = closest {
                message += " (closest branch \(branch.typeName), paths relative to it: "
                message += found.map { "\($0.kind.rawValue) at \($0.path): \($0.message)" }.joined(separator: "; ") + ")"
            }
            return [issue(.missingUnionBranch, path, message)]
        case (.primitive(let wp, _), .primitive(let rp, _)):
            return Self.promotes(wp, to: rp) ? [] : [mismatch(w, r, path, field)]
        case (.record(let wr), .record(let rr)):
            let key = NamePair(writer: wr.name.fullName, reader: rr.name.fullName)
            let root = path.isEmpty ? "" : "/" + path.joined(separator: "/")
            if let known = checked[key] {
                // Seen before: its issues are reported at the first path; here one stands for
                // them, so that the answer stays non-empty without growing with every repetition.
                return known.prefix(1).map { AvroIncompatibility(kind: $0.kind, path: root + $0.path, message: $0.message) }
            }
            guard inProgress.insert(key).inserted else { return [] }
            defer { inProgress.remove(key) }
            let found = checkRecord(w, wr, r, rr, path: path)
            checked[key] = found.map { issue in
                var relative = issue.path.hasPrefix(root) ? String(issue.path.dropFirst(root.count)) : issue.path
                if relative == "/" { relative = "" }
                return AvroIncompatibility(kind: issue.kind, path: relative, message: issue.message)
            }
            return found
        case (.enumeration(let we), .enumeration(let re)):
            var found = nameCheck(w, writerName: we.name, r, readerName: re.name, readerAliases: re.aliases, path: path)
            let missing = we.symbols.filter { !re.symbols.contains($0) }
            if !missing.isEmpty, re.defaultSymbol == nil {
                found.append(issue(.missingEnumSymbols, path + ["symbols"],
                                   "reader enum \(re.name.fullName) lacks writer symbols [\(missing.joined(separator: ", "))] "
                                   + "of enum \(we.name.fullName) and has no default symbol"))
            }
            return found
        case (.fixed(let wf), .fixed(let rf)):
            var found = nameCheck(w, writerName: wf.name, r, readerName: rf.name, readerAliases: rf.aliases, path: path)
            if wf.size != rf.size {
                found.append(issue(.fixedSizeMismatch, path + ["size"],
                                   "writer fixed \(wf.name.fullName) has size \(wf.size) but reader fixed \(rf.name.fullName) has size \(rf.size)"))
            }
            return found
        case (.array(let writerItems, _), .array(let readerItems, _)):
            return check(writer: writerItems, reader: readerItems, path: path + ["items"], field: nil)
        case (.map(let writerValues, _), .map(let readerValues, _)):
            return check(writer: writerValues, reader: readerValues, path: path + ["values"], field: nil)
        default:
            return [mismatch(w, r, path, field)]
        }
    }

    /// The incompatibilities of reading record `wr` as record `rr`.
    private mutating func checkRecord(_ w: AvroSchema, _ wr: AvroRecordSchema, _ r: AvroSchema, _ rr: AvroRecordSchema,
                                      path: [String]) -> [AvroIncompatibility] {
        var found = nameCheck(w, writerName: wr.name, r, readerName: rr.name, readerAliases: rr.aliases, path: path)
        for (i, readerField) in rr.fields.enumerated() {
            if let writerField = Self.writerField(for: readerField, in: wr) {
                found += check(writer: writerField.type, reader: readerField.type,
                               path: path + ["fields", "\(i)", "type"], field: readerField.name)
            } else if readerField.defaultValue == nil {
                found.append(issue(.readerFieldMissingDefaultValue, path + ["fields", "\(i)"],
                                   "reader field '\(readerField.name)' of record \(rr.name.fullName) has no default value "
                                   + "and the writer's record \(wr.name.fullName) has no field of that name or alias"))
            }
        }
        return found
    }

    /// Whether a writer primitive can be read as a reader primitive (equal, or a promotion).
    static func promotes(_ writer: AvroPrimitive, to reader: AvroPrimitive) -> Bool {
        if writer == reader { return true }
        switch (writer, reader) {
        case (.int, .long), (.int, .float), (.int, .double), (.long, .float), (.long, .double),
             (.float, .double), (.string, .bytes), (.bytes, .string):
            return true
        default:
            return false
        }
    }

    /// Names match when the unqualified or full names are equal, or the writer's full name is one of the reader's
    /// aliases. An alias is a full name: one without a namespace was resolved against the reader's namespace when
    /// parsed, so a reader alias `Alpha` in namespace `org.one` names `org.one.Alpha`, never `org.two.Alpha`.
    static func namesMatch(writer: AvroName, reader: AvroName, readerAliases: [AvroName]) -> Bool {
        writer.name == reader.name || writer.fullName == reader.fullName
            || readerAliases.contains { $0.fullName == writer.fullName }
    }

    /// The writer field a reader field reads: the one with its name, else the first matching one of its aliases.
    static func writerField(for readerField: AvroField, in record: AvroRecordSchema) -> AvroField? {
        for candidate in [readerField.name] + readerField.aliases {
            if let match = record.fields.first(where: { $0.name == candidate }) { return match }
        }
        return nil
    }

    private func nameCheck(_ w: AvroSchema, writerName: AvroName, _ r: AvroSchema, readerName: AvroName,
                           readerAliases: [AvroName], path: [String]) -> [AvroIncompatibility] {
        if Self.namesMatch(writer: writerName, reader: readerName, readerAliases: readerAliases) { return [] }
        let aliases = readerAliases.isEmpty ? "" : " (aliases: \(readerAliases.map(\.fullName).joined(separator: ", ")))"
        return [issue(.nameMismatch, path + ["name"], "writer \(w.typeName) does not match reader \(r.typeName)\(aliases) by name or alias")]
    }

    /// Whether `r` may be able to read `w`: both primitives, named types of one kind with matching names,
    /// or both arrays or both maps. Any other pair is a mismatch, so union branches failing this are not tried.
    private func mayRead(writer w: AvroSchema, reader r: AvroSchema) -> Bool {
        switch (w, r) {
        case (.primitive, .primitive): return true
        case (.record(let a), .record(let b)): return Self.namesMatch(writer: a.name, reader: b.name, readerAliases: b.aliases)
        case (.enumeration(let a), .enumeration(let b)): return Self.namesMatch(writer: a.name, reader: b.name, readerAliases: b.aliases)
        case (.fixed(let a), .fixed(let b)): return Self.namesMatch(writer: a.name, reader: b.name, readerAliases: b.aliases)
        case (.array, .array), (.map, .map): return true
        default: return false
        }
    }

    private func mismatch(_ w: AvroSchema, _ r: AvroSchema, _ path: [String], _ field: String?) -> AvroIncompatibility {
        issue(.typeMismatch, path,
              "\(prefix(field))reader type \(describe(r, in: reader)) is not compatible with writer type \(describe(w, in: writer))")
    }

    private func prefix(_ field: String?) -> String { field.map { "field '\($0)': " } ?? "" }

    private func describe(_ schema: AvroSchema, in parsed: AvroParsedSchema) -> String {
        if case .union(let branches) = schema {
            return "union [\(branches.map { parsed.resolve($0).typeName }.joined(separator: ", "))]"
        }
        return schema.typeName
    }

    private func issue(_ kind: AvroIncompatibility.Kind, _ path: [String], _ message: String) -> AvroIncompatibility {
        AvroIncompatibility(kind: kind, path: "/" + path.joined(separator: "/"), message: message)
    }
}
