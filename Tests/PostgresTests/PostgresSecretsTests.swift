import Foundation
import Postgres
import Testing

/// libpq quotes parts of a connection string in some errors; the password must never be one.
@Suite("Postgres: connection errors never show the password", .timeLimit(.minutes(1)))
struct PostgresSecretsTests {
    /// Connection strings whose connect fails, each with the password it carries.
    static let cases: [(url: String, password: String)] = [
        ("postgresql://postgres:se%zzcret-1@127.0.0.1:1/postgres", "se%zzcret-1"),
        ("postgresql://postgres:p@ss/w0rd-2@127.0.0.1:1/postgres", "p@ss/w0rd-2"),
        ("postgresql://postgres@127.0.0.1:1/postgres?password=qu%zzery-3", "qu%zzery-3"),
        ("postgresql://postgres:plain-secret-4@127.0.0.1:1/postgres", "plain-secret-4"),
        ("host=127.0.0.1 port=1 user=postgres password = 'quoted secret-5", "quoted secret-5"),
        ("host=127.0.0.1 port=1 user=postgres password=kv-secret-6 sslmode=bogus", "kv-secret-6"),
    ]

    @Test(arguments: cases.indices)
    func connectErrorsAreScrubbed(index: Int) async throws {
        let (url, password) = Self.cases[index]
        do {
            _ = try await PostgresConnection.connect(url: url)
            Issue.record("connecting with \(index) must fail")
        } catch let error as PostgresError {
            #expect(error.code == .connection)
            for text in ["\(error)", String(reflecting: error), error.message] {
                #expect(!text.contains(password), "case \(index): \(text)")
                #expect(!text.contains(password.removingPercentEncoding ?? password), "case \(index): \(text)")
            }
            #expect(error.message.hasPrefix("could not connect to Postgres: "))
        }
    }
}
