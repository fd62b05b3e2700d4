/// Why a schema was rejected, with the JSON path of the offending node (`/fields/2/type`).
public struct AvroSchemaError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public var path: String
    public init(_ message: String, path: String) {
        self.message = message
        self.path = path
    }
    public var description: String { "invalid Avro schema at \(path.isEmpty ? "/" : path): \(message)" }
}

extension AvroParsedSchema {
    /// Parses and validates a schema's JSON text.
    /// - Parameters:
    ///   - text: the schema JSON.
    ///   - predefined: named types already known (from schema references), by full name.
    ///   - maxDepth: the deepest nesting accepted; deeper schemas are rejected.
    /// - Throws: `AvroSchemaError` naming what is wrong and where.
    public init(parsing text: String, predefined: [String: AvroSchema] = [:], maxDepth: Int = 64) throws {
        let json: JSONValue
        do {
            json = try JSONValue(parsing: text, maxDepth: maxDepth * 4 + 8)
        } catch let e as JSONParseError {
            throw AvroSchemaError("malformed JSON: \(e.message) (byte \(e.offset))", path: "")
        }
        try self.init(json: json, predefined: predefined, maxDepth: maxDepth)
    }

    /// Parses and validates a schema already read as JSON.
    public init(json: JSONValue, predefined: [String: AvroSchema] = [:], maxDepth: Int = 64) throws {
        var parser = AvroSchemaParser(named: predefined, maxDepth: maxDepth)
        let root = try parser.parse(json, namespace: nil, path: "", depth: 0)
        var defined = parser.named
        for key in predefined.keys where !parser.definedHere.contains(key) { defined[key] = predefined[key] }
        self.init(root: root, namedTypes: defined)
    }
}

struct AvroSchemaParser {
    var named: [String: AvroSchema]
    var definedHere: Set<String> = []
    let maxDepth: Int

    init(named: [String: AvroSchema], maxDepth: Int) {
        self.named = named
        self.maxDepth = maxDepth
    }

    static func isValidName(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else { return false }
        return s.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
    }

    static func isValidNamespace(_ s: String) -> Bool {
        s.isEmpty || s.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { isValidName(String($0)) }
    }

    func makeName(_ raw: String, namespace explicit: JSONValue?, enclosing: String?, path: String) throws -> AvroName {
        var ns: String?
        if let explicit {
            guard let s = explicit.stringValue else { throw AvroSchemaError("\"namespace\" must be a string", path: path + "/namespace") }
            ns = s
        } else {
            ns = enclosing
        }
        var name = raw
        if let dot = raw.lastIndex(of: ".") {
            ns = String(raw[..<dot])
            name = String(raw[raw.index(after: dot)...])
        }
        guard AvroSchemaParser.isValidName(name) else {
            throw AvroSchemaError("invalid name \"\(raw)\": names start with [A-Za-z_] and contain only [A-Za-z0-9_]", path: path + "/name")
        }
        if let ns, !AvroSchemaParser.isValidNamespace(ns) {
            throw AvroSchemaError("invalid namespace \"\(ns)\"", path: path + "/namespace")
        }
        return AvroName(name: name, namespace: ns)
    }

    func aliases(_ json: JSONValue?, namespace: String?, path: String) throws -> [AvroName] {
        guard let json else { return [] }
        guard let arr = json.arrayValue else { throw AvroSchemaError("\"aliases\" must be an array of names", path: path) }
        return try arr.enumerated().map { i, v in
            guard let s = v.stringValue else { throw AvroSchemaError("alias must be a string", path: "\(path)/\(i)") }
            return try makeName(s, namespace: nil, enclosing: namespace, path: "\(path)/\(i)")
        }
    }

    func attributes(_ members: [(String, JSONValue)], reserved: Set<String>) -> AvroAttributes {
        var attrs = AvroAttributes()
        for (k, v) in members where !reserved.contains(k) {
            switch k {
            case "logicalType": attrs.logicalType = v.stringValue
            case "doc": attrs.doc = v.stringValue
            default: attrs.properties[k] = v
            }
        }
        return attrs
    }

    mutating func define(_ name: AvroName, _ schema: AvroSchema, path: String) throws {
        let key = name.fullName
        if let primitive = AvroPrimitive(rawValue: name.name), name.namespace == nil {
            throw AvroSchemaError("\"\(primitive.rawValue)\" is a primitive type and cannot be redefined", path: path + "/name")
        }
        if definedHere.contains(key) || named[key] != nil {
            throw AvroSchemaError("the name \(key) is defined twice", path: path + "/name")
        }
        definedHere.insert(key)
        named[key] = schema
    }

    mutating func parse(_ json: JSONValue, namespace: String?, path: String, depth: Int) throws -> AvroSchema {
        guard depth <= maxDepth else {
            throw AvroSchemaError("schema nested deeper than \(maxDepth) levels", path: path)
        }
        switch json {
        case .string(let s):
            return try typeReference(s, namespace: namespace, path: path)
        case .array(let branches):
            return try parseUnion(branches, namespace: namespace, path: path, depth: depth)
        case .object(let members):
            return try parseObject(members, json: json, namespace: namespace, path: path, depth: depth)
        default:
            throw AvroSchemaError("a schema must be a type name, an object or an array (union), not \(json.compactText)", path: path)
        }
    }

    func typeReference(_ s: String, namespace: String?, path: String) throws -> AvroSchema {
        if let p = AvroPrimitive(rawValue: s) { return .primitive(p) }
        if !s.contains("."), let ns = namespace, named["\(ns).\(s)"] != nil {
            return .reference(AvroName(name: s, namespace: ns))
        }
        if named[s] != nil {
            let name = try makeName(s, namespace: nil, enclosing: nil, path: path)
            return .reference(name)
        }
        throw AvroSchemaError("unknown type name \"\(s)\"", path: path)
    }

    mutating func parseUnion(_ branches: [JSONValue], namespace: String?, path: String, depth: Int) throws -> AvroSchema {
        var types: [AvroSchema] = []
        var seen: Set<String> = []
        for (i, b) in branches.enumerated() {
            let t = try parse(b, namespace: namespace, path: "\(path)/\(i)", depth: depth + 1)
            if case .union = t { throw AvroSchemaError("a union may not directly contain another union", path: "\(path)/\(i)") }
            let key: String
            switch t {
            case .primitive(let p, _): key = p.rawValue
            case .array: key = "array"
            case .map: key = "map"
            default: key = t.fullName ?? t.typeName
            }
            if !seen.insert(key).inserted { throw AvroSchemaError("the union contains \(key) twice", path: "\(path)/\(i)") }
            types.append(t)
        }
        return .union(types)
    }

    mutating func parseObject(_ members: [(String, JSONValue)], json: JSONValue, namespace: String?, path: String, depth: Int) throws -> AvroSchema {
        guard let typeJSON = json["type"] else { throw AvroSchemaError("missing \"type\"", path: path) }
        guard case .string(let type) = typeJSON else {
            // {"type": {...}} or {"type": [...]}: a wrapped schema.
            return try parse(typeJSON, namespace: namespace, path: path + "/type", depth: depth + 1)
        }
        switch type {
        case "record", "error":
            return try parseRecord(json, members: members, isError: type == "error", namespace: namespace, path: path, depth: depth)
        case "enum":
            guard let rawName = json["name"]?.stringValue else { throw AvroSchemaError("an enum needs a \"name\"", path: path) }
            let name = try makeName(rawName, namespace: json["namespace"], enclosing: namespace, path: path)
            guard let symJSON = json["symbols"]?.arrayValue else { throw AvroSchemaError("an enum needs \"symbols\", an array of names", path: path) }
            var symbols: [String] = []
            for (i, s) in symJSON.enumerated() {
                guard let sym = s.stringValue, AvroSchemaParser.isValidName(sym) else {
                    throw AvroSchemaError("invalid enum symbol \(s.compactText)", path: "\(path)/symbols/\(i)")
                }
                if symbols.contains(sym) { throw AvroSchemaError("duplicate enum symbol \"\(sym)\"", path: "\(path)/symbols/\(i)") }
                symbols.append(sym)
            }
            var defaultSymbol: String?
            if let d = json["default"] {
                guard let s = d.stringValue, symbols.contains(s) else {
                    throw AvroSchemaError("enum default \(d.compactText) is not one of its symbols", path: path + "/default")
                }
                defaultSymbol = s
            }
            let e = AvroEnumSchema(name: name, aliases: try aliases(json["aliases"], namespace: name.namespace, path: path + "/aliases"),
                                   symbols: symbols, defaultSymbol: defaultSymbol,
                                   attributes: attributes(members, reserved: ["type", "name", "namespace", "aliases", "symbols", "default"]))
            let schema = AvroSchema.enumeration(e)
            try define(name, schema, path: path)
            return schema
        case "fixed":
            guard let rawName = json["name"]?.stringValue else { throw AvroSchemaError("a fixed needs a \"name\"", path: path) }
            let name = try makeName(rawName, namespace: json["namespace"], enclosing: namespace, path: path)
            guard let size = json["size"]?.int64Value, size >= 0, size <= Int32.max else {
                throw AvroSchemaError("a fixed needs \"size\", a non-negative integer", path: path + "/size")
            }
            let f = AvroFixedSchema(name: name, aliases: try aliases(json["aliases"], namespace: name.namespace, path: path + "/aliases"),
                                    size: Int(size), attributes: attributes(members, reserved: ["type", "name", "namespace", "aliases", "size"]))
            let schema = AvroSchema.fixed(f)
            try define(name, schema, path: path)
            return schema
        case "array":
            guard let items = json["items"] else { throw AvroSchemaError("an array needs \"items\"", path: path) }
            let itemSchema = try parse(items, namespace: namespace, path: path + "/items", depth: depth + 1)
            return .array(items: itemSchema, attributes(members, reserved: ["type", "items"]))
        case "map":
            guard let values = json["values"] else { throw AvroSchemaError("a map needs \"values\"", path: path) }
            let valueSchema = try parse(values, namespace: namespace, path: path + "/values", depth: depth + 1)
            return .map(values: valueSchema, attributes(members, reserved: ["type", "values"]))
        default:
            if let p = AvroPrimitive(rawValue: type) {
                return .primitive(p, attributes(members, reserved: ["type"]))
            }
            // {"type": "SomeNamedType"}
            return try typeReference(type, namespace: namespace, path: path + "/type")
        }
    }

    mutating func parseRecord(_ json: JSONValue, members: [(String, JSONValue)], isError: Bool, namespace: String?, path: String, depth: Int) throws -> AvroSchema {
        guard let rawName = json["name"]?.stringValue else { throw AvroSchemaError("a record needs a \"name\"", path: path) }
        let name = try makeName(rawName, namespace: json["namespace"], enclosing: namespace, path: path)
        guard let fieldsJSON = json["fields"]?.arrayValue else { throw AvroSchemaError("a record needs \"fields\", an array", path: path) }
        let recordAliases = try aliases(json["aliases"], namespace: name.namespace, path: path + "/aliases")
        let attrs = attributes(members, reserved: ["type", "name", "namespace", "aliases", "fields"])
        // Define the name first so that fields may refer to it (recursive types).
        let placeholder = AvroRecordSchema(name: name, aliases: recordAliases, fields: [], isError: isError, attributes: attrs)
        try define(name, .record(placeholder), path: path)
        var fields: [AvroField] = []
        for (i, f) in fieldsJSON.enumerated() {
            let fpath = "\(path)/fields/\(i)"
            guard case .object(let fmembers) = f else { throw AvroSchemaError("a field must be an object", path: fpath) }
            guard let fname = f["name"]?.stringValue else { throw AvroSchemaError("a field needs a \"name\"", path: fpath) }
            guard AvroSchemaParser.isValidName(fname) else {
                throw AvroSchemaError("invalid field name \"\(fname)\": names start with [A-Za-z_] and contain only [A-Za-z0-9_]", path: fpath + "/name")
            }
            if fields.contains(where: { $0.name == fname }) {
                throw AvroSchemaError("duplicate field name \"\(fname)\"", path: fpath + "/name")
            }
            guard let ftype = f["type"] else { throw AvroSchemaError("field \"\(fname)\" needs a \"type\"", path: fpath) }
            let type = try parse(ftype, namespace: name.namespace, path: fpath + "/type", depth: depth + 1)
            let defaultValue = f["default"]
            if let defaultValue {
                let parsedSoFar = AvroParsedSchema(root: type, namedTypes: named)
                if let problem = AvroDefaults.validate(defaultValue, for: type, in: parsedSoFar) {
                    throw AvroSchemaError("default value \(defaultValue.compactText) of field \"\(fname)\" is invalid: \(problem)", path: fpath + "/default")
                }
            }
            var order = AvroFieldOrder.ascending
            if let o = f["order"] {
                guard let s = o.stringValue, let parsed = AvroFieldOrder(rawValue: s) else {
                    throw AvroSchemaError("\"order\" must be ascending, descending or ignore", path: fpath + "/order")
                }
                order = parsed
            }
            let fieldAliases = try (f["aliases"]?.arrayValue ?? []).enumerated().map { j, a -> String in
                guard let s = a.stringValue, AvroSchemaParser.isValidName(s) else {
                    throw AvroSchemaError("invalid field alias \(a.compactText)", path: "\(fpath)/aliases/\(j)")
                }
                return s
            }
            fields.append(AvroField(name: fname, type: type, defaultValue: defaultValue, aliases: fieldAliases, order: order,
                                    attributes: attributes(fmembers, reserved: ["name", "type", "default", "order", "aliases"])))
        }
        let record = AvroSchema.record(AvroRecordSchema(name: name, aliases: recordAliases, fields: fields, isError: isError, attributes: attrs))
        named[name.fullName] = record
        return record
    }
}
