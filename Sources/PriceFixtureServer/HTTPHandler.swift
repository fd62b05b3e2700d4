import NIOCore
import NIOHTTP1

/// Reads one HTTP/1.1 request at a time from a connection and writes the responder's
/// answer, after its delay when it has one.
final class HTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let responder: Responder
    private var head: HTTPRequestHead?

    init(responder: Responder) {
        self.responder = responder
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let received):
            head = received
        case .body:
            break
        case .end:
            guard let head else { return }
            self.head = nil
            let reply = responder.respond(method: head.method.rawValue, uri: head.uri, headers: head.headers.map { ($0.name, $0.value) })
            let keepAlive = head.isKeepAlive
            guard reply.delay > .zero else {
                write(reply, keepAlive: keepAlive, context: context)
                return
            }
            let (seconds, attoseconds) = reply.delay.components
            let delay = TimeAmount.nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
            context.eventLoop.assumeIsolated().scheduleTask(in: delay) {
                self.write(reply, keepAlive: keepAlive, context: context)
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func write(_ reply: Reply, keepAlive: Bool, context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        var headers = HTTPHeaders(reply.headers.map { ($0.name, $0.value) })
        headers.replaceOrAdd(name: "Content-Length", value: String(reply.body.count))
        if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
        let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: reply.status), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        var buffer = context.channel.allocator.buffer(capacity: reply.body.count)
        buffer.writeBytes(reply.body)
        context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            done.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }
}
