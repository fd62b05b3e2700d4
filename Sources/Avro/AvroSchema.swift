/// An Avro primitive type.
public enum AvroPrimitive: String, Sendable, Hashable, CaseIterable {
    case null, boolean, int, long, float, double, bytes, string
}

/// A full Avro name: `namespace.name`.
public struct AvroName: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var namespace: String?
    public init(name: String, namespace: String?) {
        self.name = name
        self.namespace = (namespace?.isEmpty ?? true) ? nil : namespace
    }
    /// The full name (`namespace.name`, or `name` without a namespace).
    public var fullName: String { namespace.map { "\($0).\(name)" } ?? name }
    public var description: String { fullName }
}

/// Attributes of a schema node other than its structure: logicalType, doc and custom properties.
public struct AvroAttributes: Sendable, Hashable {
    /// The `logicalType` attribute, if any.
    public var logicalType: String?
    public var doc: String?
    /// Every other attribute (e.g. `precision`, `scale`, custom properties), in source order.
    public var properties: [String: JSONValue]
    public init(logicalType: String? = nil, doc: String? = nil, properties: [String: JSONValue] = [:]) {
        self.logicalType = logicalType
        self.doc = doc
        self.properties = properties
    }
}

/// Sort order of a record field.
public enum AvroFieldOrder: String, Sendable, Hashable { case ascending, descending, ignore }

/// A field of a record schema.
public struct AvroField: Sendable, Hashable {
    public var name: String
    public var type: AvroSchema
    public var defaultValue: JSONValue?
    public var aliases: [String]
    public var order: AvroFieldOrder
    public var attributes: AvroAttributes
}

/// A record schema.
public struct AvroRecordSchema: Sendable, Hashable {
    public var name: AvroName
    public var aliases: [AvroName]
    public var fields: [AvroField]
    public var isError: Bool
    public var attributes: AvroAttributes
}

/// An enum schema.
public struct AvroEnumSchema: Sendable, Hashable {
    public var name: AvroName
    public var aliases: [AvroName]
    public var symbols: [String]
    public var defaultSymbol: String?
    public var attributes: AvroAttributes
}

/// A fixed schema.
public struct AvroFixedSchema: Sendable, Hashable {
    public var name: AvroName
    public var aliases: [AvroName]
    public var size: Int
    public var attributes: AvroAttributes
}

/// A logical type recognised from a schema's `logicalType` attribute.
public enum AvroLogicalType: Sendable, Hashable {
    case decimal(precision: Int, scale: Int)
    case uuid, date, timeMillis, timeMicros, timestampMillis, timestampMicros
    case localTimestampMillis, localTimestampMicros, duration
}

/// An Avro schema node. Named types appear in full where first defined and as
/// `.reference` afterwards (which is how recursive types are expressed).
public indirect enum AvroSchema: Sendable, Hashable {
    case primitive(AvroPrimitive, AvroAttributes)
    case record(AvroRecordSchema)
    case enumeration(AvroEnumSchema)
    case fixed(AvroFixedSchema)
    case array(items: AvroSchema, AvroAttributes)
    case map(values: AvroSchema, AvroAttributes)
    case union([AvroSchema])
    /// A use of a named type defined elsewhere in the schema (or in a referenced schema).
    case reference(AvroName)

    public static func primitive(_ p: AvroPrimitive) -> AvroSchema { .primitive(p, AvroAttributes()) }

    /// The full name when this is a named type or a reference to one.
    public var fullName: String? {
        switch self {
        case .record(let r): return r.name.fullName
        case .enumeration(let e): return e.name.fullName
        case .fixed(let f): return f.name.fullName
        case .reference(let n): return n.fullName
        default: return nil
        }
    }

    /// The type's name as used in messages: `int`, `record com.x.Candle`, `union`.
    public var typeName: String {
        switch self {
        case .primitive(let p, _): return p.rawValue
        case .record(let r): return "record \(r.name.fullName)"
        case .enumeration(let e): return "enum \(e.name.fullName)"
        case .fixed(let f): return "fixed \(f.name.fullName)"
        case .array: return "array"
        case .map: return "map"
        case .union: return "union"
        case .reference(let n): return n.fullName
        }
    }

    var attributes: AvroAttributes? {
        switch self {
        case .primitive(_, let a), .array(_, let a), .map(_, let a): return a
        case .record(let r): return r.attributes
        case .enumeration(let e): return e.attributes
        case .fixed(let f): return f.attributes
        case .union, .reference: return nil
        }
    }

    /// The logical type, when the attribute is present and valid for the underlying type
    /// (an invalid logical type is ignored, as the specification requires).
    public var logicalType: AvroLogicalType? {
        guard let attrs = attributes, let lt = attrs.logicalType else { return nil }
        switch (lt, self) {
        case ("decimal", .primitive(.bytes, _)), ("decimal", .fixed):
            guard let p = attrs.properties["precision"]?.int64Value, p > 0 else { return nil }
            let s = attrs.properties["scale"]?.int64Value ?? 0
            guard s >= 0, s <= p else { return nil }
            if case .fixed(let f) = self {
                let maxDigits = Int((Double(8 * f.size - 1) * 0.30102999566398120).rounded(.down))
                guard p <= maxDigits else { return nil }
            }
            return .decimal(precision: Int(p), scale: Int(s))
        case ("uuid", .primitive(.string, _)): return .uuid
        case ("date", .primitive(.int, _)): return .date
        case ("time-millis", .primitive(.int, _)): return .timeMillis
        case ("time-micros", .primitive(.long, _)): return .timeMicros
        case ("timestamp-millis", .primitive(.long, _)): return .timestampMillis
        case ("timestamp-micros", .primitive(.long, _)): return .timestampMicros
        case ("local-timestamp-millis", .primitive(.long, _)): return .localTimestampMillis
        case ("local-timestamp-micros", .primitive(.long, _)): return .localTimestampMicros
        case ("duration", .fixed(let f)) where f.size == 12: return .duration
        default: return nil
        }
    }
}

/// A parsed schema: its root and every named type it defines or references.
public struct AvroParsedSchema: Sendable, Hashable {
    public var root: AvroSchema
    /// Named types by full name, as defined (never `.reference`).
    public var namedTypes: [String: AvroSchema]

    /// Follows a `.reference` to its definition.
    public func resolve(_ schema: AvroSchema) -> AvroSchema {
        if case .reference(let n) = schema, let def = namedTypes[n.fullName] { return def }
        return schema
    }
}
