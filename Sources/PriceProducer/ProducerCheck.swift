import Foundation
import HTTPClient
import Kafka
import Logging
import PriceSources
import SchemaRegistryClient

/// `price-producer check`: one line per source, the broker and the registry, saying what
/// is wrong and what to do.
public enum ProducerCheck {
    public struct Result: Sendable {
        public var ok: Bool
        public var name: String
        public var detail: String
        public var rendered: String { "\(ok ? "ok  " : "FAIL") \(name): \(detail)" }
    }

    public static func run(configuration config: ProducerConfiguration) async -> [Result] {
        var results: [Result] = []
        let registry = SourceRegistry.standard(settings: config.settings)
        let fetcher = SourceFetcher(http: HTTPClient(), logger: Logger(label: "check"))
        let yesterday = UTCDay(containing: Date()).advanced(by: -1)
        for name in config.sources {
            guard let source = registry.candleSource(named: name) else {
                results.append(Result(ok: false, name: "source \(name)", detail: "unknown source; known: \(registry.candleSources.map(\.name).joined(separator: ", "))"))
                continue
            }
            let served = config.instruments.filter { source.supports($0) }
            guard let probe = served.first else {
                results.append(Result(ok: false, name: "source \(name)", detail: "serves none of the configured instruments"))
                continue
            }
            var quick = fetcher
            quick.attempts = 2
            quick.shortPageRefetches = 0
            do {
                let page = try await quick.page(source, cursor: source.firstCursor(for: probe, days: yesterday.advanced(by: -2)...yesterday),
                                                gate: SourceGate(source: name, limits: source.limits))
                results.append(Result(ok: true, name: "source \(name)", detail: "reachable: \(page.candles.count) candles of \(probe) for the last days; serves \(served.count) of \(config.instruments.count) instruments"))
            } catch let e as SourceError {
                let hint: String
                switch e.code {
                case .authRequired: hint = "set \(name.uppercased())_API_KEY"
                case .rateLimited, .banned, .dailyCapReached: hint = "the source is limiting us; wait, or use a key with a higher plan"
                case .unknownMarket, .unsupported: hint = "remove \(probe) from PRODUCER_INSTRUMENTS for this source"
                case .egressBlocked: hint = "the source refuses this network location; use another source"
                default: hint = "check PRODUCER_\(name.uppercased())_BASE_URL and the network"
                }
                results.append(Result(ok: false, name: "source \(name)", detail: "\(e) — \(hint)"))
            } catch {
                results.append(Result(ok: false, name: "source \(name)", detail: "\(error) — check PRODUCER_\(name.uppercased())_BASE_URL and the network (or run with --offline)"))
            }
        }
        if config.fxEnabled {
            let pair = Instrument(base: "USD", quote: "INR")
            for name in config.fxSources {
                guard let source = registry.fxSource(named: name) else {
                    results.append(Result(ok: false, name: "fx \(name)", detail: "unknown FX source; known: \(registry.fxSources.map(\.name).joined(separator: ", "))"))
                    continue
                }
                var quick = fetcher
                quick.attempts = 2
                do {
                    let page = try await quick.fxPage(source, pair: pair, days: yesterday.advanced(by: -10)...yesterday, gate: SourceGate(source: name, limits: source.limits))
                    results.append(Result(ok: true, name: "fx \(name)", detail: "reachable: \(page.fixings.count) fixings in the last 10 days"))
                } catch {
                    results.append(Result(ok: false, name: "fx \(name)", detail: "\(error) — check PRODUCER_\(name.uppercased())_BASE_URL\(name == "fred" ? " and FRED_API_KEY" : "")"))
                }
            }
        }
        do {
            let admin = try KafkaAdmin(configuration: config.kafka)
            let topics = try await admin.listTopics(timeout: .seconds(5))
            results.append(Result(ok: true, name: "kafka", detail: "reachable (\(topics.count) topics)"))
        } catch {
            results.append(Result(ok: false, name: "kafka", detail: "\(error) — check KAFKA_BOOTSTRAP_SERVERS and KAFKA_PROPERTIES (TLS/SASL)"))
        }
        do {
            let subjects = try await SchemaRegistryClient(configuration: config.registry).subjects()
            results.append(Result(ok: true, name: "schema registry", detail: "reachable (\(subjects.count) subjects)"))
        } catch {
            results.append(Result(ok: false, name: "schema registry", detail: "\(error) — check SCHEMA_REGISTRY_URL and its credentials"))
        }
        return results
    }
}
