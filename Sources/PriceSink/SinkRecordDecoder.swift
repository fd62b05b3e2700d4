import Avro
import Foundation
import PriceModel
import SchemaRegistryClient
import Synchronization

/// A record that cannot be stored: it goes to the dead-letter topic with this reason.
public struct DeadLetterReason: Error, Sendable, Hashable, CustomStringConvertible {
    /// `decode` (framing, Avro, schema) or `validate` (the candle's values).
    public var stage: String
    /// A short machine-friendly kind, used as a metric label: `bad_magic`, `truncated`,
    /// `corrupt_avro`, `unknown_schema`, `unresolvable_schema`, `invalid_candle`, …
    public var kind: String
    /// What exactly is wrong.
    public var message: String

    public init(stage: String, kind: String, message: String) {
        self.stage = stage
        self.kind = kind
        self.message = message
    }

    public var description: String { "\(stage)/\(kind): \(message)" }
}

/// The registry could not be asked (down, timing out): not the record's fault. Wait and retry.
public struct RegistryUnavailable: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { "schema registry unavailable: \(message)" }
}

/// Where writer schemas come from (the registry client, or a fixed set in tests).
public protocol WriterSchemaSource: Sendable {
    /// The schema with global id `id`.
    /// - Throws: `DeadLetterReason` when no such schema exists or it is not usable Avro,
    ///   `RegistryUnavailable` when the registry cannot be asked.
    func writerSchema(id: Int) async throws -> AvroParsedSchema
}

extension SchemaRegistryClient: WriterSchemaSource {
    public func writerSchema(id: Int) async throws -> AvroParsedSchema {
        do {
            return try await parsedSchema(id: id)
        } catch let e as SchemaRegistryClientError {
            if e.isNotFound { throw DeadLetterReason(stage: "decode", kind: "unknown_schema", message: "schema id \(id) is not in the registry") }
            if e.isInvalidSchema { throw DeadLetterReason(stage: "decode", kind: "unresolvable_schema", message: "schema id \(id): \(e.message)") }
            throw RegistryUnavailable(message: "\(e)")
        } catch let e as AvroSchemaError {
            throw DeadLetterReason(stage: "decode", kind: "unresolvable_schema", message: "schema id \(id) does not parse: \(e)")
        }
    }
}

/// A schema the sink reads records as, with its fingerprint computed once.
public struct ReaderSchema: Sendable {
    public let parsed: AvroParsedSchema
    public let fingerprint: UInt64
    public init(_ parsed: AvroParsedSchema) {
        self.parsed = parsed
        fingerprint = parsed.fingerprint
    }
    public static let candle = ReaderSchema(RecordSchemas.candle)
    public static let fxRate = ReaderSchema(RecordSchemas.fxRate)
}

/// Decodes Confluent-framed Avro values into the sink's reader schemas, whatever compatible
/// writer schema produced them. Codecs and resolvers are built once per writer schema id.
public final class SinkRecordDecoder: Sendable {
    private let schemas: any WriterSchemaSource
    private let plans = Mutex<[PlanKey: DecodePlan]>([:])

    struct PlanKey: Hashable { var id: Int32; var reader: UInt64 }

    /// How to decode one writer schema into one reader schema.
    final class DecodePlan: Sendable {
        let codec: AvroBinaryCodec
        /// nil when writer and reader are the same schema.
        let resolver: AvroResolver?
        init(codec: AvroBinaryCodec, resolver: AvroResolver?) {
            self.codec = codec
            self.resolver = resolver
        }
        /// Written with the reader schema itself: a specialised decoder may read the bytes.
        var isReaderSchema: Bool { resolver == nil }
    }

    public init(schemas: any WriterSchemaSource) {
        self.schemas = schemas
    }

    /// Decodes a framed candle. Records written with the reader schema itself (nearly all of
    /// them) are read straight into a `Candle`; others go through the codec and resolution.
    /// - Throws: `DeadLetterReason` for a bad record, `RegistryUnavailable` to retry later.
    public func decodeCandle(_ bytes: [UInt8]?) async throws -> Candle {
        guard let bytes else { throw DeadLetterReason(stage: "decode", kind: "null_value", message: "the record has no value") }
        let schemaID = try Self.schemaID(bytes)
        let plan = try await plan(id: schemaID, reader: .candle)
        guard plan.isReaderSchema else {
            do {
                return try Candle(avro: try resolve(bytes, plan: plan, schemaID: schemaID))
            } catch let shape as RecordShapeError {
                throw DeadLetterReason(stage: "decode", kind: "unresolvable_schema", message: shape.message)
            }
        }
        do {
            return try bytes.withUnsafeBytes { raw throws(AvroCodecError) in
                try Candle(avroBinary: UnsafeRawBufferPointer(rebasing: raw[ConfluentFraming.headerLength...]))
            }
        } catch {
            throw DeadLetterReason(stage: "decode", kind: "corrupt_avro", message: "schema id \(schemaID): \(error)")
        }
    }

    /// Decodes a framed value to a value of `reader`.
    /// - Throws: `DeadLetterReason` for a bad record, `RegistryUnavailable` to retry later.
    public func decode(_ bytes: [UInt8]?, reader: ReaderSchema) async throws -> AvroValue {
        guard let bytes else { throw DeadLetterReason(stage: "decode", kind: "null_value", message: "the record has no value") }
        let schemaID = try Self.schemaID(bytes)
        return try resolve(bytes, plan: try await plan(id: schemaID, reader: reader), schemaID: schemaID)
    }

    private static func schemaID(_ bytes: [UInt8]) throws -> Int32 {
        do {
            return try ConfluentFraming.unframe(bytes).schemaID
        } catch {
            let kind = bytes.first.map { $0 != ConfluentFraming.magicByte } == true ? "bad_magic" : "truncated"
            throw DeadLetterReason(stage: "decode", kind: kind, message: "\(error)")
        }
    }

    private func resolve(_ bytes: [UInt8], plan: DecodePlan, schemaID: Int32) throws -> AvroValue {
        let value: AvroValue
        do {
            value = try plan.codec.decode(bytes[ConfluentFraming.headerLength...])
        } catch {
            throw DeadLetterReason(stage: "decode", kind: "corrupt_avro", message: "schema id \(schemaID): \(error)")
        }
        guard let resolver = plan.resolver else { return value }
        do {
            return try resolver.resolve(value)
        } catch {
            throw DeadLetterReason(stage: "decode", kind: "unresolvable_schema", message: "schema id \(schemaID): \(error)")
        }
    }

    private func plan(id: Int32, reader: ReaderSchema) async throws -> DecodePlan {
        let key = PlanKey(id: id, reader: reader.fingerprint)
        if let plan = plans.withLock({ $0[key] }) { return plan }
        guard id >= 0 else {
            throw DeadLetterReason(stage: "decode", kind: "unknown_schema", message: "schema id \(id) is negative: no registry assigns it")
        }
        let writer = try await schemas.writerSchema(id: Int(id))
        let resolver: AvroResolver?
        if writer.fingerprint == reader.fingerprint {
            resolver = nil
        } else {
            let check = AvroCompatibility.incompatibilities(reader: reader.parsed, writer: writer)
            guard check.isEmpty else {
                throw DeadLetterReason(stage: "decode", kind: "unresolvable_schema",
                                       message: "writer schema id \(id) cannot be read as \(reader.parsed.root.typeName): \(check.prefix(3).map { "\($0)" }.joined(separator: "; "))")
            }
            resolver = AvroResolver(writer: writer, reader: reader.parsed)
        }
        let codec: AvroBinaryCodec
        do {
            codec = try AvroBinaryCodec(schema: writer)
        } catch {
            throw DeadLetterReason(stage: "decode", kind: "unresolvable_schema", message: "schema id \(id): \(error)")
        }
        let plan = DecodePlan(codec: codec, resolver: resolver)
        plans.withLock { $0[key] = plan }
        return plan
    }
}
