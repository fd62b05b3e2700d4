import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// One request as the fixture server received it.
public struct FixtureRequest: Sendable {
    public var method: String
    /// The raw request target (still percent-encoded); absolute when the client used the server as a proxy.
    public var uri: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public var path: String { String(uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0]) }
    public var query: String? {
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        return parts.count > 1 ? String(parts[1]) : nil
    }
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
    public var bodyJSON: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
    }
}

/// What the fixture answers, optionally after a delay, optionally trickling its body.
public struct FixtureResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    public var delay: Duration
    /// Send the body `bytes` at a time, one write `every` (a slow body); all at once when nil.
    public var trickle: (bytes: Int, every: Duration)?

    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8], delay: Duration = .zero,
                trickle: (bytes: Int, every: Duration)? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
        self.delay = delay
        self.trickle = trickle
    }

    public init(status: Int, headers: [(name: String, value: String)] = [], body: String, delay: Duration = .zero) {
        self.init(status: status, headers: headers, body: Array(body.utf8), delay: delay)
    }
}

/// A loopback HTTP/1.1 server for client tests: records every request and connection and
/// answers through `route`, which also gets how many earlier requests had the same method and path.
public final class FixtureServer: Sendable {
    public typealias Route = @Sendable (FixtureRequest, _ seenBefore: Int) -> FixtureResponse

    private let channel: any Channel
    private let group: MultiThreadedEventLoopGroup
    private let log: FixtureLog

    public var baseURL: String { "http://127.0.0.1:\(channel.localAddress!.port!)" }
    public var requests: [FixtureRequest] { log.requests }
    /// TCP connections accepted so far.
    public var connections: Int { log.connections }
    public func count(method: String, path: String) -> Int {
        log.requests.filter { $0.method == method && $0.path == path }.count
    }

    /// Starts a server on a free loopback port.
    public init(route: @escaping Route) async throws {
        let log = FixtureLog()
        self.log = log
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                log.connectionAccepted()
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(FixtureHandler(log: log, route: route))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    public func shutdown() async throws {
        try await channel.close()
        try await group.shutdownGracefully()
    }

    /// Runs `body` with a fresh server and always shuts it down.
    public static func with<T>(route: @escaping Route, _ body: (FixtureServer) async throws -> T) async throws -> T {
        let server = try await FixtureServer(route: route)
        do {
            let result = try await body(server)
            try await server.shutdown()
            return result
        } catch {
            try? await server.shutdown()
            throw error
        }
    }
}

final class FixtureLog: Sendable {
    private let state = Mutex<(requests: [FixtureRequest], connections: Int)>(([], 0))
    var requests: [FixtureRequest] { state.withLock { $0.requests } }
    var connections: Int { state.withLock { $0.connections } }
    func connectionAccepted() { state.withLock { $0.connections += 1 } }

    /// Appends `request`; returns how many earlier ones had its method and path.
    func record(_ request: FixtureRequest) -> Int {
        state.withLock { s in
            let seen = s.requests.filter { $0.method == request.method && $0.path == request.path }.count
            s.requests.append(request)
            return seen
        }
    }
}

private final class FixtureHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    private let log: FixtureLog
    private let route: FixtureServer.Route
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []

    init(log: FixtureLog, route: @escaping FixtureServer.Route) {
        self.log = log
        self.route = route
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body = []
        case .body(var buffer):
            body += buffer.readBytes(length: buffer.readableBytes) ?? []
        case .end:
            guard let head else { return }
            let request = FixtureRequest(method: head.method.rawValue, uri: head.uri,
                                         headers: head.headers.map { ($0.name, $0.value) }, body: body)
            let response = route(request, log.record(request))
            let keepAlive = head.isKeepAlive
            if response.delay > .zero {
                let (seconds, attoseconds) = response.delay.components
                let nanos = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
                context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(nanos)) {
                    self.write(context, response, keepAlive: keepAlive)
                }
            } else {
                write(context, response, keepAlive: keepAlive)
            }
        }
    }

    private func write(_ context: ChannelHandlerContext, _ response: FixtureResponse, keepAlive: Bool) {
        var headers = HTTPHeaders(response.headers.map { ($0.name, $0.value) })
        headers.add(name: "Content-Length", value: String(response.body.count))
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if let trickle = response.trickle {
            context.flush()
            writeTrickled(context, response.body[...], bytes: max(1, trickle.bytes), every: trickle.every)
            return
        }
        var buffer = context.channel.allocator.buffer(capacity: response.body.count)
        buffer.writeBytes(response.body)
        context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    /// Writes `rest` a chunk at a time until it is sent or the client has gone.
    private func writeTrickled(_ context: ChannelHandlerContext, _ rest: ArraySlice<UInt8>, bytes: Int, every: Duration) {
        guard context.channel.isActive else { return }
        guard !rest.isEmpty else {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            return
        }
        var buffer = context.channel.allocator.buffer(capacity: bytes)
        buffer.writeBytes(rest.prefix(bytes))
        context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        let (seconds, attoseconds) = every.components
        let nanos = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
        context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(nanos)) {
            self.writeTrickled(context, rest.dropFirst(bytes), bytes: bytes, every: every)
        }
    }
}
