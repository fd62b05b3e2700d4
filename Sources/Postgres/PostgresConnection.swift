import CLibPQ
import Dispatch
import Foundation
import Logging

/// A server notice (`RAISE NOTICE`, warnings).
public struct PostgresNotice: Sendable {
    public var severity: String
    public var message: String
}

/// One libpq connection. Every libpq call runs on the connection's own dispatch queue,
/// never on Swift's cooperative pool. Use a connection from one task at a time.
public final class PostgresConnection: @unchecked Sendable {
    // The PGconn is only touched on `queue`.
    private let connection: OpaquePointer
    private let queue: DispatchQueue
    private let noticeContext: UnsafeMutableRawPointer
    private let lock = NSLock()
    private var isClosed = false
    public let logger: Logger

    private init(connection: OpaquePointer, queue: DispatchQueue, noticeContext: UnsafeMutableRawPointer, logger: Logger) {
        self.connection = connection
        self.queue = queue
        self.noticeContext = noticeContext
        self.logger = logger
    }

    /// Connects by URL (`postgresql://user:password@host:port/database?sslmode=…`).
    /// The session uses time zone UTC and ISO dates.
    /// - Parameter onNotice: receives server notices; by default they are logged.
    /// - Throws: `PostgresError.connection` with libpq's reason.
    public static func connect(url: String, logger: Logger = Logger(label: "postgres"),
                               onNotice: (@Sendable (PostgresNotice) -> Void)? = nil) async throws -> PostgresConnection {
        let queue = DispatchQueue(label: "postgres.connection")
        let handler: @Sendable (PostgresNotice) -> Void = onNotice ?? { notice in
            logger.info("postgres \(notice.severity.lowercased()): \(notice.message)")
        }
        let conn: OpaquePointer = try await withCheckedThrowingContinuation { continuation in
            queue.async {
                guard let conn = PQconnectdb(url) else {
                    continuation.resume(throwing: PostgresError(.connection, "libpq could not allocate a connection"))
                    return
                }
                guard PQstatus(conn) == CONNECTION_OK else {
                    let reason = String(cString: PQerrorMessage(conn)).trimmingTrailingWhitespace()
                    PQfinish(conn)
                    continuation.resume(throwing: PostgresError(.connection, "could not connect to Postgres: \(reason)"))
                    return
                }
                continuation.resume(returning: conn)
            }
        }
        let box = Unmanaged.passRetained(PostgresNoticeBox(handler)).toOpaque()
        PQsetNoticeReceiver(conn, postgresNoticeReceiver, box)
        let connection = PostgresConnection(connection: conn, queue: queue, noticeContext: box, logger: logger)
        _ = try await connection.query("SET TimeZone = 'UTC'; SET DateStyle = 'ISO'")
        return connection
    }

    deinit { closeNow() }

    /// Closes the connection. Idempotent.
    public func close() async {
        await withCheckedContinuation { continuation in
            queue.async { [self] in
                closeNow()
                continuation.resume()
            }
        }
    }

    private func closeNow() {
        let first = lock.withLock { defer { isClosed = true }; return !isClosed }
        guard first else { return }
        PQfinish(connection)
        Unmanaged<PostgresNoticeBox>.fromOpaque(noticeContext).release()
    }

    private func onQueue<T: Sendable>(_ body: @escaping @Sendable (OpaquePointer) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { [self] in
                if lock.withLock({ isClosed }) {
                    continuation.resume(throwing: PostgresError(.closed, "the connection is closed"))
                    return
                }
                continuation.resume(with: Result { try body(connection) })
            }
        }
    }

    /// Runs a statement with `$1…$n` parameters (sent in binary, typed by their case).
    /// Without parameters, several `;`-separated statements may be sent at once.
    /// - Throws: `PostgresError.server` with the SQLSTATE.
    @discardableResult
    public func query(_ sql: String, _ parameters: [PostgresValue] = []) async throws -> PostgresQueryResult {
        try await onQueue { conn in
            let result: OpaquePointer?
            if parameters.isEmpty {
                result = PQexec(conn, sql)
            } else {
                result = PostgresConnection.execParams(conn, sql, parameters)
            }
            defer { PQclear(result) }
            return try PostgresConnection.read(result, conn, context: "query failed")
        }
    }

    private static func execParams(_ conn: OpaquePointer, _ sql: String, _ parameters: [PostgresValue]) -> OpaquePointer? {
        var buffers: [[UInt8]?] = parameters.map { p in
            var out: [UInt8] = []
            return p.appendBinary(to: &out) ? out : nil
        }
        let types = parameters.map { Oid($0.typeOID) }
        let lengths = buffers.map { Int32($0?.count ?? 0) }
        let formats = [Int32](repeating: 1, count: parameters.count)
        // Keep every buffer alive (and non-empty-addressed) for the call.
        for i in buffers.indices where buffers[i]?.isEmpty == true { buffers[i] = [0] }
        let pointers: [UnsafeMutablePointer<CChar>?] = buffers.map { buf in
            guard let buf else { return nil }
            let p = UnsafeMutablePointer<CChar>.allocate(capacity: buf.count)
            buf.withUnsafeBytes { UnsafeMutableRawPointer(p).copyMemory(from: $0.baseAddress!, byteCount: buf.count) }
            return p
        }
        defer { for p in pointers { p?.deallocate() } }
        return pointers.map { UnsafePointer($0) }.withUnsafeBufferPointer { values in
            PQexecParams(conn, sql, Int32(parameters.count), types, values.baseAddress, lengths, formats, 0)
        }
    }

    private static func read(_ result: OpaquePointer?, _ conn: OpaquePointer, context: String) throws -> PostgresQueryResult {
        guard let result else { throw PostgresError.from(result: nil, connection: conn, context: context) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            return PostgresQueryResult(rows: [], affectedRows: Int(String(cString: PQcmdTuples(result))) ?? 0)
        case PGRES_TUPLES_OK, PGRES_SINGLE_TUPLE:
            let nFields = Int(PQnfields(result))
            let nRows = Int(PQntuples(result))
            let columns = (0..<nFields).map { String(cString: PQfname(result, Int32($0))) }
            let types = (0..<nFields).map { UInt32(PQftype(result, Int32($0))) }
            var rows: [PostgresRow] = []
            rows.reserveCapacity(nRows)
            for r in 0..<Int32(nRows) {
                let values: [String?] = (0..<Int32(nFields)).map { c in
                    PQgetisnull(result, r, c) == 1 ? nil : String(cString: PQgetvalue(result, r, c))
                }
                rows.append(PostgresRow(columns: columns, typeOIDs: types, values: values))
            }
            return PostgresQueryResult(rows: rows, affectedRows: nRows)
        default:
            throw PostgresError.from(result: result, connection: conn, context: context)
        }
    }

    /// Runs `body` in a transaction: commits when it returns, rolls back when it throws.
    public func withTransaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await query("BEGIN")
        let value: T
        do {
            value = try await body(self)
        } catch {
            do {
                try await query("ROLLBACK")
            } catch let rollback {
                logger.error("rollback failed after \(error): \(rollback)")
            }
            throw error
        }
        try await query("COMMIT")
        return value
    }

    /// Bulk-loads rows with `COPY … FROM STDIN (FORMAT binary)`.
    /// Each value's case must match its column's type exactly (`.int64` for `bigint`, …).
    /// - Returns: the number of rows copied.
    /// - Throws: `PostgresError.copy` or `.server` (for example a constraint violation).
    @discardableResult
    public func copy(into table: String, columns: [String], rows: [[PostgresValue]]) async throws -> Int {
        let statement = "COPY \(table) (\(columns.joined(separator: ", "))) FROM STDIN (FORMAT binary)"
        return try await onQueue { conn in
            let start = PQexec(conn, statement)
            defer { PQclear(start) }
            guard PQresultStatus(start) == PGRES_COPY_IN else {
                throw PostgresError.from(result: start, connection: conn, context: "COPY into \(table) failed")
            }
            var buffer: [UInt8] = Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00] + [0, 0, 0, 0] + [0, 0, 0, 0]
            buffer.reserveCapacity(1 << 20)
            var failure: PostgresError?
            func flush() {
                guard !buffer.isEmpty, failure == nil else { return }
                let rc = buffer.withUnsafeBytes { PQputCopyData(conn, $0.baseAddress!.assumingMemoryBound(to: CChar.self), Int32($0.count)) }
                if rc != 1 { failure = PostgresError(.copy, "sending COPY data failed: \(String(cString: PQerrorMessage(conn)).trimmingTrailingWhitespace())") }
                buffer.removeAll(keepingCapacity: true)
            }
            for row in rows {
                guard row.count == columns.count else {
                    _ = PQputCopyEnd(conn, "row has the wrong number of columns")
                    let end = PQgetResult(conn)
                    PQclear(end)
                    while let extra = PQgetResult(conn) { PQclear(extra) }
                    throw PostgresError(.copy, "a COPY row has \(row.count) values for \(columns.count) columns")
                }
                withUnsafeBytes(of: Int16(columns.count).bigEndian) { buffer.append(contentsOf: $0) }
                for value in row {
                    let lengthAt = buffer.count
                    buffer.append(contentsOf: [0, 0, 0, 0])
                    if value.appendBinary(to: &buffer) {
                        let length = Int32(buffer.count - lengthAt - 4).bigEndian
                        withUnsafeBytes(of: length) { for i in 0..<4 { buffer[lengthAt + i] = $0[i] } }
                    } else {
                        for i in 0..<4 { buffer[lengthAt + i] = 0xFF }
                    }
                }
                if buffer.count >= 1 << 20 { flush() }
            }
            buffer.append(contentsOf: [0xFF, 0xFF])
            flush()
            _ = PQputCopyEnd(conn, failure == nil ? nil : "client failed to send data")
            var copied = 0
            var serverError: PostgresError?
            while let result = PQgetResult(conn) {
                if PQresultStatus(result) == PGRES_COMMAND_OK {
                    copied = Int(String(cString: PQcmdTuples(result))) ?? 0
                } else if serverError == nil {
                    serverError = PostgresError.from(result: result, connection: conn, context: "COPY into \(table) failed")
                }
                PQclear(result)
            }
            if let failure { throw failure }
            if let serverError { throw serverError }
            return copied
        }
    }
}

final class PostgresNoticeBox: @unchecked Sendable {
    let handler: @Sendable (PostgresNotice) -> Void
    init(_ handler: @escaping @Sendable (PostgresNotice) -> Void) { self.handler = handler }
}

private let postgresNoticeReceiver: @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?) -> Void = { arg, result in
    guard let arg, let result else { return }
    let box = Unmanaged<PostgresNoticeBox>.fromOpaque(arg).takeUnretainedValue()
    let severity = PQresultErrorField(result, Int32(UInt8(ascii: "S"))).map { String(cString: $0) } ?? "NOTICE"
    let message = PQresultErrorField(result, Int32(UInt8(ascii: "M"))).map { String(cString: $0) } ?? ""
    box.handler(PostgresNotice(severity: severity, message: message))
}
