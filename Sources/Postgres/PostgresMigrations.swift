import Foundation

/// One versioned SQL migration.
public struct PostgresMigration: Sendable, Hashable {
    public var version: Int
    public var name: String
    public var sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// FNV-1a of the SQL text, recorded so that an edited, already applied migration is noticed.
    public var checksum: String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in sql.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01B3
        }
        return String(hash, radix: 16)
    }
}

/// Versioned migrations applied in order, each in its own transaction, under an advisory
/// lock so that instances starting together apply each migration once.
public enum PostgresMigrations {
    /// Reads `NNNN_name.sql` files from `directory`, ordered by version.
    /// - Throws: `PostgresError` for a misnamed file or a version used twice.
    public static func load(directory: URL) throws -> [PostgresMigration] {
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "sql" }
        var migrations: [PostgresMigration] = []
        for file in files {
            let base = file.deletingPathExtension().lastPathComponent
            guard let underscore = base.firstIndex(of: "_"), let version = Int(base[..<underscore]) else {
                throw PostgresError(.decoding, "migration file \(file.lastPathComponent) is not named NNNN_name.sql")
            }
            if migrations.contains(where: { $0.version == version }) {
                throw PostgresError(.decoding, "migration version \(version) is used twice in \(directory.path)")
            }
            migrations.append(PostgresMigration(version: version, name: String(base[base.index(after: underscore)...]),
                                                sql: try String(contentsOf: file, encoding: .utf8)))
        }
        return migrations.sorted { $0.version < $1.version }
    }

    /// Applies the migrations not applied yet, recording them in `schema_migrations`.
    /// - Parameter lockKey: the advisory lock that serialises concurrent appliers.
    /// - Returns: the versions applied by this call.
    /// - Throws: `PostgresError` when a migration fails (it is rolled back) or when an
    ///   applied migration's SQL has changed since.
    @discardableResult
    public static func apply(_ migrations: [PostgresMigration], on connection: PostgresConnection,
                             lockKey: Int64 = 0x7072_6963_6573) async throws -> [Int] {
        try await connection.query("SELECT pg_advisory_lock($1)", [.int64(lockKey)])
        do {
            let applied = try await applyLocked(migrations, on: connection)
            try await connection.query("SELECT pg_advisory_unlock($1)", [.int64(lockKey)])
            return applied
        } catch {
            _ = try? await connection.query("SELECT pg_advisory_unlock($1)", [.int64(lockKey)])
            throw error
        }
    }

    private static func applyLocked(_ migrations: [PostgresMigration], on connection: PostgresConnection) async throws -> [Int] {
        try await connection.query("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version integer PRIMARY KEY,
                name text NOT NULL,
                checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now())
            """)
        var done: [Int: String] = [:]
        for row in try await connection.query("SELECT version, checksum FROM schema_migrations").rows {
            done[try row.decode("version", as: Int.self)] = try row.decode("checksum", as: String.self)
        }
        var applied: [Int] = []
        for migration in migrations {
            if let checksum = done[migration.version] {
                guard checksum == migration.checksum else {
                    throw PostgresError(.server, "migration \(migration.version)_\(migration.name) was changed after it was applied; add a new migration instead")
                }
                continue
            }
            try await connection.withTransaction { tx in
                try await tx.query(migration.sql)
                try await tx.query("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                                   [.int32(Int32(migration.version)), .text(migration.name), .text(migration.checksum)])
            }
            applied.append(migration.version)
        }
        return applied
    }
}
