import Foundation
import Postgres
import Testing

@Suite("Postgres: transactions after errors, pipelines, types, cancellation", .timeLimit(.minutes(1)))
struct PostgresHardeningTests {
    @Test func aCaughtServerErrorMakesTheTransactionFailInsteadOfReportingSuccess() async throws {
        try await withTestSchema { db in
            try await db.query("CREATE TABLE t (id int PRIMARY KEY)")
            await #expect(throws: PostgresError.self) {
                try await db.withTransaction { tx in
                    try await tx.query("INSERT INTO t VALUES (1)")
                    // The body swallows a server error: the transaction is aborted all the same.
                    _ = try? await tx.query("INSERT INTO t VALUES (1)")
                }
            }
            do {
                try await db.withTransaction { tx in
                    try await tx.query("INSERT INTO t VALUES (2)")
                    _ = try? await tx.query("SELECT 1/0")
                }
                Issue.record("a transaction aborted inside the body must not report success")
            } catch let e as PostgresError {
                #expect(e.sqlState == "25P02")
            }
            let count = try await db.query("SELECT count(*) AS n FROM t").rows[0].decode("n", as: Int64.self)
            #expect(count == 0)
            // The connection is usable afterwards.
            try await db.withTransaction { tx in try await tx.query("INSERT INTO t VALUES (3)") }
            #expect(try await db.query("SELECT count(*) AS n FROM t").rows[0].decode("n", as: Int64.self) == 1)
        }
    }

    @Test func pipelineRunsManyStatementsInOneRoundTrip() async throws {
        try await withTestSchema { db in
            try await db.query("CREATE TABLE kv (k int PRIMARY KEY, v text)")
            let results = try await db.pipeline([
                .init("BEGIN"),
                .init("INSERT INTO kv VALUES ($1, $2)", [.int32(1), .text("a")]),
                .init("INSERT INTO kv VALUES ($1, $2)", [.int32(2), .text("b")]),
                .init("UPDATE kv SET v = $1 WHERE k = $2", [.text("c"), .int32(2)]),
                .init("SELECT v FROM kv ORDER BY k"),
                .init("COMMIT"),
            ])
            #expect(results.count == 6)
            #expect(results[1].affectedRows == 1)
            #expect(results[3].affectedRows == 1)
            #expect(try results[4].rows.map { try $0.decode("v", as: String.self) } == ["a", "c"])
            #expect(results[5].commandTag == "COMMIT")

            // A failing statement: its error is thrown, later ones are skipped, the transaction is aborted.
            do {
                try await db.pipeline([
                    .init("BEGIN"),
                    .init("INSERT INTO kv VALUES ($1, $2)", [.int32(3), .text("d")]),
                    .init("INSERT INTO kv VALUES ($1, $2)", [.int32(1), .text("duplicate")]),
                    .init("INSERT INTO kv VALUES ($1, $2)", [.int32(4), .text("e")]),
                ])
                Issue.record("a failing pipelined statement must throw")
            } catch let e as PostgresError {
                #expect(e.isUniqueViolation)
            }
            try await db.query("ROLLBACK")
            #expect(try await db.query("SELECT count(*) AS n FROM kv").rows[0].decode("n", as: Int64.self) == 2)
        }
    }

    @Test func dateNumericSmallintAndJsonbValues() async throws {
        try await withTestSchema { db in
            try await db.query("CREATE TABLE v (d date, n numeric, s int2, j jsonb)")
            let values: [(PostgresValue, String)] = [
                (.numeric("123.4500"), "123.4500"), (.numeric("-0.000012"), "-0.000012"), (.numeric("1e-9"), "0.000000001"),
                (.numeric("12e5"), "1200000"), (.numeric("0"), "0"), (.numeric("99999999999999999999.123456789"), "99999999999999999999.123456789"),
                (.numeric("NaN"), "NaN"), (.numeric("10000"), "10000"), (.numeric("0.05"), "0.05"),
            ]
            for (value, text) in values {
                let row = try await db.query("SELECT $1::numeric::text AS t", [value]).rows[0]
                #expect(try row.decode("t", as: String.self) == text, "\(value)")
            }
            await #expect(throws: PostgresError.self) { try await db.query("SELECT $1::numeric", [.numeric("12abc")]) }
            let row = try await db.query("SELECT $1::date::text AS d, $2::int2 AS s, ($3::jsonb ->> 'a') AS a",
                                         [.date(daysSinceEpoch: 14_807), .int16(-12), .jsonb(#"{"a": "b"}"#)]).rows[0]
            #expect(try row.decode("d", as: String.self) == "2010-07-17")
            #expect(try row.decode("s", as: Int16.self) == -12)
            #expect(try row.decode("a", as: String.self) == "b")
            // The same values through binary COPY.
            try await db.copy(into: "v", columns: ["d", "n", "s", "j"], rows: [
                [.date(daysSinceEpoch: 0), .numeric("3.14159"), .int16(7), .jsonb("[1,2]")],
            ])
            let copied = try await db.query("SELECT d::text AS d, n::text AS n, s, j::text AS j FROM v").rows[0]
            #expect(try copied.decode("d", as: String.self) == "1970-01-01")
            #expect(try copied.decode("n", as: String.self) == "3.14159")
            #expect(try copied.decode("s", as: Int16.self) == 7)
            #expect(try copied.decode("j", as: String.self) == "[1, 2]")
        }
    }

    @Test func copyQuotesTableAndColumnNames() async throws {
        try await withTestSchema { db in
            try await db.query(#"CREATE TABLE "odd ""table""" ("select" int, "Mixed Case" text)"#)
            let n = try await db.copy(into: #"odd "table""#, columns: ["select", "Mixed Case"], rows: [[.int32(1), .text("x")]])
            #expect(n == 1)
            #expect(PostgresIdentifier.quoted("public.prices") == #""public"."prices""#)
            // An injection attempt is only an odd (missing) table name.
            await #expect(throws: PostgresError.self) {
                try await db.copy(into: "v; DROP TABLE x", columns: ["a"], rows: [[.int32(1)]])
            }
        }
    }

    @Test func cancellingTheTaskCancelsTheRunningStatement() async throws {
        try await withTestSchema { db in
            let clock = ContinuousClock()
            let start = clock.now
            let task = Task { try await db.query("SELECT pg_sleep(30)") }
            try await Task.sleep(for: .milliseconds(300))
            task.cancel()
            do {
                _ = try await task.value
                Issue.record("a cancelled statement must fail")
            } catch let e as PostgresError {
                #expect(e.sqlState == "57014")
            }
            #expect(clock.now - start < .seconds(10))
            #expect(try await db.query("SELECT 1 AS one").rows[0].decode("one", as: Int32.self) == 1)
        }
    }

    @Test func statementTimeoutAndRetryingConnect() async throws {
        let url = try #require(ProcessInfo.processInfo.environment["DATABASE_URL"])
        let db = try await PostgresConnection.connect(url: url, statementTimeout: .milliseconds(200))
        do {
            try await db.query("SELECT pg_sleep(5)")
            Issue.record("the statement timeout must cancel a long statement")
        } catch let e as PostgresError {
            #expect(e.sqlState == "57014")
        }
        await db.close()
        #expect(!db.isUsable)
        // An unreachable server: retried with backoff until the time is up, then the error.
        let clock = ContinuousClock()
        let start = clock.now
        await #expect(throws: PostgresError.self) {
            _ = try await PostgresConnection.connect(url: "postgresql://postgres@127.0.0.1:1/postgres", retryFor: .seconds(1))
        }
        let took = clock.now - start
        #expect(took >= .milliseconds(500) && took < .seconds(10))
    }
}
