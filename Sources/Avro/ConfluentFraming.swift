/// Confluent's wire format: byte 0x00, the schema id as a 4-byte big-endian integer,
/// then the Avro binary encoding of the value.
public enum ConfluentFraming {
    public static let magicByte: UInt8 = 0
    /// Bytes before the Avro payload: the magic byte and the schema id.
    public static let headerLength = 5

    /// Why a payload is not a Confluent-framed record.
    public enum FramingError: Error, Sendable, Hashable, CustomStringConvertible {
        /// The first byte is not 0x00: the record was not written with a schema registry serializer.
        case wrongMagicByte(UInt8)
        /// Fewer than 5 bytes: the payload was cut short.
        case truncated(length: Int)

        public var description: String {
            switch self {
            case .wrongMagicByte(let b): return "wrong magic byte 0x\(String(b, radix: 16)); expected 0x00 (Confluent framing)"
            case .truncated(let n): return "payload of \(n) bytes is shorter than the 5-byte Confluent header"
            }
        }
    }

    /// Prepends the Confluent header to an Avro payload.
    public static func frame(schemaID: Int32, payload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(payload.count + 5)
        out.append(magicByte)
        let id = UInt32(bitPattern: schemaID)
        out.append(contentsOf: [UInt8(id >> 24), UInt8((id >> 16) & 0xFF), UInt8((id >> 8) & 0xFF), UInt8(id & 0xFF)])
        out.append(contentsOf: payload)
        return out
    }

    /// Splits a framed record into its schema id and Avro payload.
    /// - Throws: `FramingError.truncated` or `.wrongMagicByte`.
    public static func unframe(_ bytes: [UInt8]) throws(FramingError) -> (schemaID: Int32, payload: ArraySlice<UInt8>) {
        guard bytes.count >= 5 else {
            if let first = bytes.first, first != magicByte { throw .wrongMagicByte(first) }
            throw .truncated(length: bytes.count)
        }
        guard bytes[0] == magicByte else { throw .wrongMagicByte(bytes[0]) }
        let id = UInt32(bytes[1]) << 24 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 8 | UInt32(bytes[4])
        return (Int32(bitPattern: id), bytes[5...])
    }
}
