/// An answer the server will send: status, headers, body, and an optional delay.
struct Reply: Sendable {
    var status: Int
    var headers: [(name: String, value: String)]
    var body: [UInt8]
    var delay: Duration = .zero

    /// A JSON (or other text) answer.
    init(status: Int = 200, contentType: String, body: String, headers: [(name: String, value: String)] = []) {
        self.status = status
        self.headers = [("Content-Type", contentType)] + headers
        self.body = Array(body.utf8)
    }

    /// A JSON answer with the API's usual `Content-Type`.
    static func json(_ api: APIName, _ body: String, status: Int = 200, headers: [(name: String, value: String)] = []) -> Reply {
        Reply(status: status, contentType: api.jsonContentType, body: body, headers: headers)
    }

    /// Sets (replaces) a header, compared case-insensitively.
    mutating func setHeader(_ name: String, _ value: String) {
        headers.removeAll { $0.name.lowercased() == name.lowercased() }
        headers.append((name, value))
    }

    /// The first header named `name`.
    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// JSON text helpers for bodies written by hand (key order and number format matter).
enum JSONText {
    /// A JSON string literal.
    static func string(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
