import Foundation
import Postgres
import Testing

/// TLS settings in the URL reach libpq unchanged (the test server speaks no TLS, so a
/// connection that requires it fails saying so, and one that may use it connects).
@Suite("Postgres: TLS settings pass through", .timeLimit(.minutes(1)))
struct PostgresTLSTests {
    static func url(_ parameters: String) throws -> String {
        let base = try #require(ProcessInfo.processInfo.environment["DATABASE_URL"], "run with scripts/test")
        return base + (base.contains("?") ? "&" : "?") + parameters
    }

    @Test(arguments: ["sslmode=require", "sslmode=verify-full&sslrootcert=/nonexistent/pg-ca.pem"])
    func requiredTLSIsRefusedByAServerWithout(parameters: String) async throws {
        do {
            _ = try await PostgresConnection.connect(url: try Self.url(parameters))
            Issue.record("\(parameters): the test server has no TLS, so this must fail")
        } catch let error as PostgresError {
            #expect(error.code == .connection)
            #expect(error.message.contains("SSL") || error.message.contains("root certificate"), "\(error.message)")
        }
    }

    @Test func preferredTLSFallsBackAndBadModesAreRefused() async throws {
        let db = try await PostgresConnection.connect(url: try Self.url("sslmode=prefer&application_name=tls-check"))
        let name = try await db.query("SELECT current_setting('application_name') AS name").rows.first?.decode("name", as: String.self)
        #expect(name == "tls-check")
        await db.close()
        await #expect(throws: PostgresError.self) { _ = try await PostgresConnection.connect(url: try Self.url("sslmode=sometimes")) }
    }
}
