/// Reads Avro binary primitives from a byte buffer, in order, with the checks of
/// `AvroBinaryValidator` (the same code): varints bounded, lengths within the bytes left,
/// strings valid UTF-8. For decoders specialised to one known schema (the hot path of the
/// sink), which build their value directly instead of an `AvroValue` tree.
public struct AvroBinaryReader: ~Copyable {
    private struct Primitives: AvroBinaryPrimitiveReading {
        let bytes: UnsafeRawBufferPointer
        var position = 0
    }
    private var primitives: Primitives

    /// Reads from `bytes`, which must outlive the reader.
    public init(_ bytes: UnsafeRawBufferPointer) {
        primitives = Primitives(bytes: bytes)
    }

    /// True when every byte has been read.
    public var isAtEnd: Bool { primitives.left == 0 }

    /// Throws `trailingBytes` unless every byte has been read (whole-value decoding).
    public func finish() throws(AvroCodecError) {
        let left = primitives.left
        if left > 0 {
            throw AvroCodecError(.trailingBytes, "\(left) trailing \(left == 1 ? "byte" : "bytes") after the value (byte \(primitives.position))")
        }
    }

    /// A zig-zag varint `long`.
    public mutating func readLong() throws(AvroCodecError) -> Int64 {
        do throws(AvroBinaryValidator.Failure) { return try primitives.readLong("long") } catch { throw error.codecError }
    }

    /// A zig-zag varint `int`.
    public mutating func readInt() throws(AvroCodecError) -> Int32 {
        do throws(AvroBinaryValidator.Failure) { return try primitives.readInt("int") } catch { throw error.codecError }
    }

    /// A little-endian IEEE 754 `double`.
    public mutating func readDouble() throws(AvroCodecError) -> Double {
        let at = primitives.position
        do throws(AvroBinaryValidator.Failure) { try primitives.skip(8, "double") } catch { throw error.codecError }
        return Double(bitPattern: UInt64(littleEndian: primitives.bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self)))
    }

    /// A length-prefixed UTF-8 `string`.
    public mutating func readString() throws(AvroCodecError) -> String {
        do throws(AvroBinaryValidator.Failure) {
            let count = try primitives.readLength("string length")
            let start = primitives.position
            try primitives.checkUTF8(count, .string)
            return String(decoding: primitives.bytes[start..<start + count], as: UTF8.self)
        } catch {
            throw error.codecError
        }
    }

    /// The branch index of a union of `branches` members.
    public mutating func readUnionBranch(of branches: Int) throws(AvroCodecError) -> Int {
        let at = primitives.position
        do throws(AvroBinaryValidator.Failure) {
            let index = try primitives.readInt("union branch index")
            guard index >= 0, Int(index) < branches else { throw AvroBinaryValidator.Failure.unionIndex(index, branchCount: branches, at: at) }
            return Int(index)
        } catch {
            throw error.codecError
        }
    }
}
