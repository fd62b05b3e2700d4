import CCurl
import Dispatch
import Foundation

/// An HTTP method.
public struct HTTPMethod: Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public static let get = HTTPMethod("GET")
    public static let post = HTTPMethod("POST")
    public static let put = HTTPMethod("PUT")
    public static let delete = HTTPMethod("DELETE")
    public var description: String { rawValue }
}

/// A request to send.
public struct HTTPRequest: Sendable {
    public var method: HTTPMethod
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]?

    public init(method: HTTPMethod = .get, url: String, headers: [(name: String, value: String)] = [], body: [UInt8]? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// A response: status, headers (of the final response after redirects) and body.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    /// The first header named `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    /// The `Retry-After` delay, from seconds or an HTTP date.
    public var retryAfter: Duration? {
        guard let value = header("Retry-After")?.trimmingCharacters(in: .whitespaces) else { return nil }
        if let seconds = Int(value) { return .seconds(max(0, seconds)) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        return .milliseconds(max(0, Int64(date.timeIntervalSinceNow * 1000)))
    }

    /// The body as UTF-8 text.
    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// Why a request failed before a response was complete.
public struct HTTPClientError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure. Cases may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Backing: String, Hashable, Sendable { case invalidURL, connectFailed, timeout, bodyTooLarge, tls, transport, insecureRedirect, tooManyRedirects, cancelled, setup }
        private let backing: Backing
        private init(_ b: Backing) { backing = b }
        /// The URL could not be parsed or uses an unsupported scheme.
        public static let invalidURL = Code(.invalidURL)
        /// The host could not be resolved or refused the connection.
        public static let connectFailed = Code(.connectFailed)
        /// The connect or total timeout passed.
        public static let timeout = Code(.timeout)
        /// The body was larger than `maxBodyBytes`.
        public static let bodyTooLarge = Code(.bodyTooLarge)
        /// TLS failed (certificate not trusted, handshake error).
        public static let tls = Code(.tls)
        /// Any other transfer error.
        public static let transport = Code(.transport)
        /// A redirect from https to http was refused: fix the URL (or the server).
        public static let insecureRedirect = Code(.insecureRedirect)
        /// More than the allowed number of redirects.
        public static let tooManyRedirects = Code(.tooManyRedirects)
        /// The task was cancelled; the transfer was aborted.
        public static let cancelled = Code(.cancelled)
        /// libcurl refused an option (an unsupported feature in this libcurl build).
        public static let setup = Code(.setup)
        public var description: String { backing.rawValue }
    }

    public var code: Code
    public var message: String
    /// libcurl's `CURLcode`.
    public var curlCode: Int32
    /// Worth retrying later (timeouts, refused connections, broken transfers).
    public var isRetriable: Bool { code == .timeout || code == .connectFailed || code == .transport }
    public var description: String { "HTTPClientError.\(code): \(message)" }
}

/// Client settings.
public struct HTTPClientConfiguration: Sendable {
    /// Default 10 s.
    public var connectTimeout: Duration = .seconds(10)
    /// The whole request, including the body. Default 30 s.
    public var totalTimeout: Duration = .seconds(30)
    /// Larger bodies fail with `.bodyTooLarge`. Default 16 MiB.
    public var maxBodyBytes: Int = 16 << 20
    /// Default true, up to 5 redirects.
    public var followRedirects: Bool = true
    /// Default `price-pipeline/1`.
    public var userAgent: String = "price-pipeline/1"
    /// Extra CA bundle (PEM) to trust; nil uses the system's. TLS verification is always on.
    public var caBundlePath: String?
    public init() {}
}

/// An HTTP/1.1 and HTTP/2 client over libcurl. Each transfer runs on a thread of its own,
/// never on Swift's cooperative pool, so that concurrent transfers never wait for a thread;
/// idle handles are kept for connection reuse. Proxies come from the environment
/// (`http_proxy`, `https_proxy`, `no_proxy`), as libcurl reads them.
///
/// Redirects are followed here, not by libcurl: a redirect from https to http is refused,
/// and a redirect to another host drops the request's headers (API keys travel in them).
/// Cancelling the calling task aborts the transfer.
public final class HTTPClient: Sendable {
    public let configuration: HTTPClientConfiguration
    private let pool = CurlHandlePool()
    /// At most this many redirects are followed.
    static let maxRedirects = 5

    public init(configuration: HTTPClientConfiguration = HTTPClientConfiguration()) {
        CurlGlobal.initialize()
        self.configuration = configuration
    }

    /// `GET url`.
    public func get(_ url: String, headers: [(name: String, value: String)] = []) async throws -> HTTPResponse {
        try await execute(HTTPRequest(method: .get, url: url, headers: headers))
    }

    /// `POST url` with `body`.
    public func post(_ url: String, body: [UInt8], headers: [(name: String, value: String)] = []) async throws -> HTTPResponse {
        try await execute(HTTPRequest(method: .post, url: url, headers: headers, body: body))
    }

    /// Sends `request` and returns the response, whatever its status.
    /// - Throws: `HTTPClientError` for failures before a complete response (`.cancelled` when
    ///   the task was cancelled).
    public func execute(_ request: HTTPRequest) async throws -> HTTPResponse {
        var request = request
        for _ in 0...HTTPClient.maxRedirects {
            let (response, location) = try await transfer(request)
            guard configuration.followRedirects, let location, [301, 302, 303, 307, 308].contains(response.status) else {
                return response
            }
            request = try CurlRedirect.next(after: request, status: response.status, location: location)
        }
        throw HTTPClientError(code: .tooManyRedirects, message: "\(request.method) \(CurlTransfer.redacted(request.url)): more than \(HTTPClient.maxRedirects) redirects", curlCode: 0)
    }

    private func transfer(_ request: HTTPRequest) async throws -> (HTTPResponse, String?) {
        let configuration = self.configuration
        let pool = self.pool
        let cancellation = CurlCancellation()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let thread = Thread {
                    let handle = pool.take()
                    let result = Result { try CurlTransfer.perform(request, handle: handle, configuration: configuration, cancellation: cancellation) }
                    // Back in the pool before the caller resumes, so that its next request reuses the connection.
                    pool.give(handle)
                    continuation.resume(with: result)
                }
                thread.name = "http-transfer"
                thread.start()
            }
        } onCancel: {
            cancellation.cancel()
        }
    }
}

/// Hooks for tests of the redirect rules.
public enum HTTPClientTesting {
    /// The request a redirect with `status` and `location` leads to, by the client's rules.
    public static func nextRedirect(after request: HTTPRequest, status: Int, location: String) throws -> HTTPRequest {
        try CurlRedirect.next(after: request, status: status, location: location)
    }
}

/// Set when the waiting task is cancelled; libcurl's progress callback then aborts the transfer.
final class CurlCancellation: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false
    func cancel() { lock.withLock { cancelled = true } }
    var isCancelled: Bool { lock.withLock { cancelled } }
}

/// The request a redirect leads to.
enum CurlRedirect {
    static func next(after request: HTTPRequest, status: Int, location: String) throws -> HTTPRequest {
        let from = URLComponents(string: request.url), to = URLComponents(string: location)
        guard let to, let scheme = to.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            throw HTTPClientError(code: .invalidURL, message: "\(request.method) \(CurlTransfer.redacted(request.url)): unusable redirect target", curlCode: 0)
        }
        if from?.scheme?.lowercased() == "https" && scheme == "http" {
            throw HTTPClientError(code: .insecureRedirect,
                                  message: "\(request.method) \(CurlTransfer.redacted(request.url)): refused a redirect from https to http (\(CurlTransfer.redacted(location)))",
                                  curlCode: 0)
        }
        var next = request
        next.url = location
        let sameOrigin = from?.host?.lowercased() == to.host?.lowercased() && from?.port == to.port && from?.scheme?.lowercased() == scheme
        if !sameOrigin { next.headers = [] }
        if status == 303 || ((status == 301 || status == 302) && request.method == .post) {
            next.method = .get
            next.body = nil
        }
        return next
    }
}

enum CurlGlobal {
    static let once: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()
    static func initialize() { _ = once }
}

/// Idle easy handles, kept so that their connections are reused.
final class CurlHandlePool: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [UnsafeMutableRawPointer] = []

    func take() -> UnsafeMutableRawPointer {
        if let h = lock.withLock({ idle.popLast() }) {
            curl_easy_reset(h)
            return h
        }
        return curl_easy_init()
    }

    func give(_ handle: UnsafeMutableRawPointer) {
        let keep = lock.withLock { () -> Bool in
            guard idle.count < 16 else { return false }
            idle.append(handle)
            return true
        }
        if !keep { curl_easy_cleanup(handle) }
    }

    deinit { for h in idle { curl_easy_cleanup(h) } }
}

/// The state of one transfer, reached from libcurl's callbacks.
final class CurlTransferState {
    let maxBodyBytes: Int
    var cancellation: CurlCancellation?
    var body: [UInt8] = []
    var headers: [(name: String, value: String)] = []
    var tooLarge = false
    init(maxBodyBytes: Int) { self.maxBodyBytes = maxBodyBytes }
}

enum CurlTransfer {
    /// Performs one request without following redirects.
    /// - Returns: the response and, for a redirect, its target URL.
    static func perform(_ request: HTTPRequest, handle h: UnsafeMutableRawPointer, configuration: HTTPClientConfiguration,
                        cancellation: CurlCancellation) throws -> (HTTPResponse, String?) {
        let state = CurlTransferState(maxBodyBytes: configuration.maxBodyBytes)
        state.cancellation = cancellation
        let statePointer = Unmanaged.passUnretained(state).toOpaque()
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }
        for (name, value) in request.headers { headerList = curl_slist_append(headerList, "\(name): \(value)") }
        if request.body != nil, !request.headers.contains(where: { $0.name.lowercased() == "expect" }) {
            headerList = curl_slist_append(headerList, "Expect:")
        }
        func set(_ rc: CURLcode, _ option: String) throws {
            guard rc == CURLE_OK else {
                throw HTTPClientError(code: rc == CURLE_URL_MALFORMAT ? .invalidURL : .setup,
                                      message: "\(request.method) \(redacted(request.url)): libcurl refused \(option): \(String(cString: curl_easy_strerror(rc)))",
                                      curlCode: Int32(rc.rawValue))
            }
        }
        try set(pp_curl_setopt_str(h, CURLOPT_URL, request.url), "the URL")
        try set(pp_curl_setopt_long(h, CURLOPT_NOSIGNAL, 1), "NOSIGNAL")
        try set(pp_curl_setopt_long(h, CURLOPT_CONNECTTIMEOUT_MS, configuration.connectTimeout.wholeMilliseconds), "the connect timeout")
        try set(pp_curl_setopt_long(h, CURLOPT_TIMEOUT_MS, configuration.totalTimeout.wholeMilliseconds), "the total timeout")
        try set(pp_curl_setopt_long(h, CURLOPT_FOLLOWLOCATION, 0), "FOLLOWLOCATION")
        try set(pp_curl_setopt_long(h, CURLOPT_SSL_VERIFYPEER, 1), "SSL_VERIFYPEER")
        try set(pp_curl_setopt_long(h, CURLOPT_SSL_VERIFYHOST, 2), "SSL_VERIFYHOST")
        try set(pp_curl_setopt_str(h, CURLOPT_PROTOCOLS_STR, "http,https"), "PROTOCOLS_STR")
        try set(pp_curl_setopt_str(h, CURLOPT_USERAGENT, configuration.userAgent), "the user agent")
        try set(pp_curl_setopt_str(h, CURLOPT_ACCEPT_ENCODING, ""), "ACCEPT_ENCODING")
        if let ca = configuration.caBundlePath { try set(pp_curl_setopt_str(h, CURLOPT_CAINFO, ca), "the CA bundle") }
        try set(pp_curl_setopt_ptr(h, CURLOPT_HTTPHEADER, headerList), "the headers")
        try set(pp_curl_setopt_data_cb(h, CURLOPT_WRITEFUNCTION, curlWriteCallback), "WRITEFUNCTION")
        try set(pp_curl_setopt_ptr(h, CURLOPT_WRITEDATA, statePointer), "WRITEDATA")
        try set(pp_curl_setopt_data_cb(h, CURLOPT_HEADERFUNCTION, curlHeaderCallback), "HEADERFUNCTION")
        try set(pp_curl_setopt_ptr(h, CURLOPT_HEADERDATA, statePointer), "HEADERDATA")
        try set(pp_curl_setopt_xferinfo_cb(h, CURLOPT_XFERINFOFUNCTION, curlProgressCallback), "XFERINFOFUNCTION")
        try set(pp_curl_setopt_ptr(h, CURLOPT_XFERINFODATA, statePointer), "XFERINFODATA")
        try set(pp_curl_setopt_long(h, CURLOPT_NOPROGRESS, 0), "NOPROGRESS")
        switch request.method {
        case .get: try set(pp_curl_setopt_long(h, CURLOPT_HTTPGET, 1), "HTTPGET")
        case .post: try set(pp_curl_setopt_long(h, CURLOPT_POST, 1), "POST")
        default: try set(pp_curl_setopt_str(h, CURLOPT_CUSTOMREQUEST, request.method.rawValue), "the method")
        }
        let rc: CURLcode = withExtendedLifetime(state) {
            if let body = request.body {
                return body.withUnsafeBytes { buffer in
                    _ = pp_curl_setopt_off(h, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(buffer.count))
                    _ = pp_curl_setopt_ptr(h, CURLOPT_POSTFIELDS, buffer.count > 0 ? buffer.baseAddress : UnsafeRawPointer(("" as StaticString).utf8Start))
                    return curl_easy_perform(h)
                }
            }
            return curl_easy_perform(h)
        }
        guard rc == CURLE_OK else {
            if rc == CURLE_ABORTED_BY_CALLBACK {
                throw HTTPClientError(code: .cancelled, message: "\(request.method) \(redacted(request.url)): cancelled", curlCode: Int32(rc.rawValue))
            }
            if state.tooLarge {
                throw HTTPClientError(code: .bodyTooLarge, message: "\(request.method) \(redacted(request.url)): body exceeds \(configuration.maxBodyBytes) bytes", curlCode: Int32(rc.rawValue))
            }
            throw error(rc, request)
        }
        var status = 0
        _ = pp_curl_getinfo_long(h, CURLINFO_RESPONSE_CODE, &status)
        var location: UnsafeMutablePointer<CChar>?
        _ = pp_curl_getinfo_str(h, CURLINFO_REDIRECT_URL, &location)
        return (HTTPResponse(status: status, headers: state.headers, body: state.body), location.map { String(cString: $0) })
    }

    static func error(_ rc: CURLcode, _ request: HTTPRequest) -> HTTPClientError {
        let code: HTTPClientError.Code
        switch rc {
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL: code = .invalidURL
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_PROXY: code = .connectFailed
        case CURLE_OPERATION_TIMEDOUT: code = .timeout
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CERTPROBLEM: code = .tls
        default: code = .transport
        }
        let text = String(cString: curl_easy_strerror(rc))
        return HTTPClientError(code: code, message: "\(request.method) \(redacted(request.url)): \(text)", curlCode: Int32(rc.rawValue))
    }

    /// The URL without query string or credentials, safe to log (API keys travel in queries).
    static func redacted(_ url: String) -> String {
        var s = Substring(url)
        if let q = s.firstIndex(of: "?") { s = s[..<q] }
        if let scheme = s.range(of: "://"), let at = s[scheme.upperBound...].firstIndex(of: "@") {
            s = s[..<scheme.upperBound] + s[s.index(after: at)...]
        }
        return String(s)
    }
}

private let curlWriteCallback: pp_curl_data_cb = { data, size, count, userdata in
    guard let data, let userdata else { return 0 }
    let state = Unmanaged<CurlTransferState>.fromOpaque(userdata).takeUnretainedValue()
    let n = size * count
    if state.body.count + n > state.maxBodyBytes {
        state.tooLarge = true
        return 0
    }
    data.withMemoryRebound(to: UInt8.self, capacity: n) { state.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: n)) }
    return n
}

private let curlProgressCallback: pp_curl_xferinfo_cb = { userdata, _, _, _, _ in
    guard let userdata else { return 0 }
    let state = Unmanaged<CurlTransferState>.fromOpaque(userdata).takeUnretainedValue()
    return state.cancellation?.isCancelled == true ? 1 : 0
}

private let curlHeaderCallback: pp_curl_data_cb = { data, size, count, userdata in
    guard let data, let userdata else { return 0 }
    let state = Unmanaged<CurlTransferState>.fromOpaque(userdata).takeUnretainedValue()
    let n = size * count
    let line = String(decoding: UnsafeRawBufferPointer(start: data, count: n), as: UTF8.self)
    if line.hasPrefix("HTTP/") {
        // A new response (after a redirect or 100-continue): keep only the final one's headers.
        state.headers.removeAll()
    } else if let colon = line.firstIndex(of: ":") {
        let name = line[..<colon].trimmingCharacters(in: .whitespaces)
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
        state.headers.append((name, value))
    }
    return n
}

extension Duration {
    var wholeMilliseconds: Int {
        let (s, atto) = components
        return Int(s) * 1000 + Int(atto / 1_000_000_000_000_000)
    }
}
