/// A request as the router sees it: which API (the first path segment), the API's own
/// path below it, and the decoded query.
struct IncomingRequest: Sendable {
    let method: String
    /// The first path segment, e.g. `cryptocompare`.
    let prefix: String
    /// The path below the prefix, e.g. `/data/v2/histoday`.
    let path: String
    /// The query string as sent (still percent-encoded).
    let rawQuery: String
    let query: Query
    let headers: [(name: String, value: String)]

    init(method: String, uri: String, headers: [(name: String, value: String)] = []) {
        self.method = method
        self.headers = headers
        var target = Substring(uri)
        if let scheme = target.range(of: "://") {
            target = target[scheme.upperBound...]
            target = target.firstIndex(of: "/").map { target[$0...] } ?? "/"
        }
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let fullPath = String(parts.first ?? "/")
        rawQuery = parts.count > 1 ? String(parts[1]) : ""
        query = Query(raw: rawQuery)
        let segments = fullPath.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: true)
        prefix = segments.first.map { Query.percentDecoded(String($0)) } ?? ""
        path = segments.count > 1 ? "/" + Query.percentDecoded(String(segments[1])) : "/"
    }

    /// The first header named `name`, compared case-insensitively.
    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// Decoded query parameters in the order sent.
struct Query: Sendable {
    let pairs: [(name: String, value: String)]

    init(raw: String) {
        pairs = raw.split(separator: "&", omittingEmptySubsequences: true).map { item in
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (Query.percentDecoded(String(parts[0])), parts.count > 1 ? Query.percentDecoded(String(parts[1])) : "")
        }
    }

    /// The first value of `name`.
    subscript(_ name: String) -> String? {
        pairs.first { $0.name == name }?.value
    }

    /// The first value of `name` as an integer; `nil` when absent, `.some(nil)` when not a number.
    func integer(_ name: String) -> Int64?? {
        guard let text = self[name] else { return nil }
        return .some(Int64(text))
    }

    /// `%XX` sequences decoded as UTF-8; malformed ones kept as they are.
    static func percentDecoded(_ text: String) -> String {
        guard text.contains("%") else { return text }
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8)[...]
        while let byte = iterator.popFirst() {
            if byte == UInt8(ascii: "%"), iterator.count >= 2,
               let value = UInt8(String(decoding: iterator.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(value)
                iterator = iterator.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
