import SchemaRegistryModel
import Avro

/// Compatibility levels, as Confluent names them.
public typealias CompatibilityLevel = AvroCompatibilityLevel

/// The registry's mode.
public enum RegistryMode: String, Sendable, Codable, Hashable, CaseIterable {
    /// Normal operation.
    case readWrite = "READWRITE"
    /// Writes are refused.
    case readOnly = "READONLY"
    /// Registrations carry their id and version (migrating from another registry); no compatibility checks.
    case `import` = "IMPORT"
}

/// A schema with a global id.
public struct StoredSchema: Sendable, Hashable {
    public var id: Int
    /// The schema text as returned by the API (compact JSON).
    public var text: String
    public var schemaType: String
    public var references: [SchemaReference]
    /// `text` as a JSON string literal, rendered once so that reads by id only concatenate.
    public let textLiteral: String

    public init(id: Int, text: String, schemaType: String, references: [SchemaReference]) {
        self.id = id
        self.text = text
        self.schemaType = schemaType
        self.references = references
        self.textLiteral = JSONValue.string(text).compactText
    }
}

/// One version of a subject.
public struct RegistrySubjectVersion: Sendable, Hashable {
    public var version: Int
    public var id: Int
    public var deleted: Bool
}

/// A command appended to the `_schemas` log. Every instance applies commands in log
/// order with the same rules, so ids and versions are assigned identically everywhere.
public enum RegistryCommand: Sendable, Hashable, Codable {
    case register(RegisterCommand)
    case deleteVersion(subject: String, version: Int, permanent: Bool)
    case deleteSubject(subject: String, permanent: Bool)
    case setCompatibility(subject: String?, level: CompatibilityLevel)
    case deleteCompatibility(subject: String?)
    case setMode(subject: String?, mode: RegistryMode, force: Bool)
    case deleteMode(subject: String?)
    /// Writes nothing; an instance appends one to learn it has read the log up to that point.
    case noop
}

/// A registration request as it travels through the log.
public struct RegisterCommand: Sendable, Hashable, Codable {
    public var subject: String
    public var schema: String
    public var schemaType: String
    public var references: [SchemaReference]
    public var normalize: Bool
    /// Only in IMPORT mode: the id and version to register with.
    public var id: Int?
    public var version: Int?

    public init(subject: String, schema: String, schemaType: String = "AVRO", references: [SchemaReference] = [],
                normalize: Bool = false, id: Int? = nil, version: Int? = nil) {
        self.subject = subject
        self.schema = schema
        self.schemaType = schemaType
        self.references = references
        self.normalize = normalize
        self.id = id
        self.version = version
    }
}

/// One log record: a command and the request it answers.
public struct RegistryLogRecord: Sendable, Hashable, Codable {
    /// Unique per request; the instance that appended it waits for its outcome.
    public var requestID: String
    public var command: RegistryCommand
}

/// What applying a command produced.
public enum RegistryOutcome: Sendable, Hashable {
    case registered(id: Int, version: Int)
    case deletedVersions([Int])
    case compatibility(CompatibilityLevel?)
    case mode(RegistryMode?)
    case done
    case rejected(RegistryError)
}
