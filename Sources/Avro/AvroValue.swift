/// A value of an Avro schema, as Swift data.
public enum AvroValue: Sendable, Hashable {
    case null
    case boolean(Bool)
    case int(Int32)
    case long(Int64)
    case float(Float)
    case double(Double)
    case bytes([UInt8])
    case string(String)
    /// Field values in the schema's field order.
    case record([AvroValue])
    /// An enum symbol.
    case enumSymbol(String)
    case array([AvroValue])
    /// Map entries; keys are unique.
    case map([String: AvroValue])
    /// The index of the union branch and its value.
    indirect case union(branch: Int, AvroValue)
    case fixed([UInt8])
}

/// Converts JSON to Avro values: field defaults (untagged unions: the first branch)
/// and Avro's JSON encoding (unions tagged `{"type": value}`).
public enum AvroDefaults {
    /// Why `json` is not a valid default for `schema`, or nil when it is.
    public static func validate(_ json: JSONValue, for schema: AvroSchema, in parsed: AvroParsedSchema) -> String? {
        do {
            _ = try value(fromJSON: json, schema: schema, in: parsed, taggedUnions: false)
            return nil
        } catch let e as AvroSchemaError {
            return e.message
        } catch {
            return "\(error)"
        }
    }

    /// Converts a JSON value to an Avro value of `schema`.
    /// - Parameter taggedUnions: true for Avro's JSON encoding (`{"string": "x"}`),
    ///   false for field defaults (the value of the union's first branch).
    public static func value(fromJSON json: JSONValue, schema: AvroSchema, in parsed: AvroParsedSchema, taggedUnions: Bool) throws -> AvroValue {
        func fail(_ what: String) -> AvroSchemaError { AvroSchemaError("expected \(what), got \(json.compactText)", path: "") }
        switch parsed.resolve(schema) {
        case .primitive(let p, _):
            switch (p, json) {
            case (.null, .null): return .null
            case (.boolean, .bool(let b)): return .boolean(b)
            case (.int, _):
                guard let i = json.int64Value, let v = Int32(exactly: i) else { throw fail("an int") }
                return .int(v)
            case (.long, _):
                guard let i = json.int64Value else { throw fail("a long") }
                return .long(i)
            case (.float, _):
                guard let d = json.doubleValue else { throw fail("a float") }
                return .float(Float(d))
            case (.double, _):
                guard let d = json.doubleValue else { throw fail("a double") }
                return .double(d)
            case (.bytes, .string(let s)): return .bytes(try latin1Bytes(s))
            case (.string, .string(let s)): return .string(s)
            default: throw fail(p.rawValue)
            }
        case .fixed(let f):
            guard case .string(let s) = json else { throw fail("a string of \(f.size) bytes") }
            let bytes = try latin1Bytes(s)
            guard bytes.count == f.size else { throw fail("\(f.size) bytes") }
            return .fixed(bytes)
        case .enumeration(let e):
            guard let s = json.stringValue, e.symbols.contains(s) else { throw fail("one of the symbols \(e.symbols)") }
            return .enumSymbol(s)
        case .array(let items, _):
            guard let arr = json.arrayValue else { throw fail("an array") }
            return .array(try arr.map { try value(fromJSON: $0, schema: items, in: parsed, taggedUnions: taggedUnions) })
        case .map(let values, _):
            guard let obj = json.objectValue else { throw fail("an object") }
            var out: [String: AvroValue] = [:]
            for (k, v) in obj { out[k] = try value(fromJSON: v, schema: values, in: parsed, taggedUnions: taggedUnions) }
            return .map(out)
        case .record(let r):
            guard json.objectValue != nil else { throw fail("an object for record \(r.name.fullName)") }
            return .record(try r.fields.map { field in
                if let v = json[field.name] {
                    return try value(fromJSON: v, schema: field.type, in: parsed, taggedUnions: taggedUnions)
                }
                if let d = field.defaultValue {
                    return try value(fromJSON: d, schema: field.type, in: parsed, taggedUnions: false)
                }
                throw AvroSchemaError("missing field \"\(field.name)\" of record \(r.name.fullName)", path: "")
            })
        case .union(let branches):
            guard !branches.isEmpty else { throw fail("a value of an empty union") }
            if !taggedUnions {
                return .union(branch: 0, try value(fromJSON: json, schema: branches[0], in: parsed, taggedUnions: false))
            }
            if case .null = json, let i = branches.firstIndex(where: { if case .primitive(.null, _) = $0 { return true }; return false }) {
                return .union(branch: i, .null)
            }
            guard let obj = json.objectValue, obj.count == 1 else { throw fail("a union value {\"type\": value}") }
            let (tag, inner) = obj[0]
            guard let i = branches.firstIndex(where: { unionTag($0) == tag }) else { throw fail("a branch of the union") }
            return .union(branch: i, try value(fromJSON: inner, schema: branches[i], in: parsed, taggedUnions: true))
        case .reference(let n):
            throw AvroSchemaError("unknown type \(n.fullName)", path: "")
        }
    }

    /// The name a union branch is tagged with in Avro's JSON encoding.
    static func unionTag(_ schema: AvroSchema) -> String {
        switch schema {
        case .primitive(let p, _): return p.rawValue
        case .array: return "array"
        case .map: return "map"
        default: return schema.fullName ?? ""
        }
    }

    static func latin1Bytes(_ s: String) throws -> [UInt8] {
        try s.unicodeScalars.map {
            guard $0.value <= 0xFF else { throw AvroSchemaError("bytes default has a code point above U+00FF", path: "") }
            return UInt8($0.value)
        }
    }
}
