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
    /// The global id.
    public var id: Int
    /// The schema text as returned by the API (compact JSON).
    public var text: String
    /// Always `.avro` here: the only type this registry stores.
    public var schemaType: SchemaType
    /// Named types the schema takes from other subject versions.
    public var references: [SchemaReference]
    /// `text` as a JSON string literal, rendered once so that reads by id only concatenate.
    public let textLiteral: String

    /// A stored schema; renders `textLiteral` once.
    public init(id: Int, text: String, schemaType: SchemaType, references: [SchemaReference]) {
        self.id = id
        self.text = text
        self.schemaType = schemaType
        self.references = references
        self.textLiteral = JSONValue.string(text).compactText
    }
}

/// One version of a subject.
public struct RegistrySubjectVersion: Sendable, Hashable {
    /// The version number within the subject, from 1.
    public var version: Int
    /// The global id of the version's schema.
    public var id: Int
    /// Soft-deleted: hidden unless asked for, still readable by id.
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
    /// The subject to register under.
    public var subject: String
    /// The schema text as the client sent it.
    public var schema: String
    /// Encoded as its wire name, so any type name read from the log decodes.
    public var schemaType: SchemaType
    /// Named types the schema takes from other subject versions.
    public var references: [SchemaReference]
    /// Store the normalized form instead of the compacted text (`?normalize=true`).
    public var normalize: Bool
    /// Only in IMPORT mode: the id to register with.
    public var id: Int?
    /// Only in IMPORT mode: the version to register as (the next one when nil).
    public var version: Int?

    /// A registration of `schema` under `subject`.
    public init(subject: String, schema: String, schemaType: SchemaType = .avro, references: [SchemaReference] = [],
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

/// One log record: a command, the request it answers, and the format version it was written with.
public struct RegistryLogRecord: Sendable, Hashable, Codable {
    /// The format version this code writes, and the newest it applies.
    ///
    /// - 1: the first format (records without a `v` field).
    /// - 2: adds `v`. A registration without an id is refused in IMPORT mode, and a version
    ///   whose referrers are all soft-deleted may be soft-deleted. Version 1 records keep the
    ///   old rules for these two, so an existing log replays to the state it had.
    public static let currentFormatVersion = 2

    /// The format version (`v` in the JSON); 1 when the record has none.
    public var formatVersion: Int
    /// Unique per request; the instance that appended it waits for its outcome.
    public var requestID: String
    /// What to apply.
    public var command: RegistryCommand

    /// A record in the current format.
    public init(requestID: String, command: RegistryCommand) {
        self.init(formatVersion: Self.currentFormatVersion, requestID: requestID, command: command)
    }

    /// A record in format `formatVersion` (older formats are for tests and tools).
    public init(formatVersion: Int, requestID: String, command: RegistryCommand) {
        self.formatVersion = formatVersion
        self.requestID = requestID
        self.command = command
    }

    enum CodingKeys: String, CodingKey {
        case formatVersion = "v"
        case requestID, command
    }

    /// Decodes a record; one without `v` is format 1.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        formatVersion = try container.decodeIfPresent(Int.self, forKey: .formatVersion) ?? 1
        requestID = try container.decode(String.self, forKey: .requestID)
        command = try container.decode(RegistryCommand.self, forKey: .command)
    }

    /// Encodes the record, with `v` from format 2 on.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        // Version 1 had no `v`: writing it only from 2 on keeps a version 1 record byte-identical.
        if formatVersion >= 2 { try container.encode(formatVersion, forKey: .formatVersion) }
        try container.encode(requestID, forKey: .requestID)
        try container.encode(command, forKey: .command)
    }
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
