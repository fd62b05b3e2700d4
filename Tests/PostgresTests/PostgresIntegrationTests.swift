import Foundation
import Postgres
import Synchronization
import Testing

/// Each test gets its own schema in the database named by DATABASE_URL (scripts/test sets it).
func withTestSchema<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
    guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty else {
        throw PostgresError(.connection, "DATABASE_URL is not set: run the tests with scripts/test")
    }
    let connection = try await PostgresConnection.connect(url: url)
    let schema = "t_\(UUID().uuidString.prefix(8).lowercased())"
    try await connection.query("CREATE SCHEMA \(schema); SET search_path TO \(schema)")
    do {
        let value = try await body(connection)
        try await connection.query("DROP SCHEMA \(schema) CASCADE")
        await connection.close()
        return value
    } catch {
        await connection.close()
        throw error
    }
}

@Suite("Postgres against a real server", .timeLimit(.minutes(1)))
struct PostgresIntegrationTests {
    @Test func parametersAndTypedRowsRoundTrip() async throws {
        try await withTestSchema { db in
            let when = Date(timeIntervalSince1970: 1_700_000_000.123456)
            let result = try await db.query(
                "SELECT $1::bool AS b, $2::int4 AS i, $3::int8 AS l, $4::float8 AS d, $5::text AS s, $6::bytea AS raw, $7::timestamptz AS ts, NULL::text AS n",
                [.bool(true), .int32(-7), .int64(1 << 40), .double(0.1), .text("héllo ✓"), .bytea([0, 255, 7]), .timestamptz(when)])
            let row = try #require(result.rows.first)
            #expect(try row.decode("b", as: Bool.self) == true)
            #expect(try row.decode("i", as: Int32.self) == -7)
            #expect(try row.decode("l", as: Int64.self) == 1 << 40)
            #expect(throws: PostgresError.self) { try row.decode("l", as: Int32.self) }
            #expect(try row.decode("d", as: Double.self) == 0.1)
            #expect(try row.decode("s", as: String.self) == "héllo ✓")
            #expect(try row.decode("raw", as: [UInt8].self) == [0, 255, 7])
            let ts = try row.decode("ts", as: Date.self)
            #expect(abs(ts.timeIntervalSince1970 - when.timeIntervalSince1970) < 0.000_001)
            #expect(try row.decode("n", as: String?.self) == nil)
            #expect(row.isNull("n"))
            #expect(throws: PostgresError.self) { try row.decode("n", as: String.self) }
        }
    }

    @Test func copyOfOneHundredThousandRows() async throws {
        try await withTestSchema { db in
            try await db.query("CREATE TABLE candles (id bigint PRIMARY KEY, symbol text NOT NULL, price float8, open_time timestamptz, ok bool, note text)")
            let base = Date(timeIntervalSince1970: 1_262_304_000)
            let rows: [[PostgresValue]] = (0..<100_000).map { (i: Int) -> [PostgresValue] in
                let openTime = base.addingTimeInterval(Double(i) * 86400)
                let note: PostgresValue = i % 10 == 0 ? .null : .text("n\(i)")
                return [.int64(Int64(i)), .text("BTC-\(i % 7)"), .double(Double(i) * 0.5), .timestamptz(openTime), .bool(i % 2 == 0), note]
            }
            let copied = try await db.copy(into: "candles", columns: ["id", "symbol", "price", "open_time", "ok", "note"], rows: rows)
            #expect(copied == 100_000)
            let stats = try await db.query("SELECT count(*) AS n, sum(price) AS total, count(note) AS notes FROM candles")
            let row = try #require(stats.rows.first)
            #expect(try row.decode("n", as: Int.self) == 100_000)
            #expect(try row.decode("total", as: Double.self) == Double(99_999 * 100_000 / 2) * 0.5)
            #expect(try row.decode("notes", as: Int.self) == 90_000)
            let one = try await db.query("SELECT symbol, open_time FROM candles WHERE id = $1", [.int64(99_999)])
            #expect(try one.rows[0].decode("symbol", as: String.self) == "BTC-\(99_999 % 7)")
            #expect(try one.rows[0].decode("open_time", as: Date.self) == base.addingTimeInterval(99_999 * 86400))
        }
    }

    @Test func copyFailureReportsTheServerError() async throws {
        try await withTestSchema { db in
            try await db.query("CREATE TABLE t (id bigint PRIMARY KEY)")
            do {
                try await db.copy(into: "t", columns: ["id"], rows: [[.int64(1)], [.int64(1)]])
                Issue.record("a duplicate key in COPY must fail")
            } catch let e as PostgresError {
                #expect(e.sqlState == "23505")
            }
            // The connection is usable afterwards.
            #expect(try await db.query("SELECT count(*) AS n FROM t").rows[0].decode("n", as: Int.self) == 0)
        }
    }

    @Test func transactionRollsBackOnThrowAndCommitsOnReturn() async throws {
        struct Boom: Error {}
        try await withTestSchema { db in
            try await db.query("CREATE TABLE t (id int4)")
            await #expect(throws: Boom.self) {
                try await db.withTransaction { tx in
                    try await tx.query("INSERT INTO t VALUES ($1)", [.int32(1)])
                    throw Boom()
                }
            }
            #expect(try await db.query("SELECT count(*) AS n FROM t").rows[0].decode("n", as: Int.self) == 0)
            let inserted = try await db.withTransaction { tx in
                try await tx.query("INSERT INTO t VALUES ($1), ($2)", [.int32(1), .int32(2)]).affectedRows
            }
            #expect(inserted == 2)
            #expect(try await db.query("SELECT count(*) AS n FROM t").rows[0].decode("n", as: Int.self) == 2)
        }
    }

    @Test func uniqueViolationCarriesSQLState23505() async throws {
        try await withTestSchema { db in
            try await db.query("CREATE TABLE t (id int8 CONSTRAINT t_pk PRIMARY KEY)")
            try await db.query("INSERT INTO t VALUES ($1)", [.int64(1)])
            do {
                try await db.query("INSERT INTO t VALUES ($1)", [.int64(1)])
                Issue.record("duplicate insert must fail")
            } catch let e as PostgresError {
                #expect(e.sqlState == "23505")
                #expect(e.isUniqueViolation)
                #expect(e.constraint == "t_pk")
                #expect(!e.description.contains("(id)=(1)"), "description must not carry row data")
                #expect(e.debugDescription.contains("(id)=(1)"))
            }
        }
    }

    @Test func noticesReachTheHandler() async throws {
        guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"] else {
            throw PostgresError(.connection, "DATABASE_URL is not set: run the tests with scripts/test")
        }
        let notices = Mutex<[PostgresNotice]>([])
        let db = try await PostgresConnection.connect(url: url) { notice in notices.withLock { $0.append(notice) } }
        try await db.query("DO $$ BEGIN RAISE NOTICE 'hello from plpgsql'; END $$")
        await db.close()
        #expect(notices.withLock { $0.map(\.message) } == ["hello from plpgsql"])
        #expect(notices.withLock { $0.first?.severity } == "NOTICE")
    }

    @Test func badURLGivesAConnectionError() async throws {
        do {
            _ = try await PostgresConnection.connect(url: "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2")
            Issue.record("connecting to a closed port must fail")
        } catch let e as PostgresError {
            #expect(e.code == .connection)
            #expect(e.message.contains("127.0.0.1"))
        }
    }

    @Test func closedConnectionRefusesQueries() async throws {
        try await withTestSchema { db in
            guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"] else { return }
            let other = try await PostgresConnection.connect(url: url)
            await other.close()
            await #expect(throws: PostgresError.self) { try await other.query("SELECT 1") }
            _ = db
        }
    }
}
