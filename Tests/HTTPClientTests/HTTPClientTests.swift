import Foundation
import HTTPClient
import HTTPFixtureServer
import Testing

/// The routes the client tests use.
let fixtureRoutes: FixtureServer.Route = { request, _ in
    if request.uri.hasPrefix("http://") {
        // An absolute URI: the client is using this server as its proxy.
        return FixtureResponse(status: 200, headers: [("X-Proxied-URI", request.uri)], body: "proxied")
    }
    let parts = request.path.split(separator: "/").map(String.init)
    switch (request.method, parts.first) {
    case ("GET", "status"):
        let code = Int(parts.dropFirst().first ?? "200") ?? 200
        return FixtureResponse(status: code, body: "status \(code)")
    case ("GET", "headers"):
        return FixtureResponse(status: 429, headers: [("X-Test", "yes"), ("Retry-After", "7")], body: request.header("X-Echo") ?? "")
    case ("GET", "slow"):
        return FixtureResponse(status: 200, body: "late", delay: .seconds(10))
    case ("GET", "bytes"):
        return FixtureResponse(status: 200, body: [UInt8](repeating: 0x61, count: Int(parts.dropFirst().first ?? "0") ?? 0))
    case ("GET", "redirect"):
        return FixtureResponse(status: 302, headers: [("Location", "/status/204")], body: "")
    case ("POST", "echo"):
        return FixtureResponse(status: 200, headers: [("X-Content-Type", request.header("Content-Type") ?? "none")], body: request.body)
    default:
        return FixtureResponse(status: 404, body: "no route")
    }
}

@Suite("HTTP client against a local server", .timeLimit(.minutes(1)))
struct HTTPClientTests {
    func withServer(_ body: (FixtureServer) async throws -> Void) async throws {
        try await FixtureServer.with(route: fixtureRoutes, body)
    }

    @Test func statusAndBody() async throws {
        try await withServer { server in
            let client = HTTPClient()
            let ok = try await client.get(server.baseURL + "/status/200")
            #expect(ok.status == 200)
            #expect(ok.text == "status 200")
            let missing = try await client.get(server.baseURL + "/status/503")
            #expect(missing.status == 503)
        }
    }

    @Test func requestAndResponseHeadersAndRetryAfter() async throws {
        try await withServer { server in
            let response = try await HTTPClient().get(server.baseURL + "/headers", headers: [("X-Echo", "ping")])
            #expect(response.status == 429)
            #expect(response.header("x-test") == "yes")
            #expect(response.retryAfter == .seconds(7))
            #expect(response.text == "ping")
        }
    }

    @Test func postSendsBodyAndHeaders() async throws {
        try await withServer { server in
            let payload = Array(#"{"schema":"\"int\""}"#.utf8)
            let response = try await HTTPClient().post(server.baseURL + "/echo", body: payload,
                                                       headers: [("Content-Type", "application/vnd.schemaregistry.v1+json")])
            #expect(response.body == payload)
            #expect(response.header("X-Content-Type") == "application/vnd.schemaregistry.v1+json")
        }
    }

    /// Set in the environment of the child process `honoursTheProxyEnvironment` starts.
    static let proxyChildVariable = "HTTP_CLIENT_TESTS_PROXY_CHILD"

    /// libcurl reads `http_proxy` and `no_proxy` from the environment on every transfer, and
    /// `setenv` while other tests' transfers run `getenv` is a data race (glibc may free the
    /// array they read). So the proxied requests run in a child process of this test binary,
    /// started with the proxy variables in its environment: nothing here changes this
    /// process's environment.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/proc/self/exe"), "starts a child process through /proc/self/exe"))
    func honoursTheProxyEnvironment() async throws {
        if ProcessInfo.processInfo.environment[Self.proxyChildVariable] == "1" {
            try await proxiedRequestsWithThisProcesssEnvironment()
            return
        }
        try await withServer { server in
            let output = FileManager.default.temporaryDirectory.appendingPathComponent("proxy-child-\(UUID().uuidString).log")
            _ = FileManager.default.createFile(atPath: output.path, contents: nil)
            defer { try? FileManager.default.removeItem(at: output) }
            let log = try FileHandle(forWritingTo: output)
            let child = Process()
            child.executableURL = URL(fileURLWithPath: "/proc/self/exe")
            child.arguments = ["--testing-library", "swift-testing", "--filter", "HTTPClientTests/honoursTheProxyEnvironment"]
            var environment = ProcessInfo.processInfo.environment
            environment[Self.proxyChildVariable] = "1"
            environment["http_proxy"] = server.baseURL
            environment["no_proxy"] = "127.0.0.1,localhost"
            child.environment = environment
            child.standardOutput = log
            child.standardError = log
            let status: Int32 = try await withCheckedThrowingContinuation { continuation in
                child.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
                do {
                    try child.run()
                } catch {
                    child.terminationHandler = nil
                    continuation.resume(throwing: error)
                }
            }
            try log.close()
            let transcript = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            #expect(status == 0, "the child's proxied requests failed:\n\(transcript)")
            #expect(transcript.contains("1 test"), "the child ran no test:\n\(transcript)")
            // The child's request for another host came through this server, as its proxy...
            #expect(server.requests.contains { $0.uri == "http://prices.example/api/v3/ping" })
            // ...and the one for a no_proxy host came directly.
            #expect(server.requests.contains { $0.uri == "/status/200" })
        }
    }

    /// The child's half: the proxy variables came with the process, so no `setenv` is needed.
    func proxiedRequestsWithThisProcesssEnvironment() async throws {
        let environment = ProcessInfo.processInfo.environment
        let proxy = try #require(environment["http_proxy"])
        let response = try await HTTPClient().get("http://prices.example/api/v3/ping")
        #expect(response.text == "proxied")
        #expect(response.header("X-Proxied-URI") == "http://prices.example/api/v3/ping")
        // Hosts listed in no_proxy are reached directly.
        #expect(try await HTTPClient().get(proxy + "/status/200").text == "status 200")
    }

    @Test func followsRedirects() async throws {
        try await withServer { server in
            let response = try await HTTPClient().get(server.baseURL + "/redirect")
            #expect(response.status == 204)
        }
    }

    @Test func totalTimeout() async throws {
        try await withServer { server in
            var config = HTTPClientConfiguration()
            config.totalTimeout = .milliseconds(500)
            let clock = ContinuousClock()
            let start = clock.now
            do {
                _ = try await HTTPClient(configuration: config).get(server.baseURL + "/slow")
                Issue.record("a 10 s response must time out at 0.5 s")
            } catch let e as HTTPClientError {
                #expect(e.code == .timeout)
                #expect(e.isRetriable)
            }
            // Well before the server's answer would have come, even on a loaded machine.
            #expect(clock.now - start < .seconds(8))
        }
    }

    @Test func bodyCap() async throws {
        try await withServer { server in
            var config = HTTPClientConfiguration()
            config.maxBodyBytes = 1000
            let client = HTTPClient(configuration: config)
            let small = try await client.get(server.baseURL + "/bytes/1000")
            #expect(small.body.count == 1000)
            do {
                _ = try await client.get(server.baseURL + "/bytes/200000")
                Issue.record("a body over the cap must fail")
            } catch let e as HTTPClientError {
                #expect(e.code == .bodyTooLarge)
            }
        }
    }

    @Test func connectionRefusedAndRedactedURL() async throws {
        do {
            _ = try await HTTPClient().get("http://user:secret@127.0.0.1:1/path?apikey=SECRET")
            Issue.record("a closed port must fail")
        } catch let e as HTTPClientError {
            #expect(e.code == .connectFailed)
            #expect(!e.description.contains("SECRET") && !e.description.contains("secret"))
        }
    }

    @Test func sequentialRequestsReuseOneConnection() async throws {
        try await withServer { server in
            let client = HTTPClient()
            for i in 0..<20 {
                let status = try await client.get(server.baseURL + "/status/\(200 + i % 3)").status
                #expect(status == 200 + i % 3)
            }
            #expect(server.connections == 1, "20 sequential requests opened \(server.connections) connections")
        }
    }

    @Test func concurrentRequests() async throws {
        try await withServer { server in
            let client = HTTPClient()
            try await withThrowingTaskGroup(of: Int.self) { group in
                for i in 0..<50 { group.addTask { try await client.get(server.baseURL + "/status/\(200 + i % 3)").status } }
                var statuses: [Int] = []
                for try await s in group { statuses.append(s) }
                #expect(statuses.count == 50)
                #expect(Set(statuses) == [200, 201, 202])
            }
        }
    }
}
