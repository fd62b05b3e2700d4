/// Reads Avro binary primitives from a byte buffer, in order, with the checks of
/// `AvroBinaryValidator`: varints bounded, lengths within the bytes left, strings valid UTF-8.
/// For decoders specialised to one known schema (the hot path of the sink), which build
/// their value directly instead of an `AvroValue` tree.
public struct AvroBinaryReader: ~Copyable {
    private let bytes: UnsafeRawBufferPointer
    private var index = 0

    /// Reads from `bytes`, which must outlive the reader.
    public init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// True when every byte has been read.
    public var isAtEnd: Bool { index == bytes.count }

    /// Throws `trailingBytes` unless every byte has been read (whole-value decoding).
    public func finish() throws(AvroCodecError) {
        if index != bytes.count {
            throw AvroCodecError(.trailingBytes, "\(bytes.count - index) bytes after the value")
        }
    }

    /// A zig-zag varint `long`.
    public mutating func readLong() throws(AvroCodecError) -> Int64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard index < bytes.count else { throw AvroCodecError(.truncated, "the input ends inside a long") }
            let byte = bytes[index]
            index += 1
            if shift == 63 && byte > 1 { throw AvroCodecError(.malformedVarint, "a long varint overflows 64 bits") }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { break }
            shift += 7
            if shift > 63 { throw AvroCodecError(.malformedVarint, "a long varint is longer than 10 bytes") }
        }
        return Int64(bitPattern: (result >> 1) ^ (0 &- (result & 1)))
    }

    /// A zig-zag varint `int`.
    public mutating func readInt() throws(AvroCodecError) -> Int32 {
        let value = try readLong()
        guard let int = Int32(exactly: value) else { throw AvroCodecError(.intOutOfRange, "int \(value) is outside 32 bits") }
        return int
    }

    /// A little-endian IEEE 754 `double`.
    public mutating func readDouble() throws(AvroCodecError) -> Double {
        guard bytes.count - index >= 8 else { throw AvroCodecError(.truncated, "the input ends inside a double") }
        var bits: UInt64 = 0
        for i in 0..<8 { bits |= UInt64(bytes[index + i]) << (8 * UInt64(i)) }
        index += 8
        return Double(bitPattern: bits)
    }

    /// A length-prefixed UTF-8 `string`.
    public mutating func readString() throws(AvroCodecError) -> String {
        let length = try readLong()
        guard length >= 0, length <= Int64(bytes.count - index) else {
            throw AvroCodecError(.invalidLength, "string length \(length) with \(bytes.count - index) bytes left")
        }
        let slice = UnsafeRawBufferPointer(rebasing: bytes[index..<(index + Int(length))])
        index += Int(length)
        guard let string = String(validating: slice.assumingMemoryBound(to: UInt8.self), as: UTF8.self) else {
            throw AvroCodecError(.invalidUTF8, "a string is not valid UTF-8")
        }
        return string
    }

    /// The branch index of a union of `branches` members.
    public mutating func readUnionBranch(of branches: Int) throws(AvroCodecError) -> Int {
        let branch = try readLong()
        guard branch >= 0, branch < branches else {
            throw AvroCodecError(.unionIndexOutOfRange, "union branch \(branch) of \(branches)")
        }
        return Int(branch)
    }
}
