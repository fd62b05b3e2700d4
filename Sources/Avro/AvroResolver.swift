/// Turns a value written with one schema into a value of another, by the
/// Avro specification's schema-resolution rules: numeric promotions, string/bytes,
/// reader defaults for missing fields, enum defaults, union branch matching, aliases.
public struct AvroResolver: Sendable {
    public let writer: AvroParsedSchema
    public let reader: AvroParsedSchema

    public init(writer: AvroParsedSchema, reader: AvroParsedSchema) {
        self.writer = writer
        self.reader = reader
    }

    /// Resolves `value` (of the writer schema) to the reader schema.
    /// - Throws: `AvroCodecError` naming the path where the schemas do not match.
    public func resolve(_ value: AvroValue) throws -> AvroValue {
        try resolve(value, writer: writer.root, reader: reader.root, path: "")
    }

    /// Names match when the full or unqualified names are equal, or the writer's full name is one of the reader's
    /// aliases (aliases are full names, resolved against the reader's namespace when parsed).
    static func namesMatch(writer: AvroName, reader: AvroName, readerAliases: [AvroName]) -> Bool {
        writer.fullName == reader.fullName || writer.name == reader.name
            || readerAliases.contains { $0.fullName == writer.fullName }
    }

    func resolve(_ value: AvroValue, writer w: AvroSchema, reader r: AvroSchema, path: String) throws -> AvroValue {
        let w = writer.resolve(w)
        let r = reader.resolve(r)
        func fail(_ why: String) -> AvroCodecError {
            AvroCodecError("cannot resolve \(w.typeName) to \(r.typeName) at \(path.isEmpty ? "/" : path): \(why)")
        }
        if case .union(let wb) = w, case .union(let branch, let inner) = value {
            guard wb.indices.contains(branch) else { throw fail("union branch \(branch) out of range") }
            return try resolve(inner, writer: wb[branch], reader: r, path: path)
        }
        if case .union(let rb) = r {
            for (i, b) in rb.enumerated() where matches(writer: w, reader: reader.resolve(b)) {
                return .union(branch: i, try resolve(value, writer: w, reader: b, path: path))
            }
            throw fail("no branch of the reader's union matches")
        }
        switch (w, r, value) {
        case (.primitive(let wp, _), .primitive(let rp, _), _):
            switch (wp, rp, value) {
            case _ where wp == rp: return value
            case (.int, .long, .int(let i)): return .long(Int64(i))
            case (.int, .float, .int(let i)): return .float(Float(i))
            case (.int, .double, .int(let i)): return .double(Double(i))
            case (.long, .float, .long(let l)): return .float(Float(l))
            case (.long, .double, .long(let l)): return .double(Double(l))
            case (.float, .double, .float(let f)): return .double(Double(f))
            case (.string, .bytes, .string(let s)): return .bytes(Array(s.utf8))
            case (.bytes, .string, .bytes(let b)): return .string(String(decoding: b, as: UTF8.self))
            default: throw fail("no promotion from \(wp.rawValue) to \(rp.rawValue)")
            }
        case (.record(let wr), .record(let rr), .record(let values)):
            guard Self.namesMatch(writer: wr.name, reader: rr.name, readerAliases: rr.aliases) else { throw fail("record names differ") }
            var out: [AvroValue] = []
            out.reserveCapacity(rr.fields.count)
            for field in rr.fields {
                let candidates = [field.name] + field.aliases
                if let wi = wr.fields.firstIndex(where: { candidates.contains($0.name) }) {
                    out.append(try resolve(values[wi], writer: wr.fields[wi].type, reader: field.type, path: "\(path)/\(field.name)"))
                } else if let d = field.defaultValue {
                    do {
                        out.append(try AvroDefaults.value(fromJSON: d, schema: field.type, in: reader, taggedUnions: false))
                    } catch {
                        throw fail("default of field \(field.name) is invalid")
                    }
                } else {
                    throw fail("reader field \"\(field.name)\" is missing from the writer and has no default")
                }
            }
            return .record(out)
        case (.enumeration(let we), .enumeration(let re), .enumSymbol(let s)):
            guard Self.namesMatch(writer: we.name, reader: re.name, readerAliases: re.aliases) else { throw fail("enum names differ") }
            if re.symbols.contains(s) { return .enumSymbol(s) }
            if let d = re.defaultSymbol { return .enumSymbol(d) }
            throw fail("symbol \(s) is not in the reader's enum, which has no default")
        case (.fixed(let wf), .fixed(let rf), _):
            guard Self.namesMatch(writer: wf.name, reader: rf.name, readerAliases: rf.aliases), wf.size == rf.size else {
                throw fail("fixed names or sizes differ")
            }
            return value
        case (.array(let wi, _), .array(let ri, _), .array(let elements)):
            return .array(try elements.enumerated().map { try resolve($1, writer: wi, reader: ri, path: "\(path)/\($0)") })
        case (.map(let wv, _), .map(let rv, _), .map(let entries)):
            return .map(try entries.mapValues { try resolve($0, writer: wv, reader: rv, path: path) })
        default:
            throw fail("types do not match")
        }
    }

    /// Whether a writer type can be read as this reader type (first-match rule for unions).
    func matches(writer w: AvroSchema, reader r: AvroSchema) -> Bool {
        switch (w, r) {
        case (.primitive(let wp, _), .primitive(let rp, _)):
            if wp == rp { return true }
            switch (wp, rp) {
            case (.int, .long), (.int, .float), (.int, .double), (.long, .float), (.long, .double),
                 (.float, .double), (.string, .bytes), (.bytes, .string): return true
            default: return false
            }
        case (.record(let a), .record(let b)): return Self.namesMatch(writer: a.name, reader: b.name, readerAliases: b.aliases)
        case (.enumeration(let a), .enumeration(let b)): return Self.namesMatch(writer: a.name, reader: b.name, readerAliases: b.aliases)
        case (.fixed(let a), .fixed(let b)): return a.size == b.size && Self.namesMatch(writer: a.name, reader: b.name, readerAliases: b.aliases)
        case (.array, .array), (.map, .map): return true
        default: return false
        }
    }
}
