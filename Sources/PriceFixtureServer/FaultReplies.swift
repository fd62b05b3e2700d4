/// Applies a whole-answer fault to the normal answer.
enum FaultReplies {
    static func apply(_ fault: Fault, to reply: Reply, api: APIName) -> Reply {
        switch fault {
        case .status429(let seconds): return SourceBodies.status429(api, retryAfter: seconds)
        case .rateLimitBody200: return SourceBodies.rateLimit200(api)
        case .html502: return SourceBodies.html502
        case .ban418(let seconds): return SourceBodies.ban418(api, retryAfter: seconds)
        case .slow(let delay):
            var slowed = reply
            slowed.delay = delay
            return slowed
        case .truncated:
            var cut = reply
            cut.body = Array(reply.body.prefix(reply.body.count / 2))
            return cut
        case .shortPage, .overlap, .invalidRows:
            return reply
        }
    }
}
