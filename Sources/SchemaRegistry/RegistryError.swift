/// An error the registry answers with: HTTP status, Confluent `error_code` and message.
public struct RegistryError: Error, Sendable, Hashable, CustomStringConvertible {
    public var status: Int
    public var errorCode: Int
    public var message: String

    public init(status: Int, errorCode: Int, message: String) {
        self.status = status
        self.errorCode = errorCode
        self.message = message
    }

    public var description: String { "\(status) \(errorCode): \(message)" }

    static func subjectNotFound(_ s: String) -> RegistryError { .init(status: 404, errorCode: 40401, message: "Subject '\(s)' not found.") }
    static func versionNotFound(_ v: String) -> RegistryError { .init(status: 404, errorCode: 40402, message: "Version \(v) not found.") }
    static func schemaNotFound(_ id: Int? = nil) -> RegistryError {
        .init(status: 404, errorCode: 40403, message: id.map { "Schema \($0) not found" } ?? "Schema not found")
    }
    static func subjectSoftDeleted(_ s: String) -> RegistryError {
        .init(status: 404, errorCode: 40404, message: "Subject '\(s)' was soft deleted.Set permanent=true to delete permanently")
    }
    static func subjectNotSoftDeleted(_ s: String) -> RegistryError {
        .init(status: 404, errorCode: 40405, message: "Subject '\(s)' was not deleted first before being permanently deleted")
    }
    static func versionSoftDeleted(_ s: String, _ v: Int) -> RegistryError {
        .init(status: 404, errorCode: 40406, message: "Subject '\(s)' Version \(v) was soft deleted.Set permanent=true to delete permanently")
    }
    static func versionNotSoftDeleted(_ s: String, _ v: Int) -> RegistryError {
        .init(status: 404, errorCode: 40407, message: "Subject '\(s)' Version \(v) was not deleted first before being permanently deleted")
    }
    static func subjectCompatibilityNotConfigured(_ s: String) -> RegistryError {
        .init(status: 404, errorCode: 40408, message: "Subject '\(s)' does not have subject-level compatibility configured")
    }
    static func subjectModeNotConfigured(_ s: String) -> RegistryError {
        .init(status: 404, errorCode: 40409, message: "Subject '\(s)' does not have subject-level mode configured")
    }
    static func incompatible(_ messages: [String]) -> RegistryError {
        .init(status: 409, errorCode: 409, message: "Schema being registered is incompatible with an earlier schema for subject; details: \(messages.joined(separator: "; "))")
    }
    static func invalidSchema(_ why: String) -> RegistryError { .init(status: 422, errorCode: 42201, message: "Invalid schema: \(why)") }
    static func invalidVersion(_ v: String) -> RegistryError {
        .init(status: 422, errorCode: 42202,
              message: "The specified version '\(v)' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"")
    }
    static func invalidSchemaID(_ id: String) -> RegistryError {
        .init(status: 422, errorCode: 42201, message: "Invalid schema id \(id.prefix(32)): ids are between 1 and 2^31-1")
    }
    static func invalidCompatibilityLevel(_ l: String) -> RegistryError {
        .init(status: 422, errorCode: 42203,
              message: "Invalid compatibility level '\(l)'. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive")
    }
    static func invalidMode(_ m: String) -> RegistryError {
        .init(status: 422, errorCode: 42204, message: "Invalid mode '\(m)'. Valid values are READWRITE, READONLY and IMPORT")
    }
    static func operationNotPermitted(_ why: String) -> RegistryError { .init(status: 422, errorCode: 42205, message: why) }
    static func referenceExists(_ why: String) -> RegistryError { .init(status: 422, errorCode: 42206, message: why) }
    static func idDoesNotMatch(_ why: String) -> RegistryError { .init(status: 422, errorCode: 42207, message: why) }
    static func invalidSubject(_ s: String) -> RegistryError {
        .init(status: 422, errorCode: 42208, message: "The specified subject '\(s.prefix(64))' is not a valid subject name")
    }
    static func storeError(_ why: String) -> RegistryError { .init(status: 500, errorCode: 50001, message: "Error in the backend data store: \(why)") }
    static func timeout(_ why: String) -> RegistryError { .init(status: 500, errorCode: 50002, message: "Operation timed out: \(why)") }
    static func badRequest(_ why: String) -> RegistryError { .init(status: 400, errorCode: 400, message: why) }
}
