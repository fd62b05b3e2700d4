import Foundation

/// The secret parts of a libpq connection string, so that messages about it can be scrubbed.
/// libpq quotes pieces of the string in some errors (`invalid percent-encoded token: "…"`
/// for a password with a stray `%`), which must never carry a password into a log.
enum PostgresConnectionString {
    /// What replaces a secret.
    static let redacted = "<redacted>"

    /// `message` without any password of `connectionString` (as written and percent-decoded)
    /// and without the token of libpq's percent-encoding error.
    static func scrub(_ message: String, connectionString: String) -> String {
        var text = message
        for secret in passwords(in: connectionString).sorted(by: { $0.count > $1.count }) {
            text = text.replacingOccurrences(of: secret, with: redacted)
        }
        let marker = "invalid percent-encoded token: \""
        if let start = text.range(of: marker), let end = text[start.upperBound...].firstIndex(of: "\"") {
            text.replaceSubrange(start.upperBound..<end, with: redacted)
        }
        return text
    }

    /// Every password the string may hold: URL user info (split at the first and at the last
    /// `@`, since passwords are often not percent-encoded), a `password` query parameter, or a
    /// `password=` keyword; each also percent-decoded.
    static func passwords(in connectionString: String) -> Set<String> {
        var found: [Substring] = []
        if let scheme = connectionString.range(of: "://") {
            let rest = connectionString[scheme.upperBound...]
            for at in [rest.firstIndex(of: "@"), rest.lastIndex(of: "@")].compactMap({ $0 }) {
                if let colon = rest[..<at].firstIndex(of: ":") { found.append(rest[rest.index(after: colon)..<at]) }
            }
            if let query = rest.firstIndex(of: "?") {
                for pair in rest[rest.index(after: query)...].split(separator: "&") where pair.hasPrefix("password=") {
                    found.append(pair.dropFirst("password=".count))
                }
            }
        } else {
            found += keywordValues(named: "password", in: connectionString[...])
        }
        let values = found.map(String.init).filter { !$0.isEmpty }
        return Set(values + values.compactMap { $0.removingPercentEncoding })
    }

    /// The values of `name = value` keywords (a value may be single-quoted, with `\` escapes).
    static func keywordValues(named name: String, in text: Substring) -> [Substring] {
        var values: [Substring] = []
        var rest = text
        while let key = rest.range(of: name) {
            var cursor = rest[key.upperBound...].drop { $0 == " " }
            guard cursor.first == "=" else { rest = rest[key.upperBound...]; continue }
            cursor = cursor.dropFirst().drop { $0 == " " }
            if cursor.first == "'" {
                cursor = cursor.dropFirst()
                var end = cursor.startIndex
                while end < cursor.endIndex, cursor[end] != "'" {
                    end = cursor[end] == "\\" ? cursor.index(end, offsetBy: 2, limitedBy: cursor.endIndex) ?? cursor.endIndex : cursor.index(after: end)
                }
                values.append(cursor[..<end])
                rest = cursor[end...]
            } else {
                let value = cursor.prefix { !$0.isWhitespace }
                values.append(value)
                rest = cursor[value.endIndex...]
            }
        }
        return values
    }
}
