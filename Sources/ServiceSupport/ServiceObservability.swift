import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import Synchronization

/// Process-wide logging and metrics setup. swift-log and swift-metrics may be
/// bootstrapped once per process; later calls return the first registry.
public enum ServiceObservability {
    private static let state = Mutex<PrometheusCollectorRegistry?>(nil)

    /// Logs to standard error at `level` and records metrics into a Prometheus registry.
    @discardableResult
    public static func bootstrap(logLevel: Logger.Level) -> PrometheusCollectorRegistry {
        state.withLock { existing in
            if let existing { return existing }
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = logLevel
                return handler
            }
            let registry = PrometheusCollectorRegistry()
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
            existing = registry
            return registry
        }
    }
}

/// Whether the service is ready to take work; `/health/ready` reports it.
public final class ServiceReadiness: Sendable {
    private let state = Mutex<(ready: Bool, reason: String)>((false, "starting"))

    public init() {}

    /// Marks the service ready.
    public func markReady() { state.withLock { $0 = (true, "ready") } }

    /// Marks the service not ready, with a reason shown by `/health/ready`.
    public func markNotReady(_ reason: String) { state.withLock { $0 = (false, reason) } }

    public var isReady: Bool { state.withLock { $0.ready } }
    public var reason: String { state.withLock { $0.reason } }
}

extension Router {
    /// Adds `/metrics` (Prometheus text), `/health/live` (200 while the process serves)
    /// and `/health/ready` (200 when ready, 503 with the reason otherwise).
    public func addOperationalRoutes(metrics: PrometheusCollectorRegistry, readiness: ServiceReadiness) {
        get("/metrics") { _, _ -> Response in
            var buffer = ByteBuffer()
            buffer.writeBytes(metrics.emitToBuffer())
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"], body: .init(byteBuffer: buffer))
        }
        get("/health/live") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: #"{"status":"UP"}"#)))
        }
        get("/health/ready") { _, _ -> Response in
            let ready = readiness.isReady
            let body = #"{"status":"\#(ready ? "UP" : "DOWN")","reason":"\#(readiness.reason.replacingOccurrences(of: "\"", with: "'"))"}"#
            return Response(status: ready ? .ok : .serviceUnavailable, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(string: body)))
        }
    }
}

/// Runs services until one finishes or SIGTERM/SIGINT arrives, then shuts all of them
/// down gracefully, in reverse order.
public func runServiceGroup(_ services: [any Service], logger: Logger) async throws {
    let group = ServiceGroup(configuration: .init(services: services.map { .init(service: $0) },
                                                  gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
    try await group.run()
}
