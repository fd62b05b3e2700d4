/// A complete HTTP response handed to an adapter's parser.
public struct SourceResponse: Sendable {
    /// The HTTP status code.
    public var status: Int
    /// The response header fields.
    public var headers: [HTTPHeader]
    /// The raw body.
    public var body: [UInt8]

    /// A response.
    public init(status: Int, headers: [HTTPHeader] = [], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A response with a UTF-8 text body (convenient in tests).
    public init(status: Int, headers: [HTTPHeader] = [], text: String) {
        self.init(status: status, headers: headers, body: Array(text.utf8))
    }

    /// The value of the first header named `name`, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.value(named: name)
    }

    /// The body decoded as UTF-8 (invalid sequences replaced).
    public var text: String { String(decoding: body, as: UTF8.self) }
}
