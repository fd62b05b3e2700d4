import Foundation

/// Why a fault-script JSON document was refused.
public struct FaultScriptError: Error, Sendable, CustomStringConvertible {
    /// What is wrong.
    public let message: String
    public var description: String { "fault script: \(message)" }
}

extension FaultScript {
    /// Parses a script such as
    /// `{"rules":[{"source":"binance","after":2,"count":1,"fault":"status429","retryAfter":5},
    /// {"source":"cryptocompare","fault":"slow","seconds":1.5,"path":"histoday"}],
    /// "limits":{"coinbase":{"requests":10,"perSeconds":1}}}`.
    /// A bare array of rules is accepted too. Rule defaults: `after` 0, `count` 1
    /// (`-1`: unlimited), `retryAfter` 1 s. Limit fields: `requests`, `perSeconds`,
    /// optional `banAfterIgnored` and `banSeconds`.
    public init(json: Data) throws {
        let document: Document
        do {
            if let rules = try? JSONDecoder().decode([RuleDTO].self, from: json) {
                document = Document(rules: rules, limits: nil)
            } else {
                document = try JSONDecoder().decode(Document.self, from: json)
            }
        } catch {
            throw FaultScriptError(message: "not a fault script: \(error)")
        }
        self.init(rules: try (document.rules ?? []).map { try $0.rule() },
                  limits: try (document.limits ?? [:]).mapValues { try $0.limit() })
    }

    /// Parses a script from JSON text (the format of `init(json: Data)`).
    public init(json: String) throws {
        try self.init(json: Data(json.utf8))
    }

    private struct Document: Decodable {
        let rules: [RuleDTO]?
        let limits: [String: LimitDTO]?
    }

    private struct RuleDTO: Decodable {
        let source: String
        let path: String?
        let after: Int?
        let count: Int?
        let fault: String
        let retryAfter: Int?
        let seconds: Double?

        func rule() throws -> FaultRule {
            let retry = retryAfter ?? 1
            let parsed: Fault
            switch fault {
            case "status429": parsed = .status429(retry)
            case "rateLimitBody200": parsed = .rateLimitBody200
            case "html502": parsed = .html502
            case "ban418": parsed = .ban418(retry)
            case "slow": parsed = .slow(.milliseconds(Int64(((seconds ?? 1) * 1000).rounded())))
            case "truncated": parsed = .truncated
            case "shortPage": parsed = .shortPage
            case "overlap": parsed = .overlap
            case "invalidRows": parsed = .invalidRows
            default: throw FaultScriptError(message: "unknown fault \"\(fault)\"")
            }
            let after = after ?? 0
            let count = count ?? 1
            guard after >= 0, count >= -1 else { throw FaultScriptError(message: "negative after or count in a \(fault) rule") }
            return FaultRule(source: source, pathContains: path, after: after, count: count == -1 ? Int.max : count, fault: parsed)
        }
    }

    private struct LimitDTO: Decodable {
        let requests: Int
        let perSeconds: Double
        let banAfterIgnored: Int?
        let banSeconds: Double?

        func limit() throws -> RequestLimit {
            guard requests > 0, perSeconds > 0 else { throw FaultScriptError(message: "a limit needs requests > 0 and perSeconds > 0") }
            return RequestLimit(requests: requests, per: .milliseconds(Int64(perSeconds * 1000)),
                                banAfterIgnored: banAfterIgnored ?? 2, banDuration: .milliseconds(Int64((banSeconds ?? 120) * 1000)))
        }
    }
}
