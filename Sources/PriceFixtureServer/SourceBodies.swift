import Foundation

/// Each API's own error answers: rate limits (429 or HTTP 200), bans, CDN pages,
/// "not found". Texts follow the recorded fixtures and price-apis.md.
enum SourceBodies {
    /// HTTP 429 with `Retry-After` and the API's 429 body.
    static func status429(_ api: APIName, retryAfter: Int) -> Reply {
        let body: String
        switch api {
        case .cryptocompare: body = cryptoCompareRateLimit(window: "minute", made: 301, allowed: 300)
        case .binance: body = binanceTooMany
        case .coinbase: body = #"{"message":"Public rate limit exceeded"}"#
        case .kraken: body = #"{"error":["EGeneral:Too many requests"]}"#
        case .coingecko: body = coinGeckoRateLimit
        case .alphavantage: body = alphaVantageBurst
        case .frankfurter: body = #"{"message":"too many requests"}"#
        case .fred: body = #"{"error_code":429,"error_message":"Too Many Requests.  Exceeded Rate Limit"}"#
        }
        return .json(api, body, status: 429, headers: [("Retry-After", String(retryAfter))])
    }

    /// The API's rate-limit message with HTTP 200.
    static func rateLimit200(_ api: APIName) -> Reply {
        switch api {
        case .cryptocompare: return .json(api, cryptoCompareRateLimit(window: "minute", made: 301, allowed: 300))
        case .kraken: return .json(api, #"{"error":["EAPI:Rate limit exceeded"]}"#)
        case .alphavantage: return .json(api, alphaVantageBurst)
        case .coingecko: return .json(api, coinGeckoRateLimit)
        case .binance, .coinbase, .frankfurter, .fred:
            var reply = status429(api, retryAfter: 1)
            reply.status = 200
            return reply
        }
    }

    /// The answer when an enforced ``RequestLimit`` is exceeded: what the real API sends.
    static func limitExceeded(_ api: APIName, limit: RequestLimit, retryAfter: Int) -> Reply {
        switch api {
        case .cryptocompare:
            let seconds = limit.per.components.seconds
            let window = seconds <= 1 ? "second" : seconds <= 60 ? "minute" : seconds <= 3600 ? "hour" : seconds <= 86_400 ? "day" : "month"
            return .json(api, cryptoCompareRateLimit(window: window, made: limit.requests + 1, allowed: limit.requests))
        case .kraken:
            return .json(api, #"{"error":["EGeneral:Too many requests"]}"#)
        case .alphavantage:
            return .json(api, limit.per >= .seconds(86_400) ? alphaVantageDaily : alphaVantageBurst)
        default:
            return status429(api, retryAfter: retryAfter)
        }
    }

    /// Binance's 418 IP ban.
    static func ban418(_ api: APIName, retryAfter: Int) -> Reply {
        let until = Int64(Date().timeIntervalSince1970 * 1000) + Int64(retryAfter) * 1000
        let message = "Way too much request weight used; IP banned until \(until). Please use WebSocket Streams for live updates to avoid bans."
        return .json(api, #"{"code":-1003,"msg":"# + JSONText.string(message) + "}", status: 418, headers: [("Retry-After", String(retryAfter))])
    }

    /// A Cloudflare 502 page.
    static var html502: Reply {
        Reply(status: 502, contentType: "text/html", body: "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
              + "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n")
    }

    /// The API's answer for a path or market it does not have.
    static func notFound(_ api: APIName) -> Reply {
        switch api {
        case .cryptocompare: .json(api, #"{"Response":"Error","Message":"Path does not exist","HasWarning":false,"Type":1,"RateLimit":{},"Data":{}}"#, status: 404)
        case .binance: .json(api, #"{"code":-1121,"msg":"Invalid symbol."}"#, status: 400)
        case .coinbase: .json(api, #"{"message":"NotFound"}"#, status: 404)
        case .kraken: .json(api, #"{"error":["EQuery:Unknown asset pair"]}"#)
        case .coingecko: .json(api, #"{"error":"coin not found"}"#, status: 404)
        case .alphavantage: .json(api, #"{"Error Message": "Invalid API call. Please retry or visit the documentation (https://www.alphavantage.co/documentation/) for DIGITAL_CURRENCY_DAILY."}"#)
        case .frankfurter: .json(api, #"{"message":"not found"}"#, status: 404, headers: [("Cache-Control", "no-store")])
        case .fred: .json(api, #"{"error_code":404,"error_message":"Not Found."}"#, status: 404)
        }
    }

    /// CryptoCompare's `Type 99` body with one window used up.
    static func cryptoCompareRateLimit(window: String, made: Int, allowed: Int) -> String {
        let defaults = [("second", 20), ("minute", 300), ("hour", 3000), ("day", 7500), ("month", 100_000)]
        let made = defaults.map { name, cap in "\"\(name)\":\(name == window ? made : min(made, cap - 1))" }
        let caps = defaults.map { name, cap in "\"\(name)\":\(name == window ? allowed : max(cap, allowed + 2))" }
        return #"{"Response":"Error","Message":"You are over your rate limit please upgrade your account!","HasWarning":false,"Type":99,"RateLimit":{"calls_made":{"#
            + made.joined(separator: ",") + #"},"max_calls":{"# + caps.joined(separator: ",") + #"}},"Data":{}}"#
    }

    static let binanceTooMany = #"{"code":-1003,"msg":"Too many requests; current limit of IP(127.0.0.1) is 6000 requests per minute. Please use WebSocket Streams for live updates to avoid polling the API."}"#
    static let coinGeckoRateLimit = #"{"status":{"error_code":429,"error_message":"You've exceeded the Rate Limit. Please visit https://www.coingecko.com/en/api/pricing to subscribe to our API plans for higher rate limits."}}"#
    static let alphaVantageBurst = #"{"Information": "Thank you for using Alpha Vantage! Please consider spreading out your free API requests more sparingly (1 request per second). You may subscribe to any of the premium plans at https://www.alphavantage.co/premium/ to lift the free key rate limit (25 requests per day), raise the per-second burst limit, and instantly unlock all premium endpoints"}"#
    static let alphaVantageDaily = #"{"Information": "We have detected your API key as YOUR_KEY and our standard API rate limit is 25 requests per day. Please subscribe to any of the premium plans at https://www.alphavantage.co/premium/ to instantly remove all daily rate limits."}"#
}
