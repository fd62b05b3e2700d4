import Foundation

/// Checks shared by every adapter: bodies that are not JSON, and errors that can
/// only be classified by HTTP status.
enum ResponseCheck {
    /// Whether the body is an HTML page (whatever the Content-Type says).
    static func isHTML(_ body: [UInt8]) -> Bool {
        guard let first = body.first(where: { ![0x20, 0x09, 0x0A, 0x0D, 0xEF, 0xBB, 0xBF].contains($0) }) else { return false }
        return first == UInt8(ascii: "<")
    }

    /// The page title of an HTML body, shortened.
    static func htmlTitle(_ body: [UInt8]) -> String? {
        let text = String(decoding: body.prefix(4096), as: UTF8.self)
        guard let open = text.range(of: "<title>", options: .caseInsensitive),
              let close = text.range(of: "</title>", options: .caseInsensitive, range: open.upperBound..<text.endIndex) else { return nil }
        return shorten(String(text[open.upperBound..<close.lowerBound]))
    }

    /// Upstream text made safe to quote: one line, at most 300 characters.
    static func shorten(_ text: String) -> String {
        let line = text.split(whereSeparator: \.isNewline).joined(separator: " ").trimmingCharacters(in: .whitespaces)
        return line.count > 300 ? String(line.prefix(300)) + "…" : line
    }

    /// The body as JSON, or a `malformedResponse` error (empty, HTML, truncated, invalid).
    static func json(_ response: SourceResponse, source: String) throws(SourceError) -> JSON {
        if let problem = nonJSONProblem(response) {
            throw SourceError(.malformedResponse, source: source, status: response.status, message: problem)
        }
        do {
            return try JSONParser.parse(response.body)
        } catch {
            throw SourceError(.malformedResponse, source: source, status: response.status,
                              message: "invalid JSON at byte \(error.offset): \(error.reason)")
        }
    }

    /// The body as JSON when it is JSON, else `nil`.
    static func jsonIfAny(_ response: SourceResponse) -> JSON? {
        guard nonJSONProblem(response) == nil else { return nil }
        return try? JSONParser.parse(response.body)
    }

    /// Why the body certainly is not JSON, if it certainly is not.
    static func nonJSONProblem(_ response: SourceResponse) -> String? {
        if response.body.allSatisfy({ [0x20, 0x09, 0x0A, 0x0D].contains($0) }) { return "empty body" }
        if isHTML(response.body) {
            return "HTML page instead of data" + (htmlTitle(response.body).map { " (\($0))" } ?? "")
        }
        return nil
    }

    /// An error from the HTTP status alone, for answers no adapter rule matched.
    static func statusError(_ response: SourceResponse, source: String, now: Date, detail: String? = nil) -> SourceError {
        let status = response.status
        let retry = Timestamps.retryAfter(response, now: now)
        let what = detail ?? nonJSONProblem(response) ?? "unexpected answer"
        func error(_ code: SourceError.Code, _ text: String, _ retryAfter: Duration? = nil) -> SourceError {
            SourceError(code, source: source, status: status, message: text, retryAfter: retryAfter)
        }
        switch status {
        case 200..<300: return error(.malformedResponse, "no data in the answer: \(what)")
        case 300..<400: return error(.badRequest, "unexpected redirect; configure the final host: \(what)")
        case 401: return error(.authRequired, "unauthorised: \(what)")
        case 403: return error(.egressBlocked, "forbidden (CDN or access policy): \(what)")
        case 404: return error(.noData, "not found: \(what)")
        case 408: return error(.serverError, "request timeout: \(what)", retry)
        case 418: return error(.banned, "banned: \(what)", retry)
        case 429: return error(.rateLimited, "rate limited: \(what)", retry)
        case 451: return error(.egressBlocked, "unavailable from this location: \(what)")
        case 400..<500: return error(.badRequest, "request refused: \(what)")
        default: return error(.serverError, "server error: \(what)", retry)
        }
    }
}
