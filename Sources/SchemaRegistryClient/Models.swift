import Avro
import SchemaRegistryModel

/// The registry's reference type, as the client uses it.
public typealias SchemaReference = SchemaRegistryModel.SchemaReference

/// The registry's schema type (`AVRO`, `JSON`, `PROTOBUF`), as the client uses it.
public typealias SchemaType = SchemaRegistryModel.SchemaType

/// A schema as stored by the registry under a global id (`GET /schemas/ids/{id}`).
public struct RegisteredSchema: Sendable, Hashable {
    /// The global schema id: the number in the 5-byte Confluent framing.
    public var id: Int
    /// The schema text (JSON for Avro).
    public var schema: String
    /// `.avro`, `.json` or `.protobuf`; Confluent omits it on the wire for Avro.
    public var schemaType: SchemaType
    /// Named types this schema uses from other subjects.
    public var references: [SchemaReference]

    /// A registered schema.
    public init(id: Int, schema: String, schemaType: SchemaType = .avro, references: [SchemaReference] = []) {
        self.id = id
        self.schema = schema
        self.schemaType = schemaType
        self.references = references
    }
}

/// One version of a subject: the subject, its version number, the global id and the schema.
public struct SubjectVersion: Sendable, Hashable {
    /// The subject name (e.g. `prices.candles-value`).
    public var subject: String
    /// The global schema id.
    public var id: Int
    /// The version number within the subject, from 1.
    public var version: Int
    /// The schema text.
    public var schema: String
    /// `.avro`, `.json` or `.protobuf`.
    public var schemaType: SchemaType
    /// Named types this schema uses from other subjects.
    public var references: [SchemaReference]

    /// A subject version.
    public init(subject: String, id: Int, version: Int, schema: String, schemaType: SchemaType = .avro, references: [SchemaReference] = []) {
        self.subject = subject
        self.id = id
        self.version = version
        self.schema = schema
        self.schemaType = schemaType
        self.references = references
    }

    /// The same schema as a `RegisteredSchema` (id, text, type, references).
    public var registeredSchema: RegisteredSchema {
        RegisteredSchema(id: id, schema: schema, schemaType: schemaType, references: references)
    }
}

/// The answer of a compatibility test (`POST /compatibility/subjects/{s}/versions/{v}`).
public struct CompatibilityResult: Sendable, Hashable {
    /// Whether the candidate schema may be registered as the next version.
    public var isCompatible: Bool
    /// Why not, when the registry says (it does so with `verbose=true`); may be empty.
    public var messages: [String]

    /// A compatibility result.
    public init(isCompatible: Bool, messages: [String] = []) {
        self.isCompatible = isCompatible
        self.messages = messages
    }
}

// MARK: - Wire forms (internal)

/// Body of register, lookup and compatibility requests.
struct SchemaRequestBody: Encodable {
    var schema: String
    var schemaType: SchemaType
    var references: [SchemaReference]
}

/// `{"id": 1}` from `POST /subjects/{s}/versions`.
struct RegisterResponseBody: Decodable {
    var id: Int
}

/// `{"schema": "...", "schemaType": "AVRO", "references": [...]}` from `GET /schemas/ids/{id}`.
struct SchemaResponseBody: Decodable {
    var schema: String
    var schemaType: String?
    var references: [SchemaReference]?
}

/// `{"subject", "id", "version", "schema", ...}` from the subject-version and lookup endpoints.
struct SubjectVersionResponseBody: Decodable {
    var subject: String
    var id: Int
    var version: Int
    var schema: String
    var schemaType: String?
    var references: [SchemaReference]?
}

/// `{"is_compatible": true, "messages": [...]}`.
struct CompatibilityResponseBody: Decodable {
    var isCompatible: Bool
    var messages: [String]?

    enum CodingKeys: String, CodingKey {
        case isCompatible = "is_compatible"
        case messages
    }
}

/// `{"compatibility": "FULL"}` (PUT /config) or `{"compatibilityLevel": "FULL"}` (GET /config).
struct ConfigResponseBody: Decodable {
    var compatibility: String?
    var compatibilityLevel: String?
}

/// `{"compatibility": "FULL"}` for PUT /config.
struct ConfigRequestBody: Encodable {
    var compatibility: AvroCompatibilityLevel
}

/// `{"error_code": 40401, "message": "..."}`.
struct ErrorResponseBody: Decodable {
    var errorCode: Int?
    var message: String?

    enum CodingKeys: String, CodingKey {
        case errorCode = "error_code"
        case message
    }
}
