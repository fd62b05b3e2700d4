import Foundation
import HTTPClient
import HTTPFixtureServer
import Synchronization
import Testing

@Suite("HTTP client: redirects keep secrets, cancellation, concurrency", .timeLimit(.minutes(1)))
struct HTTPClientRedirectTests {
    @Test func crossHostRedirectDropsHeadersSameHostKeepsThem() async throws {
        // Two servers: 127.0.0.1 and "localhost" on another port are different origins.
        try await FixtureServer.with(route: { request, _ in
            FixtureResponse(status: 200, body: request.header("X-Api-Key") ?? "no key")
        }) { other in
            let target = other.baseURL.replacingOccurrences(of: "127.0.0.1", with: "localhost") + "/landing"
            try await FixtureServer.with(route: { request, _ in
                switch request.path {
                case "/elsewhere": return FixtureResponse(status: 302, headers: [("Location", target)], body: "")
                case "/same": return FixtureResponse(status: 301, headers: [("Location", "/landing")], body: "")
                default: return FixtureResponse(status: 200, body: request.header("X-Api-Key") ?? "no key")
                }
            }) { origin in
                let client = HTTPClient()
                let headers = [(name: "X-Api-Key", value: "s3cret")]
                let crossHost = try await client.get(origin.baseURL + "/elsewhere", headers: headers)
                #expect(crossHost.status == 200)
                #expect(crossHost.text == "no key", "the API key must not follow a redirect to another host")
                #expect(other.requests.first?.header("X-Api-Key") == nil)
                let sameHost = try await client.get(origin.baseURL + "/same", headers: headers)
                #expect(sameHost.text == "s3cret")
            }
        }
    }

    @Test func httpsToHttpRedirectIsRefused() throws {
        let request = HTTPRequest(url: "https://api.example.test/v1/x?key=1", headers: [("X-Api-Key", "s3cret")])
        do {
            _ = try HTTPClientTesting.nextRedirect(after: request, status: 302, location: "http://api.example.test/v1/x")
            Issue.record("a downgrade must be refused")
        } catch let e as HTTPClientError {
            #expect(e.code == .insecureRedirect)
            #expect(!e.description.contains("key=1"))
        }
        let upgrade = try HTTPClientTesting.nextRedirect(after: HTTPRequest(url: "http://a.test/x", headers: [("X-Api-Key", "k")]),
                                                        status: 301, location: "https://a.test/x")
        #expect(upgrade.headers.isEmpty, "a change of scheme is another origin: headers are dropped")
        let post = try HTTPClientTesting.nextRedirect(after: HTTPRequest(method: .post, url: "http://a.test/x", body: [1]), status: 303, location: "http://a.test/y")
        #expect(post.method == .get && post.body == nil)
    }

    @Test func redirectLoopsStop() async throws {
        try await FixtureServer.with(route: { _, _ in FixtureResponse(status: 302, headers: [("Location", "/again")], body: "") }) { server in
            do {
                _ = try await HTTPClient().get(server.baseURL + "/start")
                Issue.record("a redirect loop must fail")
            } catch let e as HTTPClientError {
                #expect(e.code == .tooManyRedirects)
            }
        }
    }

    @Test func cancellingTheTaskAbortsTheTransfer() async throws {
        try await FixtureServer.with(route: { _, _ in FixtureResponse(status: 200, body: "late", delay: .seconds(30)) }) { server in
            let clock = ContinuousClock()
            let start = clock.now
            let task = Task { try await HTTPClient().get(server.baseURL + "/slow") }
            try await Task.sleep(for: .milliseconds(200))
            task.cancel()
            do {
                _ = try await task.value
                Issue.record("a cancelled transfer must fail")
            } catch let e as HTTPClientError {
                #expect(e.code == .cancelled)
            }
            // The answer would take 30 s: ending well before shows the transfer was aborted.
            #expect(clock.now - start < .seconds(20))
        }
    }

    @Test func concurrentSlowTransfersRunAtOnce() async throws {
        try await FixtureServer.with(route: { _, _ in FixtureResponse(status: 200, body: "ok", delay: .seconds(3)) }) { server in
            let client = HTTPClient()
            let clock = ContinuousClock()
            let start = clock.now
            try await withThrowingTaskGroup(of: Int.self) { group in
                for i in 0..<8 { group.addTask { try await client.get(server.baseURL + "/s\(i)").status } }
                for try await status in group { #expect(status == 200) }
            }
            // 8 answers of 3 s each: one after the other they would take 24 s.
            #expect(clock.now - start < .seconds(16))
        }
    }
}
