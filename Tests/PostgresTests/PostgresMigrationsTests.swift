import Foundation
import Postgres
import Testing

@Suite("Postgres migrations", .timeLimit(.minutes(1)))
struct PostgresMigrationsTests {
    let migrations = [
        PostgresMigration(version: 1, name: "create_prices", sql: "CREATE TABLE prices (id bigint PRIMARY KEY, close float8)"),
        PostgresMigration(version: 2, name: "add_volume", sql: "ALTER TABLE prices ADD COLUMN volume float8"),
    ]

    @Test func appliesOnceInOrderAndSkipsWhatIsApplied() async throws {
        try await withTestSchema { db in
            #expect(try await PostgresMigrations.apply(migrations, on: db) == [1, 2])
            #expect(try await PostgresMigrations.apply(migrations, on: db) == [])
            try await db.query("INSERT INTO prices (id, close, volume) VALUES (1, 2.0, 3.0)")
            let third = migrations + [PostgresMigration(version: 3, name: "index", sql: "CREATE INDEX prices_close ON prices (close)")]
            #expect(try await PostgresMigrations.apply(third, on: db) == [3])
        }
    }

    @Test func concurrentAppliersApplyEachMigrationOnce() async throws {
        try await withTestSchema { db in
            let schema = try await db.query("SELECT current_schema() AS s").rows[0].decode("s", as: String.self)
            let url = ProcessInfo.processInfo.environment["DATABASE_URL"]!
            let others = try await (0..<3).asyncMap { _ in
                let c = try await PostgresConnection.connect(url: url)
                try await c.query("SET search_path TO \(schema)")
                return c
            }
            let results = try await withThrowingTaskGroup(of: [Int].self) { group in
                for c in others { group.addTask { try await PostgresMigrations.apply(migrations, on: c) } }
                var all: [[Int]] = []
                for try await r in group { all.append(r) }
                return all
            }
            #expect(results.flatMap { $0 }.sorted() == [1, 2])
            #expect(try await db.query("SELECT count(*) AS n FROM schema_migrations").rows[0].decode("n", as: Int.self) == 2)
            for c in others { await c.close() }
        }
    }

    @Test func aFailingMigrationRollsBackAndAnEditedOneIsRefused() async throws {
        try await withTestSchema { db in
            let broken = [migrations[0], PostgresMigration(version: 2, name: "broken", sql: "ALTER TABLE nowhere ADD COLUMN x int")]
            await #expect(throws: PostgresError.self) { try await PostgresMigrations.apply(broken, on: db) }
            #expect(try await db.query("SELECT version FROM schema_migrations").rows.count == 1)
            let edited = [PostgresMigration(version: 1, name: "create_prices", sql: "CREATE TABLE prices (id int)")]
            do {
                try await PostgresMigrations.apply(edited, on: db)
                Issue.record("an edited migration must be refused")
            } catch let e as PostgresError {
                #expect(e.message.contains("changed after it was applied"))
            }
        }
    }

    @Test func loadsNumberedFilesInOrder() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("migrations-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "SELECT 2".write(to: dir.appendingPathComponent("0002_second.sql"), atomically: true, encoding: .utf8)
        try "SELECT 1".write(to: dir.appendingPathComponent("0001_first.sql"), atomically: true, encoding: .utf8)
        try "notes".write(to: dir.appendingPathComponent("README.md"), atomically: true, encoding: .utf8)
        let loaded = try PostgresMigrations.load(directory: dir)
        #expect(loaded.map(\.version) == [1, 2])
        #expect(loaded.map(\.name) == ["first", "second"])
        try "SELECT 3".write(to: dir.appendingPathComponent("three.sql"), atomically: true, encoding: .utf8)
        #expect(throws: PostgresError.self) { try PostgresMigrations.load(directory: dir) }
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for element in self { out.append(try await transform(element)) }
        return out
    }
}
