import NIOCore
import NIOHTTP1
import NIOPosix

/// A loopback HTTP server with fixed routes for client tests.
final class FixtureHTTPServer: Sendable {
    let channel: Channel
    let group: MultiThreadedEventLoopGroup
    var baseURL: String { "http://127.0.0.1:\(channel.localAddress!.port!)" }

    init() async throws {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap { channel.pipeline.addHandler(FixtureHandler()) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    func shutdown() async throws {
        try await channel.close()
        try await group.shutdownGracefully()
    }
}

private final class FixtureHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body = []
        case .body(var buffer):
            body += buffer.readBytes(length: buffer.readableBytes) ?? []
        case .end:
            guard let head else { return }
            respond(context: context, head: head)
        }
    }

    private func respond(context: ChannelHandlerContext, head: HTTPRequestHead) {
        if head.uri.hasPrefix("http://") {
            // An absolute URI: the client is using this server as its proxy.
            write(context, status: .ok, headers: [("X-Proxied-URI", head.uri)], body: Array("proxied".utf8))
            return
        }
        let parts = head.uri.split(separator: "/").map(String.init)
        switch (head.method, parts.first) {
        case (.GET, "status"):
            let code = Int(parts.dropFirst().first ?? "200") ?? 200
            write(context, status: .init(statusCode: code), body: Array("status \(code)".utf8))
        case (.GET, "headers"):
            let echo = head.headers["X-Echo"].first ?? ""
            write(context, status: .tooManyRequests, headers: [("X-Test", "yes"), ("Retry-After", "7")], body: Array(echo.utf8))
        case (.GET, "slow"):
            context.eventLoop.scheduleTask(in: .seconds(10)) {
                self.write(context, status: .ok, body: Array("late".utf8))
            }
        case (.GET, "bytes"):
            let n = Int(parts.dropFirst().first ?? "0") ?? 0
            write(context, status: .ok, body: [UInt8](repeating: 0x61, count: n))
        case (.GET, "redirect"):
            write(context, status: .found, headers: [("Location", "/status/204")], body: [])
        case (.POST, "echo"):
            let type = head.headers["Content-Type"].first ?? "none"
            write(context, status: .ok, headers: [("X-Content-Type", type)], body: body)
        default:
            write(context, status: .notFound, body: Array("no route".utf8))
        }
    }

    private func write(_ context: ChannelHandlerContext, status: HTTPResponseStatus, headers: [(String, String)] = [], body: [UInt8]) {
        var h = HTTPHeaders(headers)
        h.add(name: "Content-Length", value: String(body.count))
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: h))), promise: nil)
        var buffer = context.channel.allocator.buffer(capacity: body.count)
        buffer.writeBytes(body)
        context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}
