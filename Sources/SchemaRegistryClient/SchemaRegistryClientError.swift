import HTTPClient

/// A failed registry call: either the registry answered with an error status
/// (`status`, Confluent's `error_code` and `message`), or the request never got a
/// complete answer (`transport` is set and `status` is 0).
public struct SchemaRegistryClientError: Error, Sendable, CustomStringConvertible {
    /// The HTTP status; 0 when the request failed before a response (see `transport`).
    public var status: Int
    /// Confluent's `error_code` (`40401`, `42201`, …); `-1` when the body did not carry one.
    public var errorCode: Int
    /// The registry's `message`, or a description of the failure.
    public var message: String
    /// The transport failure, when the request did not get a complete response.
    public var transport: HTTPClientError?

    /// An error as the registry reported it, or as the client found it.
    public init(status: Int, errorCode: Int, message: String, transport: HTTPClientError? = nil) {
        self.status = status
        self.errorCode = errorCode
        self.message = message
        self.transport = transport
    }

    /// Wraps a transport failure.
    public init(transport: HTTPClientError) {
        self.init(status: 0, errorCode: -1, message: transport.description, transport: transport)
    }

    // MARK: Confluent error codes

    /// `error_code` used when the response carried none.
    public static let unknownErrorCode = -1
    /// 40401: the subject does not exist.
    public static let subjectNotFoundCode = 40401
    /// 40402: the subject has no such version.
    public static let versionNotFoundCode = 40402
    /// 40403: no schema has that id (or the schema is not under that subject, for lookups).
    public static let schemaNotFoundCode = 40403
    /// 40404: the subject was soft-deleted.
    public static let subjectSoftDeletedCode = 40404
    /// 40405: a permanent delete of a subject that was not soft-deleted first.
    public static let subjectNotSoftDeletedCode = 40405
    /// 40406: the version was soft-deleted.
    public static let versionSoftDeletedCode = 40406
    /// 40407: a permanent delete of a version that was not soft-deleted first.
    public static let versionNotSoftDeletedCode = 40407
    /// 40408: the subject has no compatibility level of its own.
    public static let subjectCompatibilityNotConfiguredCode = 40408
    /// 409: the schema is incompatible with earlier versions (the HTTP status is 409 too).
    public static let incompatibleSchemaCode = 409
    /// 42201: the schema (or schema type) is invalid.
    public static let invalidSchemaCode = 42201
    /// 42202: the version is not a positive integer or `latest`.
    public static let invalidVersionCode = 42202
    /// 42203: the compatibility level is not one the registry knows.
    public static let invalidCompatibilityLevelCode = 42203
    /// 50001: the registry's backing store failed.
    public static let backendStoreErrorCode = 50001
    /// 50002: the registry's operation timed out.
    public static let operationTimeoutCode = 50002

    // MARK: Predicates

    /// The subject does not exist (40401).
    public var isSubjectNotFound: Bool { errorCode == Self.subjectNotFoundCode }
    /// The subject has no such version (40402).
    public var isVersionNotFound: Bool { errorCode == Self.versionNotFoundCode }
    /// No schema has that id, or the schema is not registered under the subject (40403).
    public var isSchemaNotFound: Bool { errorCode == Self.schemaNotFoundCode }
    /// Any "not found" answer (HTTP 404).
    public var isNotFound: Bool { status == 404 }
    /// The schema breaks the subject's compatibility rules (HTTP 409).
    public var isIncompatible: Bool { status == 409 }
    /// The schema is not valid (42201).
    public var isInvalidSchema: Bool { errorCode == Self.invalidSchemaCode }
    /// The request failed before a complete response (connect error, timeout, broken transfer).
    public var isTransportError: Bool { transport != nil }
    /// Worth retrying later: a 5xx or 429 answer, or a transport timeout, refused
    /// connection or broken transfer. Client errors (4xx) are never retriable.
    public var isRetriable: Bool {
        if let transport { return transport.isRetriable }
        return status >= 500 || status == 429
    }

    public var description: String {
        if let transport { return "schema registry request failed: \(transport)" }
        return "schema registry error \(errorCode) (HTTP \(status)): \(message)"
    }
}
