/// A reference from one schema to a named type defined by a schema registered elsewhere
/// (Confluent's `{"name", "subject", "version"}`). Shared by the registry and its client.
public struct SchemaReference: Sendable, Hashable, Codable {
    /// The full name of the referenced Avro type (`io.pricepipeline.Money`).
    public var name: String
    /// The subject under which the referenced schema is registered.
    public var subject: String
    /// The version of that subject.
    public var version: Int

    /// A reference to the schema registered as `subject` version `version` that defines `name`.
    public init(name: String, subject: String, version: Int) {
        self.name = name
        self.subject = subject
        self.version = version
    }
}
