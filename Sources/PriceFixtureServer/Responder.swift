/// Turns a request into its answer: finds the API by path prefix, applies the
/// source's limit and the fault script, then synthesises the answer, or replays a
/// recorded fixture for APIs listed in `replaying` and for paths the synthesis does
/// not know.
struct Responder: Sendable {
    let state: ServerState
    let recorded: RecordedFixtures?
    let cryptoCompare: CryptoCompareAPI
    let binance: BinanceAPI
    let frankfurter: FrankfurterAPI
    let fred: FredAPI
    let coinbase: CoinbaseAPI
    let kraken: KrakenAPI
    let coinGecko: CoinGeckoAPI
    let alphaVantage: AlphaVantageAPI
    let replaying: Set<APIName>

    init(book: PriceBook, state: ServerState, recorded: RecordedFixtures?, replaying: Set<APIName>) {
        self.state = state
        self.recorded = recorded
        self.replaying = replaying
        cryptoCompare = CryptoCompareAPI(book: book)
        binance = BinanceAPI(book: book)
        frankfurter = FrankfurterAPI(book: book)
        fred = FredAPI(book: book)
        coinbase = CoinbaseAPI(book: book)
        kraken = KrakenAPI(book: book)
        coinGecko = CoinGeckoAPI(book: book)
        alphaVantage = AlphaVantageAPI(book: book)
    }

    func respond(method: String, uri: String, headers: [(name: String, value: String)]) -> Reply {
        let now = ContinuousClock.now
        let request = IncomingRequest(method: method, uri: uri, headers: headers)
        guard let api = APIName(rawValue: request.prefix) else {
            return Reply(status: 404, contentType: "application/json", body: #"{"error":"unknown API prefix; use /cryptocompare, /binance, /frankfurter, /fred, /coinbase, /kraken, /coingecko or /alphavantage"}"#)
        }
        let weight = api == .binance ? BinanceAPI.weight(request) : 1
        let admission = state.admit(source: api.rawValue, path: request.path, weight: weight, at: now)
        var reply: Reply
        if let refusal = admission.refusal {
            switch refusal.outcome {
            case .banned(let seconds): reply = SourceBodies.ban418(api, retryAfter: seconds)
            case .limited(let seconds): reply = SourceBodies.limitExceeded(api, limit: refusal.limit, retryAfter: seconds)
            case .allowed: reply = answer(api, request, rowFault: nil)
            }
        } else if request.method != "GET" {
            reply = Reply(status: 405, contentType: "application/json", body: #"{"error":"only GET is served"}"#)
        } else {
            let fault = admission.fault
            reply = answer(api, request, rowFault: fault?.changesRows == true ? fault : nil)
            if let fault { reply = FaultReplies.apply(fault, to: reply, api: api) }
        }
        if api == .binance { reply.setHeader("X-MBX-USED-WEIGHT-1M", String(admission.usedWeight)) }
        state.record(ServedRequest(source: api.rawValue, path: request.path, query: request.rawQuery, at: now, status: reply.status,
                                   fault: admission.fault, limited: admission.refusal != nil))
        return reply
    }

    /// The normal answer of an API.
    func answer(_ api: APIName, _ request: IncomingRequest, rowFault: Fault?) -> Reply {
        if replaying.contains(api), let replayed = recorded?.reply(api: api, path: request.path, query: request.query) { return replayed }
        let synthesised: Reply?
        switch api {
        case .cryptocompare: synthesised = cryptoCompare.reply(request, rowFault: rowFault)
        case .binance: synthesised = binance.reply(request, rowFault: rowFault)
        case .frankfurter: synthesised = frankfurter.reply(request, rowFault: rowFault)
        case .fred: synthesised = fred.reply(request, rowFault: rowFault)
        case .coinbase: synthesised = coinbase.reply(request, rowFault: rowFault)
        case .kraken: synthesised = kraken.reply(request, rowFault: rowFault)
        case .coingecko: synthesised = coinGecko.reply(request, rowFault: rowFault)
        case .alphavantage: synthesised = alphaVantage.reply(request, rowFault: rowFault)
        }
        return synthesised ?? recorded?.reply(api: api, path: request.path, query: request.query) ?? SourceBodies.notFound(api)
    }
}
