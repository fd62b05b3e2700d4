import Foundation

/// Why a source gave no usable answer. Row-level problems are not errors: they are
/// reported in ``CandlePage/rejected``.
///
/// `message` never contains an API key or a URL with a query string: it is built from
/// the adapter's own words plus the upstream message, scrubbed of credentials.
public struct SourceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of failure. New codes may be added.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Kind: String, Sendable {
            case rateLimited, banned, dailyCapReached, unknownMarket, unsupported, authRequired
            case historyLimit, noData, malformedResponse, serverError, badRequest, egressBlocked
        }

        private let kind: Kind
        private init(_ kind: Kind) { self.kind = kind }

        /// Too many requests for now (HTTP 429, or a rate-limit body sent with HTTP 200).
        public static let rateLimited = Code(.rateLimited)
        /// The client is banned until `retryAfter` (Binance HTTP 418).
        public static let banned = Code(.banned)
        /// A daily (or monthly) quota is used up; wait for the next window, do not loop.
        public static let dailyCapReached = Code(.dailyCapReached)
        /// The source does not know this symbol or pair.
        public static let unknownMarket = Code(.unknownMarket)
        /// The adapter cannot serve this instrument (checked before any request).
        public static let unsupported = Code(.unsupported)
        /// A key is missing, invalid, for another plan or for another host.
        public static let authRequired = Code(.authRequired)
        /// The request reaches further back than the plan allows (CoinGecko: 365 days).
        public static let historyLimit = Code(.historyLimit)
        /// The source has nothing for this request (Frankfurter 404).
        public static let noData = Code(.noData)
        /// The body is not the expected shape: HTML, truncated or empty JSON, wrong types.
        public static let malformedResponse = Code(.malformedResponse)
        /// The source failed (5xx, "service unavailable"); retry with backoff.
        public static let serverError = Code(.serverError)
        /// The request itself is wrong; fix the configuration, do not retry.
        public static let badRequest = Code(.badRequest)
        /// Refused for where the request comes from (HTTP 451, CDN 403); alert, long backoff.
        public static let egressBlocked = Code(.egressBlocked)

        /// Whether the same request may succeed later without a configuration change.
        public var isRetriable: Bool {
            switch kind {
            case .rateLimited, .banned, .dailyCapReached, .malformedResponse, .serverError: return true
            case .unknownMarket, .unsupported, .authRequired, .historyLimit, .noData, .badRequest, .egressBlocked: return false
            }
        }

        public var description: String { kind.rawValue }
    }

    /// The kind of failure.
    public let code: Code
    /// The adapter's name, e.g. `binance`.
    public let source: String
    /// The HTTP status, when a response arrived.
    public let status: Int?
    /// What happened, credentials removed.
    public let message: String
    /// How long to wait before the next call to this source, when the source said so
    /// (Retry-After, a ban's end, a rate-limit body) or the window is known.
    public let retryAfter: Duration?
    /// The end of a ban, when the source gave it (Binance 418 "banned until").
    public let bannedUntil: Date?

    /// An error. `message` is scrubbed of `secrets` and of anything that looks like a credential.
    public init(
        _ code: Code, source: String, status: Int? = nil, message: String,
        retryAfter: Duration? = nil, bannedUntil: Date? = nil, secrets: [String] = []
    ) {
        self.code = code
        self.source = source
        self.status = status
        self.message = Redactor.scrub(message, secrets: secrets)
        self.retryAfter = retryAfter
        self.bannedUntil = bannedUntil
    }

    /// Whether the same request may succeed later (see ``Code/isRetriable``).
    public var isRetriable: Bool { code.isRetriable }

    public var description: String {
        var text = "\(source): \(code)"
        if let status { text += " (HTTP \(status))" }
        text += ": " + message
        if let retryAfter { text += "; retry after \(retryAfter.components.seconds) s" }
        return text
    }
}
