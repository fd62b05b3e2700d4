import CLibPQ

/// An error from Postgres or from this module, with the server's SQLSTATE when there is one.
public struct PostgresError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The kind of failure. Cases may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Backing: String, Hashable, Sendable { case connection, server, copy, decoding, closed }
        private let backing: Backing
        private init(_ b: Backing) { backing = b }
        /// Could not connect, or the connection broke: check the URL and that the server is up.
        public static let connection = Code(.connection)
        /// The server rejected a statement; see `sqlState`.
        public static let server = Code(.server)
        /// A COPY failed.
        public static let copy = Code(.copy)
        /// A column could not be read as the requested Swift type.
        public static let decoding = Code(.decoding)
        /// The connection was closed.
        public static let closed = Code(.closed)
        public var description: String { backing.rawValue }
    }

    public var code: Code
    /// The server's five-character SQLSTATE, e.g. `23505` for a unique violation.
    public var sqlState: String?
    /// The primary message (safe to log: no row data).
    public var message: String
    /// The server's DETAIL, which may quote row data; only in `debugDescription`.
    public var detail: String?
    /// The violated constraint, when the server names one.
    public var constraint: String?
    public var file: String
    public var line: Int

    public init(_ code: Code, _ message: String, sqlState: String? = nil, detail: String? = nil, constraint: String? = nil,
                file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
        self.detail = detail
        self.constraint = constraint
        self.file = file
        self.line = line
    }

    /// True for SQLSTATE 23505.
    public var isUniqueViolation: Bool { sqlState == "23505" }
    /// True for serialization failures and deadlocks, which are safe to retry.
    public var isRetriable: Bool { sqlState == "40001" || sqlState == "40P01" || code == .connection }

    public var description: String {
        "PostgresError.\(code)\(sqlState.map { " [\($0)]" } ?? ""): \(message)"
    }

    public var debugDescription: String {
        description + (detail.map { " DETAIL: \($0)" } ?? "") + (constraint.map { " CONSTRAINT: \($0)" } ?? "") + " (\(file):\(line))"
    }

    static func from(result: OpaquePointer?, connection: OpaquePointer?, context: String) -> PostgresError {
        func field(_ f: Int32) -> String? {
            guard let result, let p = PQresultErrorField(result, f) else { return nil }
            return String(cString: p)
        }
        let primary = field(Int32(UInt8(ascii: "M"))) ?? connection.flatMap { PQerrorMessage($0).map { String(cString: $0) } } ?? "unknown error"
        let sqlState = field(Int32(UInt8(ascii: "C")))
        return PostgresError(sqlState == nil && connection.map { PQstatus($0) != CONNECTION_OK } == true ? .connection : .server,
                             "\(context): \(primary.trimmingTrailingWhitespace())",
                             sqlState: sqlState, detail: field(Int32(UInt8(ascii: "D"))), constraint: field(Int32(UInt8(ascii: "n"))))
    }
}

extension String {
    func trimmingTrailingWhitespace() -> String {
        var s = Substring(self)
        while let last = s.last, last.isWhitespace { s.removeLast() }
        return String(s)
    }
}
