/// Builds request URLs from a configurable base URL, percent-encoding every
/// path segment and query component.
enum URLBuilder {
    /// `base` (trailing slashes ignored) + `/`-joined encoded `segments` + encoded query.
    static func url(base: String, segments: [String], query: [(String, String)] = []) -> String {
        var text = base
        while text.hasSuffix("/") { text.removeLast() }
        for segment in segments {
            text += "/" + encode(segment, extra: "")
        }
        if !query.isEmpty {
            text += "?" + query.map { encode($0.0, extra: "") + "=" + encode($0.1, extra: ":,") }.joined(separator: "&")
        }
        return text
    }

    /// Percent-encodes all but RFC 3986 unreserved characters and `extra`.
    static func encode(_ text: String, extra: String) -> String {
        let kept = Set(extra.utf8)
        var out = ""
        for byte in text.utf8 {
            let isUnreserved = (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "~")
            if isUnreserved || kept.contains(byte) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }
}
