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

    /// Connects, retrying with exponential backoff (200 ms doubling to 5 s) while the server
    /// cannot be reached, for at most `retryFor`.
    /// - Throws: the last `PostgresError.connection` when the time is up, or `CancellationError`.
    public static func connect(url: String, retryFor: Duration, statementTimeout: Duration? = nil,
                               logger: Logger = Logger(label: "postgres")) async throws -> PostgresConnection {
        let clock = ContinuousClock()
        let deadline = clock.now + retryFor
        var wait = Duration.milliseconds(200)
        while true {
            do {
                return try await connect(url: url, statementTimeout: statementTimeout, logger: logger)
            } catch let error as PostgresError where error.code == .connection && clock.now + wait < deadline {
                logger.warning("Postgres unreachable, retrying in \(wait): \(error)")
                try await Task.sleep(for: wait)
                wait = min(wait * 2, .seconds(5))
            }
        }
    }

    /// Connects by URL (`postgresql://user:password@host:port/database?sslmode=…`).
    /// The session uses time zone UTC and ISO dates.
    /// - Parameters:
    ///   - statementTimeout: the server cancels any statement running longer (default: none).
    ///   - onNotice: receives server notices; by default they are logged.
    /// - Throws: `PostgresError.connection` with libpq's reason, scrubbed of the password.
    public static func connect(url: String, statementTimeout: Duration? = nil, logger: Logger = Logger(label: "postgres"),
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
                    let reason = PostgresConnectionString.scrub(String(cString: PQerrorMessage(conn)).trimmingTrailingWhitespace(), connectionString: url)
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
        if let statementTimeout {
            let (seconds, atto) = statementTimeout.components
            _ = try await connection.query("SET statement_timeout = \(max(1, seconds * 1000 + atto / 1_000_000_000_000_000))")
        }
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
        let first = lock.withLock { () -> Bool in defer { isClosed = true }; return !isClosed }
        guard first else { return }
        PQfinish(connection)
        Unmanaged<PostgresNoticeBox>.fromOpaque(noticeContext).release()
    }

    /// Runs `body` on the connection's queue. Cancelling the task cancels the statement
    /// running on the server (`PQcancel`); the statement then fails with SQLSTATE 57014.
    private func onQueue<T: Sendable>(_ body: @escaping @Sendable (OpaquePointer) throws -> T) async throws -> T {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                queue.async { [self] in
                    if lock.withLock({ isClosed }) {
                        continuation.resume(throwing: PostgresError(.closed, "the connection is closed"))
                        return
                    }
                    continuation.resume(with: Result { try body(connection) })
                }
            }
        } onCancel: {
            cancelRunningStatement()
        }
    }

    /// Asks the server to cancel whatever this connection is running (safe from any thread).
    public func cancelRunningStatement() {
        lock.withLock {
            guard !isClosed, let cancel = PQgetCancel(connection) else { return }
            var errbuf = [CChar](repeating: 0, count: 256)
            _ = PQcancel(cancel, &errbuf, Int32(errbuf.count))
            PQfreeCancel(cancel)
        }
    }

    /// False once the server connection is lost: such a connection cannot be used again;
    /// connect anew (`connect(url:retryFor:)` waits with backoff).
    public var isUsable: Bool {
        lock.withLock { !isClosed && PQstatus(connection) == CONNECTION_OK }
    }

    /// Runs a statement with `$1…$n` parameters (sent in binary, typed by their case).
    /// Without parameters, several `;`-separated statements may be sent at once.
    /// - Throws: `PostgresError.server` with the SQLSTATE.
    @discardableResult
    public func query(_ sql: String, _ parameters: [PostgresValue] = []) async throws -> PostgresQueryResult {
        if let reason = parameters.lazy.compactMap(\.invalidReason).first { throw PostgresError(.decoding, "invalid parameter: \(reason)") }
        return try await onQueue { conn in
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
        withBinaryParameters(parameters) { count, types, values, lengths, formats in
            PQexecParams(conn, sql, count, types, values, lengths, formats, 0)
        }
    }

    /// Lays out parameters in binary format for one libpq call.
    private static func withBinaryParameters<R>(_ parameters: [PostgresValue],
                                                _ body: (Int32, UnsafePointer<Oid>?, UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?, UnsafePointer<Int32>?) -> R) -> R {
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
            body(Int32(parameters.count), types, values.baseAddress, lengths, formats)
        }
    }

    private static func read(_ result: OpaquePointer?, _ conn: OpaquePointer, context: String) throws -> PostgresQueryResult {
        guard let result else { throw PostgresError.from(result: nil, connection: conn, context: context) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            return PostgresQueryResult(rows: [], affectedRows: Int(String(cString: PQcmdTuples(result))) ?? 0,
                                       commandTag: String(cString: PQcmdStatus(result)))
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
            return PostgresQueryResult(rows: rows, affectedRows: nRows, commandTag: String(cString: PQcmdStatus(result)))
        default:
            throw PostgresError.from(result: result, connection: conn, context: context)
        }
    }

    /// Runs `body` in a transaction: commits when it returns, rolls back when it throws.
    /// - Throws: what `body` throws; or `PostgresError.server` with SQLSTATE 25P02 when the
    ///   transaction was aborted by a statement whose error `body` caught (the server then
    ///   answers COMMIT with ROLLBACK: nothing was written).
    public func withTransaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await query("BEGIN")
        let value: T
        do {
            value = try await body(self)
            if transactionFailed {
                throw PostgresError(.server, "the transaction was aborted by an earlier error inside it and was rolled back", sqlState: "25P02")
            }
        } catch {
            if isUsable {
                do {
                    try await query("ROLLBACK")
                } catch let rollback {
                    logger.error("rollback failed after \(error): \(rollback)")
                }
            }
            throw error
        }
        let commit = try await query("COMMIT")
        guard commit.commandTag == "COMMIT" else {
            throw PostgresError(.server, "COMMIT was answered with \(commit.commandTag): the transaction was rolled back", sqlState: "25P02")
        }
        return value
    }

    /// True while the connection is inside a transaction that an error aborted.
    private var transactionFailed: Bool {
        lock.withLock { !isClosed && PQtransactionStatus(connection) == PQTRANS_INERROR }
    }

    /// One statement of a pipeline.
    public struct Statement: Sendable {
        public var sql: String
        public var parameters: [PostgresValue]
        public init(_ sql: String, _ parameters: [PostgresValue] = []) {
            self.sql = sql
            self.parameters = parameters
        }
    }

    /// Sends every statement at once in libpq's pipeline mode and reads all the results:
    /// one network round trip for the lot. Statements after a failed one are skipped by the
    /// server (inside a transaction, the transaction is then aborted).
    /// - Returns: one result per statement, in order.
    /// - Throws: the first statement's `PostgresError`.
    @discardableResult
    public func pipeline(_ statements: [Statement]) async throws -> [PostgresQueryResult] {
        for s in statements {
            if let reason = s.parameters.lazy.compactMap(\.invalidReason).first { throw PostgresError(.decoding, "invalid parameter: \(reason)") }
        }
        return try await onQueue { conn in
            guard PQenterPipelineMode(conn) == 1 else {
                throw PostgresError(.connection, "could not enter pipeline mode: \(String(cString: PQerrorMessage(conn)).trimmingTrailingWhitespace())")
            }
            defer { _ = PQexitPipelineMode(conn) }
            for statement in statements {
                guard PostgresConnection.sendParams(conn, statement.sql, statement.parameters) == 1 else {
                    throw PostgresError(.connection, "sending a pipelined statement failed: \(String(cString: PQerrorMessage(conn)).trimmingTrailingWhitespace())")
                }
            }
            guard PQpipelineSync(conn) == 1 else {
                throw PostgresError(.connection, "sending the pipeline sync failed: \(String(cString: PQerrorMessage(conn)).trimmingTrailingWhitespace())")
            }
            var results: [PostgresQueryResult] = []
            var firstError: PostgresError?
            var index = 0
            while true {
                guard let result = PQgetResult(conn) else {
                    // The end of one statement's results.
                    if PQstatus(conn) != CONNECTION_OK {
                        throw PostgresError(.connection, "the connection broke during a pipeline: \(String(cString: PQerrorMessage(conn)).trimmingTrailingWhitespace())")
                    }
                    continue
                }
                defer { PQclear(result) }
                let status = PQresultStatus(result)
                if status == PGRES_PIPELINE_SYNC { break }
                if status == PGRES_PIPELINE_ABORTED {
                    index += 1
                    continue
                }
                do {
                    results.append(try PostgresConnection.read(result, conn, context: "pipelined statement \(index + 1) failed"))
                } catch let error as PostgresError {
                    if firstError == nil { firstError = error }
                }
                index += 1
            }
            if let firstError { throw firstError }
            return results
        }
    }

    private static func sendParams(_ conn: OpaquePointer, _ sql: String, _ parameters: [PostgresValue]) -> Int32 {
        withBinaryParameters(parameters) { count, types, values, lengths, formats in
            PQsendQueryParams(conn, sql, count, types, values, lengths, formats, 0)
        }
    }

    /// Bulk-loads rows with `COPY … FROM STDIN (FORMAT binary)`. `table` (`name` or
    /// `schema.name`) and `columns` are quoted as identifiers.
    /// Each value's case must match its column's type exactly (`.int64` for `bigint`, …).
    /// - Returns: the number of rows copied.
    /// - Throws: `PostgresError.copy` or `.server` (for example a constraint violation).
    @discardableResult
    public func copy(into table: String, columns: [String], rows: [[PostgresValue]]) async throws -> Int {
        for row in rows {
            if let reason = row.lazy.compactMap(\.invalidReason).first { throw PostgresError(.copy, "invalid COPY value: \(reason)") }
            guard row.count == columns.count else {
                throw PostgresError(.copy, "a COPY row has \(row.count) values for \(columns.count) columns")
            }
        }
        return try await copy(into: table, columns: columns) { encoder in
            for row in rows {
                encoder.beginRow()
                for value in row { encoder.value(value) }
            }
        }
    }

    /// Bulk-loads rows that `encode` writes straight into the COPY buffer, with no value
    /// boxed per row: call `beginRow()`, then one writer call per column.
    /// - Returns: the number of rows copied.
    /// - Throws: `PostgresError.copy` (for example a row with the wrong number of columns) or `.server`.
    @discardableResult
    public func copy(into table: String, columns: [String], encode: @escaping @Sendable (inout PostgresCopyEncoder) -> Void) async throws -> Int {
        let statement = "COPY \(PostgresIdentifier.quoted(table)) (\(columns.map(PostgresIdentifier.quoted).joined(separator: ", "))) FROM STDIN (FORMAT binary)"
        let columnCount = columns.count
        return try await onQueue { conn in
            var encoder = PostgresCopyEncoder(columns: columnCount)
            encode(&encoder)
            encoder.finish()
            if let problem = encoder.problem { throw PostgresError(.copy, problem) }
            let start = PQexec(conn, statement)
            defer { PQclear(start) }
            guard PQresultStatus(start) == PGRES_COPY_IN else {
                throw PostgresError.from(result: start, connection: conn, context: "COPY into \(table) failed")
            }
            var failure: PostgresError?
            encoder.buffer.withUnsafeBytes { all in
                var offset = 0
                while offset < all.count, failure == nil {
                    let n = min(1 << 20, all.count - offset)
                    let rc = PQputCopyData(conn, all.baseAddress!.advanced(by: offset).assumingMemoryBound(to: CChar.self), Int32(n))
                    if rc != 1 { failure = PostgresError(.copy, "sending COPY data failed: \(String(cString: PQerrorMessage(conn)).trimmingTrailingWhitespace())") }
                    offset += n
                }
            }
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

/// Writes rows in COPY's binary format into one reusable buffer.
public struct PostgresCopyEncoder: Sendable {
    /// The encoded stream so far.
    public internal(set) var buffer: [UInt8]
    let columns: Int
    private var inRow = 0
    private(set) var rows = 0
    var problem: String?

    init(columns: Int) {
        self.columns = columns
        buffer = Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00] + [0, 0, 0, 0] + [0, 0, 0, 0]
        buffer.reserveCapacity(1 << 20)
    }

    private mutating func be<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.bigEndian) { buffer.append(contentsOf: $0) } }

    private mutating func field() {
        inRow += 1
        if inRow > columns, problem == nil { problem = "a COPY row has more than \(columns) values" }
    }

    /// Starts a row; every row needs exactly one value per column.
    public mutating func beginRow() {
        if rows > 0 || inRow > 0, inRow != columns, problem == nil { problem = "a COPY row has \(inRow) values for \(columns) columns" }
        inRow = 0
        rows += 1
        be(Int16(columns))
    }

    mutating func finish() {
        if rows > 0, inRow != columns, problem == nil { problem = "a COPY row has \(inRow) values for \(columns) columns" }
        be(Int16(-1))
    }

    public mutating func null() { field(); be(Int32(-1)) }
    public mutating func text(_ s: String) {
        field()
        var s = s
        s.withUTF8 { utf8 in
            be(Int32(utf8.count))
            buffer.append(contentsOf: utf8)
        }
    }
    public mutating func double(_ d: Double) { field(); be(Int32(8)); be(d.bitPattern) }
    public mutating func double(_ d: Double?) { if let d { double(d) } else { null() } }
    public mutating func int64(_ i: Int64) { field(); be(Int32(8)); be(i) }
    public mutating func int32(_ i: Int32) { field(); be(Int32(4)); be(i) }
    public mutating func bool(_ b: Bool) { field(); be(Int32(1)); buffer.append(b ? 1 : 0) }
    /// A `timestamptz` from milliseconds since the epoch.
    public mutating func timestampMillis(_ ms: Int64) { field(); be(Int32(8)); be(ms &* 1000 &- PostgresValue.postgresEpochOffsetMicros) }
    /// A `date` from days since 1970-01-01.
    public mutating func date(daysSinceEpoch days: Int32) { field(); be(Int32(4)); be(days - 10_957) }
    /// Any value, boxed.
    public mutating func value(_ v: PostgresValue) {
        field()
        let lengthAt = buffer.count
        buffer.append(contentsOf: [0, 0, 0, 0])
        if v.appendBinary(to: &buffer) {
            let length = Int32(buffer.count - lengthAt - 4).bigEndian
            withUnsafeBytes(of: length) { for i in 0..<4 { buffer[lengthAt + i] = $0[i] } }
        } else {
            for i in 0..<4 { buffer[lengthAt + i] = 0xFF }
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
