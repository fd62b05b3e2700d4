import Avro
import Foundation
import Hummingbird
import Logging
import Metrics
import NIOCore
import ServiceSupport
import Synchronization
import SchemaRegistryModel

/// HTTP settings of the registry API.
public struct RegistryAPIConfiguration: Sendable {
    /// Larger request bodies get 413. Default 1 MiB.
    public var maxBodyBytes: Int = 1 << 20
    /// Basic-auth users (name → password); empty disables authentication.
    /// `/health/*` and `/metrics` stay open.
    public var basicAuthUsers: [String: String] = [:]
    public init() {}

    /// Users from `user:password` lines of a file (blank lines and `#` comments skipped) and
    /// from a comma-separated `user:password` list.
    /// - Throws: `ConfigurationError` for an unreadable file or an entry without a colon, naming
    ///   the flag or variable and the line or entry, never the entry itself (it may be a password).
    public static func basicAuthUsers(file: String?, inline: String?) throws -> [String: String] {
        var entries: [(entry: Substring, place: String)] = []
        if let file {
            let names = "--basic-auth-users-file / SCHEMA_REGISTRY_BASIC_AUTH_USERS_FILE"
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw ConfigurationError("cannot read the basic-auth users file \(file) (\(names))")
            }
            let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
            entries += lines.enumerated().map { ($0.element, "line \($0.offset + 1) of the basic-auth users file \(file) (\(names))") }
        }
        if let inline {
            entries += inline.split(separator: ",").enumerated().map { ($0.element, "entry \($0.offset + 1) of SCHEMA_REGISTRY_BASIC_AUTH_USERS") }
        }
        var users: [String: String] = [:]
        for (entry, place) in entries {
            let trimmed = entry.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            guard let colon = trimmed.firstIndex(of: ":"), colon != trimmed.startIndex else {
                throw ConfigurationError("\(place) is not user:password")
            }
            users[String(trimmed[..<colon])] = String(trimmed[trimmed.index(after: colon)...])
        }
        return users
    }
}

extension RegistryError {
    /// The error as Confluent renders it: its status and `{"error_code", "message"}`.
    public func response() -> Response {
        RegistryAPI.json(.object([("error_code", .number(String(errorCode))), ("message", .string(message))]),
                         status: HTTPResponse.Status(code: status))
    }
}

/// The Confluent-compatible REST API over a `SchemaRegistry`.
public enum RegistryAPI {
    static let contentType = "application/vnd.schemaregistry.v1+json"
    static let acceptedContentTypes: Set<String> = [
        "application/vnd.schemaregistry.v1+json", "application/vnd.schemaregistry+json", "application/json", "application/octet-stream",
    ]

    /// Adds every registry route to `router`.
    public static func addRoutes(to router: Router<BasicRequestContext>, registry: SchemaRegistry, configuration: RegistryAPIConfiguration) {
        router.add(middleware: RegistryContentNegotiationMiddleware())
        router.add(middleware: RegistryErrorMiddleware())
        if !configuration.basicAuthUsers.isEmpty {
            router.add(middleware: RegistryBasicAuthMiddleware(users: configuration.basicAuthUsers))
        }
        let maxBody = configuration.maxBodyBytes

        router.get("/") { _, _ in json(.object([])) }
        router.get("/schemas/types") { _, _ in json(.array([.string("AVRO")])) }

        // Subjects
        router.get("/subjects") { request, _ in
            let deleted = flag(request, "deleted")
            return json(.array(registry.snapshot().subjectNames(includeDeleted: deleted).map { .string($0) }))
        }
        router.get("/subjects/{subject}/versions") { request, context in
            let subject = try subjectParameter(context)
            let versions = try registry.snapshot().versions(of: subject, includeDeleted: flag(request, "deleted"))
            return json(.array(versions.map { .number(String($0.version)) }))
        }
        router.get("/subjects/{subject}/versions/{version}") { request, context in
            let subject = try subjectParameter(context)
            let state = registry.snapshot()
            let v = try state.version(context.parameters.get("version") ?? "", of: subject, includeDeleted: flag(request, "deleted"))
            return json(versionBody(subject: subject, version: v, schema: try state.schema(id: v.id)))
        }
        router.get("/subjects/{subject}/versions/{version}/schema") { request, context in
            let subject = try subjectParameter(context)
            let state = registry.snapshot()
            let v = try state.version(context.parameters.get("version") ?? "", of: subject, includeDeleted: flag(request, "deleted"))
            return raw(try state.schema(id: v.id).text)
        }
        router.get("/subjects/{subject}/versions/{version}/referencedby") { request, context in
            let subject = try subjectParameter(context)
            let state = registry.snapshot()
            let v = try state.version(context.parameters.get("version") ?? "", of: subject, includeDeleted: true)
            return json(.array(state.referencedBy(subject: subject, version: v.version).map { .number(String($0)) }))
        }
        router.post("/subjects/{subject}/versions") { request, context in
            let subject = try subjectParameter(context)
            let body = try await registrationBody(request, maxBody: maxBody)
            var command = try registerCommand(subject: subject, body: body, normalize: flag(request, "normalize"))
            command.id = try importNumber(body, "id")
            command.version = try importNumber(body, "version")
            let (id, _) = try await registry.register(command)
            return json(.object([("id", .number(String(id)))]))
        }
        router.post("/subjects/{subject}") { request, context in
            let subject = try subjectParameter(context)
            let body = try await registrationBody(request, maxBody: maxBody)
            let command = try registerCommand(subject: subject, body: body, normalize: flag(request, "normalize"))
            let state = registry.snapshot()
            guard state.subjects[subject]?.isEmpty == false else { throw RegistryError.subjectNotFound(subject) }
            let prepared = try state.prepare(command, limits: registry.limits)
            guard let v = state.existingVersion(of: prepared, in: subject, includeDeleted: flag(request, "deleted")) else {
                throw RegistryError.schemaNotFound()
            }
            return json(versionBody(subject: subject, version: v, schema: try state.schema(id: v.id)))
        }
        router.delete("/subjects/{subject}/versions/{version}") { request, context in
            let subject = try subjectParameter(context)
            let version = try RegistryState.parseVersion(context.parameters.get("version") ?? "") ?? -1
            let outcome = try await registry.submit(.deleteVersion(subject: subject, version: version, permanent: flag(request, "permanent")))
            guard case .deletedVersions(let versions) = outcome, let deleted = versions.first else { throw RegistryError.storeError("unexpected outcome") }
            return json(.number(String(deleted)))
        }
        router.delete("/subjects/{subject}") { request, context in
            let subject = try subjectParameter(context)
            let outcome = try await registry.submit(.deleteSubject(subject: subject, permanent: flag(request, "permanent")))
            guard case .deletedVersions(let versions) = outcome else { throw RegistryError.storeError("unexpected outcome") }
            return json(.array(versions.map { .number(String($0)) }))
        }

        // Schemas by id
        router.get("/schemas/ids/{id}") { request, context in
            // `?subject=` names a context in Confluent's registry; there is one context here,
            // so an id resolves whichever subject is given (as Confluent's default context does).
            let id = try idParameter(context)
            let stored = try await registry.read(schemaID: id) { state throws(RegistryError) in try state.schema(id: id) }
            guard stored.schemaType != .avro || !stored.references.isEmpty else {
                return raw("{\"schema\":\(stored.textLiteral)}")
            }
            var members: [(String, JSONValue)] = [("schema", .string(stored.text))]
            appendTypeAndReferences(stored, to: &members)
            return json(.object(members))
        }
        router.get("/schemas/ids/{id}/schema") { _, context in
            let id = try idParameter(context)
            return raw(try await registry.read(schemaID: id) { state throws(RegistryError) in try state.schema(id: id) }.text)
        }
        router.get("/schemas/ids/{id}/versions") { _, context in
            let id = try idParameter(context)
            let pairs = try await registry.read(schemaID: id) { state throws(RegistryError) in
                _ = try state.schema(id: id)
                return state.subjectVersions(usingID: id)
            }
            return json(.array(pairs.map { .object([("subject", .string($0.subject)), ("version", .number(String($0.version)))]) }))
        }
        router.get("/schemas/ids/{id}/subjects") { _, context in
            let id = try idParameter(context)
            let pairs = try await registry.read(schemaID: id) { state throws(RegistryError) in
                _ = try state.schema(id: id)
                return state.subjectVersions(usingID: id)
            }
            return json(.array(Array(Set(pairs.map(\.subject))).sorted().map { .string($0) }))
        }

        // Compatibility
        let compatibilityHandler: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, context in
            let subject = try subjectParameter(context)
            let body = try await registrationBody(request, maxBody: maxBody)
            let command = try registerCommand(subject: subject, body: body, normalize: flag(request, "normalize"))
            let state = registry.snapshot()
            let prepared = try state.prepare(command, limits: registry.limits)
            let problems: [AvroIncompatibility]
            if let versionSpec = context.parameters.get("version") {
                if try RegistryState.parseVersion(versionSpec) == nil, !(state.subjects[subject] ?? []).contains(where: { !$0.deleted }) {
                    // Confluent: anything is compatible with the latest version of a subject that has none.
                    problems = []
                } else {
                    let v = try state.version(versionSpec, of: subject, includeDeleted: false)
                    problems = try state.incompatibilities(of: prepared, subject: subject, against: v)
                }
            } else {
                problems = try state.incompatibilities(of: prepared, subject: subject)
            }
            var members: [(String, JSONValue)] = [("is_compatible", .bool(problems.isEmpty))]
            if flag(request, "verbose") { members.append(("messages", .array(problems.map { .string($0.description) }))) }
            return json(.object(members))
        }
        router.post("/compatibility/subjects/{subject}/versions/{version}", use: compatibilityHandler)
        router.post("/compatibility/subjects/{subject}/versions", use: compatibilityHandler)

        // Config
        router.get("/config") { _, _ in
            json(.object([("compatibilityLevel", .string(registry.snapshot().globalCompatibility.rawValue))]))
        }
        router.get("/config/{subject}") { request, context in
            let subject = try subjectParameter(context)
            let state = registry.snapshot()
            guard let level = state.compatibility(for: subject) ?? (flag(request, "defaultToGlobal") ? state.globalCompatibility : nil) else {
                throw RegistryError.subjectCompatibilityNotConfigured(subject)
            }
            return json(.object([("compatibilityLevel", .string(level.rawValue))]))
        }
        let putConfig: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, context in
            let subject = try context.parameters.get("subject").map { _ in try subjectParameter(context) }
            let body = try await registrationBody(request, maxBody: maxBody)
            let level = try compatibilityLevel(in: body)
            _ = try await registry.submit(.setCompatibility(subject: subject, level: level))
            return json(.object([("compatibility", .string(level.rawValue))]))
        }
        router.put("/config", use: putConfig)
        router.put("/config/{subject}", use: putConfig)
        let deleteConfig: @Sendable (Request, BasicRequestContext) async throws -> Response = { _, context in
            let subject = try context.parameters.get("subject").map { _ in try subjectParameter(context) }
            guard case .compatibility(let previous) = try await registry.submit(.deleteCompatibility(subject: subject)) else {
                throw RegistryError.storeError("unexpected outcome")
            }
            return json(.object([("compatibilityLevel", .string(previous?.rawValue ?? "BACKWARD"))]))
        }
        router.delete("/config", use: deleteConfig)
        router.delete("/config/{subject}", use: deleteConfig)

        // Mode
        router.get("/mode") { _, _ in json(.object([("mode", .string(registry.snapshot().globalMode.rawValue))])) }
        router.get("/mode/{subject}") { request, context in
            let subject = try subjectParameter(context)
            let state = registry.snapshot()
            guard let mode = state.mode(for: subject) ?? (flag(request, "defaultToGlobal") ? state.globalMode : nil) else {
                throw RegistryError.subjectModeNotConfigured(subject)
            }
            return json(.object([("mode", .string(mode.rawValue))]))
        }
        let putMode: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, context in
            let subject = try context.parameters.get("subject").map { _ in try subjectParameter(context) }
            let body = try await registrationBody(request, maxBody: maxBody)
            let mode = try RegistryAPI.mode(in: body)
            _ = try await registry.submit(.setMode(subject: subject, mode: mode, force: flag(request, "force")))
            return json(.object([("mode", .string(mode.rawValue))]))
        }
        router.put("/mode", use: putMode)
        router.put("/mode/{subject}", use: putMode)
        let deleteMode: @Sendable (Request, BasicRequestContext) async throws -> Response = { _, context in
            let subject = try context.parameters.get("subject").map { _ in try subjectParameter(context) }
            guard case .mode(let previous) = try await registry.submit(.deleteMode(subject: subject)) else {
                throw RegistryError.storeError("unexpected outcome")
            }
            return json(.object([("mode", .string(previous?.rawValue ?? "READWRITE"))]))
        }
        router.delete("/mode", use: deleteMode)
        router.delete("/mode/{subject}", use: deleteMode)
    }

    // MARK: - Helpers

    /// The media types the API answers with, each with its server-side quality (Confluent's weights).
    static let producedContentTypes: [(type: String, quality: Double)] = [
        ("application/vnd.schemaregistry.v1+json", 1), ("application/vnd.schemaregistry+json", 0.9), ("application/json", 0.5),
    ]

    /// The content type to answer a request whose `Accept` header is `accept` with, as Confluent
    /// (Jersey) negotiates it: the highest client quality times server quality, the client's
    /// quality taken from its most specific matching range; ties go to the server's order.
    /// No header, or nothing acceptable, gets the default `application/vnd.schemaregistry.v1+json`.
    package static func negotiatedContentType(accept: String?) -> String {
        guard let accept, !accept.isEmpty else { return contentType }
        var ranges: [(type: String, subtype: String, quality: Double)] = []
        for element in accept.split(separator: ",") {
            let parts = element.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let media = parts.first, let slash = media.firstIndex(of: "/") else { continue }
            var quality = 1.0
            for parameter in parts.dropFirst() where parameter.hasPrefix("q=") {
                quality = Double(parameter.dropFirst(2)).map { min(max($0, 0), 1) } ?? 0
            }
            ranges.append((String(media[..<slash]), String(media[media.index(after: slash)...]), quality))
        }
        var best: (type: String, score: Double)?
        for offer in producedContentTypes {
            let offerType = offer.type.split(separator: "/").map(String.init)
            var match: (specificity: Int, quality: Double)?
            for range in ranges {
                let specificity: Int
                if range.type == offerType[0] && range.subtype == offerType[1] {
                    specificity = 2
                } else if range.type == offerType[0] && range.subtype == "*" {
                    specificity = 1
                } else if range.type == "*" && range.subtype == "*" {
                    specificity = 0
                } else {
                    continue
                }
                if match.map({ specificity > $0.specificity }) ?? true { match = (specificity, range.quality) }
            }
            guard let match, match.quality > 0 else { continue }
            let score = match.quality * offer.quality
            if best.map({ score > $0.score }) ?? true { best = (offer.type, score) }
        }
        return best?.type ?? contentType
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(string: value.compactText)))
    }

    static func raw(_ text: String) -> Response {
        Response(status: .ok, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func flag(_ request: Request, _ name: String) -> Bool {
        request.uri.queryParameters[Substring(name)].map { $0.lowercased() == "true" } ?? false
    }

    /// The percent-decoded `{subject}`: not empty, at most 255 bytes, no control characters.
    /// An escape that does not decode to UTF-8 (`%FF`) is refused, not kept as literal text.
    static func subjectParameter(_ context: BasicRequestContext) throws(RegistryError) -> String {
        let raw = context.parameters.get("subject") ?? ""
        guard let subject = raw.removingPercentEncoding else { throw .invalidSubject(raw) }
        guard !subject.isEmpty, subject.utf8.count <= 255, !subject.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .invalidSubject(subject)
        }
        return subject
    }

    static func idParameter(_ context: BasicRequestContext) throws(RegistryError) -> Int {
        guard let id = Int(context.parameters.get("id") ?? ""), id > 0 else {
            throw .schemaNotFound()
        }
        return id
    }

    /// The request's JSON object body, checked for content type and size.
    static func registrationBody(_ request: Request, maxBody: Int) async throws -> JSONValue {
        var request = request
        if let type = request.headers[.contentType] {
            let base = type.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
            guard acceptedContentTypes.contains(base) else {
                throw RegistryError(status: 415, errorCode: 415, message: "HTTP 415 Unsupported Media Type: \(base)")
            }
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: maxBody)
        } catch is NIOTooManyBytesError {
            throw RegistryError(status: 413, errorCode: 413, message: "Request body is larger than \(maxBody) bytes")
        }
        return try requestBody(Array(buffer.readableBytesView))
    }

    /// An imported `id` or `version` from a registration body: nil when absent or null, else
    /// an integer in 1...2^31-1.
    /// - Throws: 42201 for a bad id, 42202 for a bad version.
    package static func importNumber(_ body: JSONValue, _ key: String) throws(RegistryError) -> Int? {
        guard let value = body[key], value != .null else { return nil }
        guard let number = value.int64Value, (1...Int64(Int32.max)).contains(number) else {
            let text = value.compactText
            throw key == "version" ? .invalidVersion(String(text.prefix(32))) : .invalidSchemaID(text)
        }
        return Int(number)
    }

    package static func registerCommand(subject: String, body: JSONValue, normalize: Bool) throws(RegistryError) -> RegisterCommand {
        guard let schema = body["schema"]?.stringValue else {
            throw .invalidSchema("the body needs \"schema\", the schema as a JSON string")
        }
        var references: [SchemaReference] = []
        for (i, r) in (body["references"]?.arrayValue ?? []).enumerated() {
            guard let name = r["name"]?.stringValue, let refSubject = r["subject"]?.stringValue, let version = r["version"]?.int64Value else {
                throw .invalidSchema("reference \(i) needs name, subject and version")
            }
            references.append(SchemaReference(name: name, subject: refSubject, version: Int(version)))
        }
        return RegisterCommand(subject: subject, schema: schema, schemaType: body["schemaType"]?.stringValue.map(SchemaType.init(wireName:)) ?? .avro,
                               references: references, normalize: normalize)
    }

    static func versionBody(subject: String, version: RegistrySubjectVersion, schema: StoredSchema) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("subject", .string(subject)), ("version", .number(String(version.version))),
            ("id", .number(String(schema.id))), ("schema", .string(schema.text)),
        ]
        appendTypeAndReferences(schema, to: &members)
        return .object(members)
    }

    static func appendTypeAndReferences(_ schema: StoredSchema, to members: inout [(String, JSONValue)]) {
        if schema.schemaType != .avro { members.append(("schemaType", .string(schema.schemaType.wireName))) }
        if !schema.references.isEmpty {
            members.append(("references", .array(schema.references.map {
                .object([("name", .string($0.name)), ("subject", .string($0.subject)), ("version", .number(String($0.version)))])
            })))
        }
    }
}

/// Answers with the content type the request's `Accept` header asks for (Confluent's
/// negotiation): responses the routes render with the default type get the negotiated one.
struct RegistryContentNegotiationMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        let negotiated = RegistryAPI.negotiatedContentType(accept: request.headers[.accept])
        if negotiated != RegistryAPI.contentType, response.headers[.contentType] == RegistryAPI.contentType {
            response.headers[.contentType] = negotiated
        }
        return response
    }
}

/// Renders every error as Confluent's `{"error_code", "message"}` and counts requests.
struct RegistryErrorMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let response: Response
        do {
            response = try await next(request, context)
        } catch let e as RegistryError {
            response = e.response()
        } catch let e as HTTPResponseError {
            let code = Int(e.status.code)
            response = RegistryError(status: code, errorCode: code, message: "HTTP \(code) \(e.status.reasonPhrase)").response()
        } catch {
            context.logger.error("request failed: \(error)")
            response = RegistryError.storeError("internal error").response()
        }
        RequestCounters.shared.counter(route: context.endpointPath ?? "unmatched", method: request.method.rawValue,
                                       status: response.status.code).increment()
        return response
    }
}

/// `schema_registry_http_requests_total` counters, made once per route, method and status.
final class RequestCounters: Sendable {
    static let shared = RequestCounters()
    private struct Key: Hashable {
        var route: String
        var method: String
        var status: Int
    }
    private let counters = Mutex<[Key: Counter]>([:])

    func counter(route: String, method: String, status: Int) -> Counter {
        let key = Key(route: route, method: method, status: status)
        return counters.withLock { counters in
            if let c = counters[key] { return c }
            let c = Counter(label: "schema_registry_http_requests_total",
                            dimensions: [("route", route), ("method", method), ("status", String(status))])
            counters[key] = c
            return c
        }
    }
}

/// HTTP basic authentication against a fixed set of users.
struct RegistryBasicAuthMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let users: [String: String]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let header = request.headers[.authorization], header.lowercased().hasPrefix("basic "),
           let decoded = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
           let text = String(data: decoded, encoding: .utf8), let colon = text.firstIndex(of: ":"),
           users[String(text[..<colon])] == String(text[text.index(after: colon)...]) {
            return try await next(request, context)
        }
        var response = RegistryError(status: 401, errorCode: 401, message: "Unauthorized").response()
        response.headers[.wwwAuthenticate] = "Basic realm=\"schema-registry\""
        return response
    }
}
