import Foundation

/// Removes credentials from anything that may reach a log, an error or the DLQ.
enum Redactor {
    static let placeholder = "<redacted>"

    /// Query parameters that carry credentials (compared lower-cased).
    static let sensitiveParameters: Set<String> = [
        "api_key", "apikey", "x_cg_demo_api_key", "x_cg_pro_api_key", "key", "token", "access_token",
    ]

    /// Header fields that carry credentials (compared lower-cased).
    static let sensitiveHeaders: Set<String> = [
        "authorization", "x-cg-demo-api-key", "x-cg-pro-api-key", "x-api-key", "x-mbx-apikey", "cookie",
    ]

    /// Text markers followed by a credential in free text (upstream messages echo keys),
    /// with whether they match case-insensitively.
    static let tokenMarkers: [(marker: String, ignoringCase: Bool)] = [
        ("Apikey ", false), ("Bearer ", false), ("api key as ", true), ("api key: ", true),
    ]

    static func headerValue(name: String, value: String) -> String {
        sensitiveHeaders.contains(name.lowercased()) ? placeholder : value
    }

    /// The URL with the values of sensitive query parameters replaced.
    static func redactURL(_ url: String) -> String {
        guard let mark = url.firstIndex(of: "?") else { return url }
        let query = url[url.index(after: mark)...]
        let pairs = query.split(separator: "&", omittingEmptySubsequences: false).map { pair -> String in
            let name = pair.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
            return sensitiveParameters.contains(name.lowercased()) ? name + "=" + placeholder : String(pair)
        }
        return String(url[..<mark]) + "?" + pairs.joined(separator: "&")
    }

    /// Free text with the given secrets and anything that looks like a credential replaced.
    static func scrub(_ text: String, secrets: [String] = []) -> String {
        var result = text
        for secret in secrets where secret.count >= 3 {
            result = result.replacingOccurrences(of: secret, with: placeholder)
        }
        for parameter in sensitiveParameters.sorted() where parameter.count > 3 {
            result = redactToken(after: parameter + "=", ignoringCase: true, in: result)
        }
        for (marker, ignoringCase) in tokenMarkers {
            result = redactToken(after: marker, ignoringCase: ignoringCase, in: result)
        }
        return result
    }

    /// Replaces the token following each occurrence of `marker`.
    static func redactToken(after marker: String, ignoringCase: Bool, in text: String) -> String {
        let terminators: Set<Character> = [" ", "&", "\"", "'", ",", ")", "(", "\n", "\r", "\t", ";", "<", ">"]
        var result = ""
        var rest = Substring(text)
        while let found = rest.range(of: marker, options: ignoringCase ? .caseInsensitive : []) {
            result += rest[..<found.upperBound]
            let tail = rest[found.upperBound...]
            let end = tail.firstIndex { terminators.contains($0) } ?? tail.endIndex
            if tail[..<end].isEmpty || tail[..<end] == Substring(placeholder) {
                result += tail[..<end]
            } else {
                result += placeholder
            }
            rest = tail[end...]
        }
        return result + rest
    }
}
