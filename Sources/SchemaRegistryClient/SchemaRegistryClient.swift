import Avro
import Foundation
import HTTPClient
import SchemaRegistryModel

/// A client for a Confluent Schema Registry compatible HTTP API (ours or Confluent's).
///
/// Schemas by id are cached for the life of the client (ids are immutable), and
/// concurrent misses for one id make a single request. Every other call goes to the
/// registry. All failures are thrown as `SchemaRegistryClientError`.
public final class SchemaRegistryClient: Sendable {
    /// Where the registry is and how to talk to it.
    public struct Configuration: Sendable {
        /// The registry's base URL, e.g. `http://localhost:8081` (a trailing `/` is ignored).
        public var baseURL: String
        /// Basic-auth user name; credentials are sent only when this is set.
        public var username: String?
        /// Basic-auth password (empty when nil).
        public var password: String?
        /// The longest one request may take, including the body. Default 30 s.
        public var requestTimeout: Duration
        /// Settings of the underlying HTTP client (connect timeout, CA bundle, user agent…).
        /// Its `totalTimeout` is replaced by `requestTimeout`.
        public var http: HTTPClientConfiguration

        /// A configuration for the registry at `baseURL`.
        public init(
            baseURL: String,
            username: String? = nil,
            password: String? = nil,
            requestTimeout: Duration = .seconds(30),
            http: HTTPClientConfiguration = HTTPClientConfiguration()
        ) {
            self.baseURL = baseURL
            self.username = username
            self.password = password
            self.requestTimeout = requestTimeout
            self.http = http
        }
    }

    /// A subject's or the registry's compatibility level, by Confluent's names
    /// (`BACKWARD`, `FULL_TRANSITIVE`, …).
    public typealias CompatibilityLevel = AvroCompatibilityLevel

    /// The configuration this client was made with.
    public let configuration: Configuration
    private let http: HTTPClient
    private let base: String
    private let authorization: String?
    private let schemasByID = SingleFlightCache<Int, RegisteredSchema>()
    private let parsedByID = SingleFlightCache<Int, AvroParsedSchema>()

    static let contentType = "application/vnd.schemaregistry.v1+json"
    static let accept = "application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json, application/json"

    /// A client for the registry described by `configuration`.
    public init(configuration: Configuration) {
        self.configuration = configuration
        var httpConfiguration = configuration.http
        httpConfiguration.totalTimeout = configuration.requestTimeout
        if httpConfiguration.connectTimeout > configuration.requestTimeout {
            httpConfiguration.connectTimeout = configuration.requestTimeout
        }
        self.http = HTTPClient(configuration: httpConfiguration)
        var base = configuration.baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.base = base
        if let user = configuration.username {
            let credentials = Data("\(user):\(configuration.password ?? "")".utf8).base64EncodedString()
            self.authorization = "Basic \(credentials)"
        } else {
            self.authorization = nil
        }
    }

    /// A client for the registry at `baseURL` with default settings.
    public convenience init(baseURL: String) {
        self.init(configuration: Configuration(baseURL: baseURL))
    }

    // MARK: - Schemas

    /// Registers `schema` under `subject` (`POST /subjects/{subject}/versions`) and returns
    /// its global id. Registering a schema the subject already has returns the existing id.
    /// - Parameters:
    ///   - subject: the subject, e.g. `prices.candles-value`.
    ///   - schema: the schema text.
    ///   - schemaType: `.avro` (default), `.json` or `.protobuf`.
    ///   - references: named types the schema takes from other subjects.
    ///   - normalize: ask the registry to normalize the schema first (`?normalize=true`).
    /// - Throws: `SchemaRegistryClientError`; `isIncompatible` (409) when the subject's
    ///   compatibility level rejects it, `isInvalidSchema` (42201) when it is not valid.
    public func register(
        subject: String,
        schema: String,
        schemaType: SchemaType = .avro,
        references: [SchemaReference] = [],
        normalize: Bool = false
    ) async throws -> Int {
        let body = SchemaRequestBody(schema: schema, schemaType: schemaType, references: references)
        let response: RegisterResponseBody = try await call(
            .post, "/subjects/\(Self.encodePath(subject))/versions",
            query: normalize ? [("normalize", "true")] : [], body: body)
        return response.id
    }

    /// The schema with global id `id` (`GET /schemas/ids/{id}`). Cached for the life of the
    /// client; concurrent calls for an id not yet cached make one request between them.
    /// - Throws: `SchemaRegistryClientError` (`isSchemaNotFound` when no schema has the id).
    public func schema(id: Int) async throws -> RegisteredSchema {
        try await schemasByID.value(for: id) { [self] in
            let body: SchemaResponseBody = try await call(.get, "/schemas/ids/\(id)")
            return RegisteredSchema(id: id, schema: body.schema, schemaType: body.schemaType.map(SchemaType.init(wireName:)) ?? .avro,
                                    references: body.references ?? [])
        }
    }

    /// The parsed Avro schema with global id `id`, its references resolved (each referenced
    /// subject version is fetched and parsed first). Cached like `schema(id:)`.
    /// - Throws: `SchemaRegistryClientError` for registry failures, `AvroSchemaError` when the
    ///   schema does not parse, and an `invalidSchemaCode` error when it is not Avro.
    public func parsedSchema(id: Int) async throws -> AvroParsedSchema {
        try await parsedByID.value(for: id) { [self] in
            let registered = try await schema(id: id)
            return try await parse(registered.schema, type: registered.schemaType, references: registered.references, depth: 0)
        }
    }

    /// Parses `text` after resolving its references, depth first.
    private func parse(_ text: String, type: SchemaType, references: [SchemaReference], depth: Int) async throws -> AvroParsedSchema {
        guard type == .avro else {
            throw SchemaRegistryClientError(status: 0, errorCode: SchemaRegistryClientError.invalidSchemaCode,
                                            message: "schema type \(type) is not AVRO")
        }
        guard depth < 32 else {
            throw SchemaRegistryClientError(status: 0, errorCode: SchemaRegistryClientError.invalidSchemaCode,
                                            message: "schema references nested deeper than 32 levels (a cycle?)")
        }
        var predefined: [String: AvroSchema] = [:]
        for reference in references {
            let referenced = try await version(subject: reference.subject, version: reference.version, deleted: true)
            let parsed = try await parse(referenced.schema, type: referenced.schemaType, references: referenced.references, depth: depth + 1)
            predefined.merge(parsed.namedTypes) { current, _ in current }
        }
        return try AvroParsedSchema(parsing: text, predefined: predefined)
    }

    /// The latest version of `subject` (`GET /subjects/{subject}/versions/latest`).
    /// - Throws: `SchemaRegistryClientError` (`isSubjectNotFound` for an unknown subject).
    public func latest(subject: String) async throws -> SubjectVersion {
        try await subjectVersion(subject: subject, version: "latest", deleted: false)
    }

    /// Version `version` of `subject` (`GET /subjects/{subject}/versions/{version}`).
    /// - Parameter deleted: also find a soft-deleted version (`?deleted=true`).
    /// - Throws: `SchemaRegistryClientError` (`isSubjectNotFound`, `isVersionNotFound`).
    public func version(subject: String, version: Int, deleted: Bool = false) async throws -> SubjectVersion {
        try await subjectVersion(subject: subject, version: String(version), deleted: deleted)
    }

    private func subjectVersion(subject: String, version: String, deleted: Bool) async throws -> SubjectVersion {
        let body: SubjectVersionResponseBody = try await call(
            .get, "/subjects/\(Self.encodePath(subject))/versions/\(Self.encodePath(version))",
            query: deleted ? [("deleted", "true")] : [])
        return SubjectVersion(body)
    }

    /// Whether `schema` is registered under `subject`, and as which version and id
    /// (`POST /subjects/{subject}`).
    /// - Throws: `SchemaRegistryClientError`: `isSubjectNotFound` when the subject does not
    ///   exist, `isSchemaNotFound` when the schema is not one of its versions.
    public func lookup(
        subject: String,
        schema: String,
        schemaType: SchemaType = .avro,
        references: [SchemaReference] = [],
        normalize: Bool = false,
        deleted: Bool = false
    ) async throws -> SubjectVersion {
        var query: [(String, String)] = []
        if normalize { query.append(("normalize", "true")) }
        if deleted { query.append(("deleted", "true")) }
        let body: SubjectVersionResponseBody = try await call(
            .post, "/subjects/\(Self.encodePath(subject))", query: query,
            body: SchemaRequestBody(schema: schema, schemaType: schemaType, references: references))
        return SubjectVersion(body)
    }

    /// All subjects (`GET /subjects`).
    /// - Parameter deleted: include soft-deleted subjects.
    public func subjects(deleted: Bool = false) async throws -> [String] {
        try await call(.get, "/subjects", query: deleted ? [("deleted", "true")] : [])
    }

    /// The version numbers of `subject` (`GET /subjects/{subject}/versions`).
    /// - Parameter deleted: include soft-deleted versions.
    /// - Throws: `SchemaRegistryClientError` (`isSubjectNotFound`).
    public func versions(subject: String, deleted: Bool = false) async throws -> [Int] {
        try await call(.get, "/subjects/\(Self.encodePath(subject))/versions", query: deleted ? [("deleted", "true")] : [])
    }

    /// Deletes `subject` (`DELETE /subjects/{subject}`): soft by default, or for good with
    /// `permanent` (which Confluent allows only after a soft delete). Returns the versions deleted.
    public func deleteSubject(_ subject: String, permanent: Bool = false) async throws -> [Int] {
        try await call(.delete, "/subjects/\(Self.encodePath(subject))", query: permanent ? [("permanent", "true")] : [])
    }

    /// Deletes one version of `subject` (`DELETE /subjects/{subject}/versions/{version}`),
    /// soft by default. Returns the version deleted. Schemas stay readable by id.
    public func deleteVersion(subject: String, version: Int, permanent: Bool = false) async throws -> Int {
        try await call(.delete, "/subjects/\(Self.encodePath(subject))/versions/\(version)",
                       query: permanent ? [("permanent", "true")] : [])
    }

    // MARK: - Compatibility

    /// Tests whether `schema` could be registered under `subject`, against `version`
    /// (`POST /compatibility/subjects/{subject}/versions/{version}?verbose=true`).
    /// - Parameter version: a version number as text, or `latest` (default).
    /// - Returns: the verdict and, when incompatible, the registry's reasons.
    /// - Throws: `SchemaRegistryClientError` (`isSubjectNotFound`, `isVersionNotFound`,
    ///   `isInvalidSchema`); an incompatible schema is a result, not an error.
    public func checkCompatibility(
        subject: String,
        schema: String,
        schemaType: SchemaType = .avro,
        references: [SchemaReference] = [],
        version: String = "latest"
    ) async throws -> CompatibilityResult {
        let body: CompatibilityResponseBody = try await call(
            .post, "/compatibility/subjects/\(Self.encodePath(subject))/versions/\(Self.encodePath(version))",
            query: [("verbose", "true")],
            body: SchemaRequestBody(schema: schema, schemaType: schemaType, references: references))
        return CompatibilityResult(isCompatible: body.isCompatible, messages: body.messages ?? [])
    }

    /// Sets the compatibility level of `subject`, or the global default when `subject` is nil
    /// (`PUT /config[/{subject}]`). Returns the level the registry reports.
    /// - Throws: `SchemaRegistryClientError`; a malformed response (no or an unknown level)
    ///   has `errorCode` -1.
    @discardableResult
    public func setCompatibility(_ level: CompatibilityLevel, subject: String? = nil) async throws -> CompatibilityLevel {
        let path = subject.map { "/config/\(Self.encodePath($0))" } ?? "/config"
        let body: ConfigResponseBody = try await call(.put, path, body: ConfigRequestBody(compatibility: level))
        guard body.compatibility != nil || body.compatibilityLevel != nil else { return level }
        return try Self.level(in: body, path: path)
    }

    /// The compatibility level in force for `subject` (`GET /config/{subject}`), or the
    /// global default when `subject` is nil (`GET /config`).
    /// - Parameter defaultToGlobal: when the subject has no level of its own, return the
    ///   global one (asks with `?defaultToGlobal=true`, and falls back to `GET /config` on
    ///   40408) instead of throwing.
    /// - Throws: `SchemaRegistryClientError`; a malformed response (no or an unknown level)
    ///   has `errorCode` -1.
    public func compatibility(subject: String? = nil, defaultToGlobal: Bool = true) async throws -> CompatibilityLevel {
        guard let subject else { return try await globalCompatibility() }
        do {
            let path = "/config/\(Self.encodePath(subject))"
            let body: ConfigResponseBody = try await call(.get, path, query: defaultToGlobal ? [("defaultToGlobal", "true")] : [])
            return try Self.level(in: body, path: path)
        } catch let error as SchemaRegistryClientError
            where defaultToGlobal && error.errorCode == SchemaRegistryClientError.subjectCompatibilityNotConfiguredCode {
            return try await globalCompatibility()
        }
    }

    private func globalCompatibility() async throws -> CompatibilityLevel {
        try Self.level(in: try await call(.get, "/config"), path: "/config")
    }

    /// The level a config response names (`compatibilityLevel` or `compatibility`).
    static func level(in body: ConfigResponseBody, path: String) throws -> CompatibilityLevel {
        guard let text = body.compatibilityLevel ?? body.compatibility else {
            throw SchemaRegistryClientError(status: 200, errorCode: SchemaRegistryClientError.unknownErrorCode,
                                            message: "the response to \(path) has no compatibility level")
        }
        guard let level = CompatibilityLevel(rawValue: text.uppercased()) else {
            throw SchemaRegistryClientError(status: 200, errorCode: SchemaRegistryClientError.unknownErrorCode,
                                            message: "the response to \(path) names an unknown compatibility level \(excerpt(text))")
        }
        return level
    }

    // MARK: - Transport

    private struct NoBody: Encodable {}

    private func call<Response: Decodable>(
        _ method: HTTPMethod, _ path: String, query: [(String, String)] = []
    ) async throws -> Response {
        try await call(method, path, query: query, body: Optional<NoBody>.none)
    }

    /// Sends one request and decodes a 2xx body as `Response`; any other answer or failure
    /// becomes a `SchemaRegistryClientError`.
    private func call<Response: Decodable, Body: Encodable>(
        _ method: HTTPMethod, _ path: String, query: [(String, String)] = [], body: Body?
    ) async throws -> Response {
        var url = base + path
        if !query.isEmpty {
            url += "?" + query.map { "\(Self.encodeQuery($0.0))=\(Self.encodeQuery($0.1))" }.joined(separator: "&")
        }
        var headers: [(name: String, value: String)] = [("Accept", Self.accept)]
        if let authorization { headers.append(("Authorization", authorization)) }
        var bytes: [UInt8]?
        if let body {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.withoutEscapingSlashes]
            bytes = Array(try encoder.encode(body))
            headers.append(("Content-Type", Self.contentType))
        }
        let response: HTTPResponse
        do {
            response = try await http.execute(HTTPRequest(method: method, url: url, headers: headers, body: bytes))
        } catch let error as HTTPClientError {
            throw SchemaRegistryClientError(transport: error)
        }
        guard (200..<300).contains(response.status) else {
            throw Self.error(from: response)
        }
        do {
            return try JSONDecoder().decode(Response.self, from: Data(response.body))
        } catch {
            throw SchemaRegistryClientError(
                status: response.status, errorCode: SchemaRegistryClientError.unknownErrorCode,
                message: "malformed response to \(method) \(path): \(error); body: \(Self.excerpt(response.text))")
        }
    }

    /// The registry's `{"error_code", "message"}`, or the status and body text when the body is not that.
    static func error(from response: HTTPResponse) -> SchemaRegistryClientError {
        if let body = try? JSONDecoder().decode(ErrorResponseBody.self, from: Data(response.body)),
           body.errorCode != nil || body.message != nil {
            return SchemaRegistryClientError(
                status: response.status,
                errorCode: body.errorCode ?? SchemaRegistryClientError.unknownErrorCode,
                message: body.message ?? "HTTP \(response.status)")
        }
        let text = excerpt(response.text)
        return SchemaRegistryClientError(
            status: response.status, errorCode: SchemaRegistryClientError.unknownErrorCode,
            message: text.isEmpty ? "HTTP \(response.status)" : text)
    }

    static func excerpt(_ text: String) -> String {
        text.count > 512 ? String(text.prefix(512)) + "…" : text
    }

    /// Percent-encodes one path segment: everything but RFC 3986 unreserved characters,
    /// so `/`, `?`, `%`, `:` and spaces in a subject never change the path.
    static func encodePath(_ segment: String) -> String {
        // `.` and `..` would be taken as dot-segments and removed from the path.
        if segment == "." || segment == ".." { return String(repeating: "%2E", count: segment.count) }
        return percentEncode(segment)
    }

    /// Percent-encodes a query name or value.
    static func encodeQuery(_ text: String) -> String { percentEncode(text) }

    private static func percentEncode(_ text: String) -> String {
        let hex: [Character] = Array("0123456789ABCDEF")
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(Character(UnicodeScalar(byte)))
            default:
                out.append("%")
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            }
        }
        return out
    }
}

extension SubjectVersion {
    init(_ body: SubjectVersionResponseBody) {
        self.init(subject: body.subject, id: body.id, version: body.version, schema: body.schema,
                  schemaType: body.schemaType.map(SchemaType.init(wireName:)) ?? .avro, references: body.references ?? [])
    }
}
