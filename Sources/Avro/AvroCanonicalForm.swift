extension AvroParsedSchema {
    /// The Parsing Canonical Form, exactly as the Avro specification defines it:
    /// primitives as bare names, full names, only `name,type,fields,symbols,items,values,size`
    /// in that order, no whitespace. Types from references are expanded at first use.
    public var canonicalForm: String {
        var writer = AvroSchemaWriter(schema: self, style: .canonical)
        writer.write(root)
        return writer.out
    }

    /// The CRC-64-AVRO fingerprint of the canonical form (the specification's "Rabin" fingerprint).
    public var fingerprint: UInt64 { AvroFingerprint.crc64(Array(canonicalForm.utf8)) }

    /// The form handed to avro-c: canonical, with the types avro-c cannot hold that encode as
    /// no bytes (zero-size fixed types, records without fields) as `null`, and a placeholder
    /// symbol or branch in enums and unions that have none.
    var avroCForm: String {
        var writer = AvroSchemaWriter(schema: self, style: .avroC)
        writer.write(root)
        return writer.out
    }

    /// The schema with every attribute but `doc`, in a fixed key order, full names and no
    /// whitespace. Two schemas with the same normalized form are the same schema to the registry.
    public var normalizedForm: String {
        var writer = AvroSchemaWriter(schema: self, style: .normalized)
        writer.write(root)
        return writer.out
    }

    /// The normalized form with the named types in `external` (full names) written by name,
    /// never expanded: the text of a schema whose references define those types, which must
    /// parse again with the same references.
    public func normalizedForm(external: Set<String>) -> String {
        var writer = AvroSchemaWriter(schema: self, style: .normalized)
        writer.emitted = external
        writer.write(root)
        return writer.out
    }
}

/// The CRC-64-AVRO fingerprint.
public enum AvroFingerprint {
    static let empty: UInt64 = 0xC15D_213A_A4D7_A795
    static let table: [UInt64] = (0..<256).map { i in
        var fp = UInt64(i)
        for _ in 0..<8 { fp = (fp >> 1) ^ (empty & (0 &- (fp & 1))) }
        return fp
    }

    /// CRC-64-AVRO of `bytes`.
    public static func crc64(_ bytes: [UInt8]) -> UInt64 {
        var fp = empty
        for b in bytes { fp = (fp >> 8) ^ table[Int((fp ^ UInt64(b)) & 0xFF)] }
        return fp
    }
}

struct AvroSchemaWriter {
    enum Style {
        case canonical, normalized
        /// The canonical form with zero-size fixed types and records without fields written as
        /// `null` (all encode as no bytes): avro-c cannot allocate a zero-size fixed value, nor
        /// append a record without fields to an array. Enums without symbols and unions without
        /// branches, which avro-c refuses and no value has, get a symbol or branch.
        case avroC
    }
    let schema: AvroParsedSchema
    let style: Style
    var out = ""
    var emitted: Set<String> = []

    init(schema: AvroParsedSchema, style: Style) {
        self.schema = schema
        self.style = style
    }

    /// A zero-size fixed type or a record without fields: written as `null` for avro-c.
    static func encodesAsNullForAvroC(_ node: AvroSchema) -> Bool {
        switch node {
        case .fixed(let f): return f.size == 0
        case .record(let r): return r.fields.isEmpty
        default: return false
        }
    }

    mutating func key(_ k: String, first: inout Bool) {
        if !first { out += "," }
        first = false
        JSONValue.writeString(k, to: &out)
        out += ":"
    }

    mutating func string(_ s: String) { JSONValue.writeString(s, to: &out) }

    mutating func extras(_ attrs: AvroAttributes, first: inout Bool) {
        guard style == .normalized else { return }
        if let lt = attrs.logicalType { key("logicalType", first: &first); string(lt) }
        for k in attrs.properties.keys.sorted() {
            key(k, first: &first)
            out += attrs.properties[k]!.compactText
        }
    }

    mutating func aliases(_ names: [AvroName], first: inout Bool) {
        guard style == .normalized, !names.isEmpty else { return }
        key("aliases", first: &first)
        out += "[" + names.map(\.fullName).sorted().map { JSONValue.string($0).compactText }.joined(separator: ",") + "]"
    }

    mutating func write(_ node: AvroSchema) {
        switch node {
        case .primitive(let p, let attrs):
            if style == .normalized, attrs.logicalType != nil || !attrs.properties.isEmpty {
                var first = true
                out += "{"
                key("type", first: &first); string(p.rawValue)
                extras(attrs, first: &first)
                out += "}"
            } else {
                string(p.rawValue)
            }
        case .reference(let name):
            if style == .avroC, let definition = schema.namedTypes[name.fullName], Self.encodesAsNullForAvroC(definition) {
                string("null")
            } else if !emitted.contains(name.fullName), let def = schema.namedTypes[name.fullName] {
                write(def)
            } else {
                string(name.fullName)
            }
        case .record(let r):
            if style == .avroC, r.fields.isEmpty { string("null"); return }
            guard emitted.insert(r.name.fullName).inserted else { string(r.name.fullName); return }
            var first = true
            out += "{"
            key("name", first: &first); string(r.name.fullName)
            key("type", first: &first); string(r.isError && style == .normalized ? "error" : "record")
            key("fields", first: &first)
            out += "["
            for (i, f) in r.fields.enumerated() {
                if i > 0 { out += "," }
                var ff = true
                out += "{"
                key("name", first: &ff); string(f.name)
                key("type", first: &ff); write(f.type)
                if style == .normalized {
                    if let d = f.defaultValue { key("default", first: &ff); out += d.compactText }
                    if f.order != .ascending { key("order", first: &ff); string(f.order.rawValue) }
                    if !f.aliases.isEmpty {
                        key("aliases", first: &ff)
                        out += "[" + f.aliases.sorted().map { JSONValue.string($0).compactText }.joined(separator: ",") + "]"
                    }
                    extras(f.attributes, first: &ff)
                }
                out += "}"
            }
            out += "]"
            aliases(r.aliases, first: &first)
            extras(r.attributes, first: &first)
            out += "}"
        case .enumeration(let e):
            guard emitted.insert(e.name.fullName).inserted else { string(e.name.fullName); return }
            var first = true
            out += "{"
            key("name", first: &first); string(e.name.fullName)
            key("type", first: &first); string("enum")
            key("symbols", first: &first)
            // avro-c refuses an enum without symbols; no value has one, and the validator
            // rejects every index, so avro-c can be given any symbol.
            let symbols = style == .avroC && e.symbols.isEmpty ? ["_"] : e.symbols
            out += "[" + symbols.map { JSONValue.string($0).compactText }.joined(separator: ",") + "]"
            if style == .normalized, let d = e.defaultSymbol { key("default", first: &first); string(d) }
            aliases(e.aliases, first: &first)
            extras(e.attributes, first: &first)
            out += "}"
        case .fixed(let f):
            if style == .avroC, f.size == 0 { string("null"); return }
            guard emitted.insert(f.name.fullName).inserted else { string(f.name.fullName); return }
            var first = true
            out += "{"
            key("name", first: &first); string(f.name.fullName)
            key("type", first: &first); string("fixed")
            key("size", first: &first); out += String(f.size)
            aliases(f.aliases, first: &first)
            extras(f.attributes, first: &first)
            out += "}"
        case .array(let items, let attrs):
            var first = true
            out += "{"
            key("type", first: &first); string("array")
            key("items", first: &first); write(items)
            extras(attrs, first: &first)
            out += "}"
        case .map(let values, let attrs):
            var first = true
            out += "{"
            key("type", first: &first); string("map")
            key("values", first: &first); write(values)
            extras(attrs, first: &first)
            out += "}"
        case .union(let branches):
            // Likewise a union without branches: avro-c gets one it never reads.
            if style == .avroC, branches.isEmpty { out += #"["null"]"#; return }
            out += "["
            for (i, b) in branches.enumerated() {
                if i > 0 { out += "," }
                write(b)
            }
            out += "]"
        }
    }
}
