/// A GET request an adapter wants sent. It carries everything needed on the wire,
/// including an API key when the API requires one in the URL or a header; its
/// `description` and reflection redact those.
public struct SourceRequest: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The full URL, query parameters percent-encoded.
    public var url: String
    /// Header fields to send.
    public var headers: [HTTPHeader]
    /// The request's cost in the source's budget: Binance request weight, 1 elsewhere.
    public var weight: Int

    /// A request.
    public init(url: String, headers: [HTTPHeader] = [], weight: Int = 1) {
        self.url = url
        self.headers = headers
        self.weight = weight
    }

    /// The URL without its query string: safe to log.
    public var urlWithoutQuery: String {
        url.split(separator: "?", maxSplits: 1).first.map(String.init) ?? url
    }

    /// The URL and headers with secrets replaced by `<redacted>`.
    public var description: String {
        let headerText = headers.map { "\($0.name): \(Redactor.headerValue(name: $0.name, value: $0.value))" }
        let suffix = headerText.isEmpty ? "" : " [" + headerText.joined(separator: ", ") + "]"
        return "GET " + Redactor.redactURL(url) + suffix + " (weight \(weight))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: ["request": description], displayStyle: .struct)
    }
}
