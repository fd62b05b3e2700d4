/// One HTTP header field.
public struct HTTPHeader: Sendable, Hashable {
    /// The field name as sent or received; compare it case-insensitively.
    public var name: String
    /// The field value.
    public var value: String

    /// A header field.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

extension Array where Element == HTTPHeader {
    /// The value of the first field named `name`, compared case-insensitively.
    public func value(named name: String) -> String? {
        let wanted = name.lowercased()
        return first { $0.name.lowercased() == wanted }?.value
    }
}
