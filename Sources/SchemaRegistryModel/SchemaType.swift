/// The format of a registered schema, as Confluent names it on the wire (`AVRO`, `JSON`,
/// `PROTOBUF`). Shared by the registry and its client.
///
/// A type the registry does not know keeps its (upper-cased) name, so that a value read
/// from another registry or from an older log survives a round trip; `isKnown` tells the
/// three Confluent types from the rest.
public struct SchemaType: Sendable, Hashable, CustomStringConvertible {
    private enum Kind: Sendable, Hashable {
        case avro, json, protobuf
        case other(String)
    }

    private let kind: Kind

    private init(_ kind: Kind) { self.kind = kind }

    /// Apache Avro: the only type this project's registry accepts.
    public static let avro = SchemaType(.avro)
    /// JSON Schema.
    public static let json = SchemaType(.json)
    /// Protocol Buffers.
    public static let protobuf = SchemaType(.protobuf)

    /// The type named `wireName`, compared without regard to case (`avro` is `.avro`).
    public init(wireName: String) {
        switch wireName.uppercased() {
        case "AVRO": kind = .avro
        case "JSON": kind = .json
        case "PROTOBUF": kind = .protobuf
        case let other: kind = .other(other)
        }
    }

    /// The name Confluent uses on the wire: `AVRO`, `JSON`, `PROTOBUF`, or the upper-cased
    /// name of a type it does not know.
    public var wireName: String {
        switch kind {
        case .avro: return "AVRO"
        case .json: return "JSON"
        case .protobuf: return "PROTOBUF"
        case .other(let name): return name
        }
    }

    /// Whether this is one of Confluent's three types.
    public var isKnown: Bool {
        if case .other = kind { return false }
        return true
    }

    /// The wire name.
    public var description: String { wireName }
}

extension SchemaType: Codable {
    /// Decodes the wire name (a JSON string).
    public init(from decoder: any Decoder) throws {
        self.init(wireName: try decoder.singleValueContainer().decode(String.self))
    }

    /// Encodes the wire name (a JSON string).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(wireName)
    }
}
