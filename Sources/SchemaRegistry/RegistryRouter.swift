import Hummingbird
import Prometheus
import ServiceSupport

extension RegistryAPI {
    /// The `schema-registry` executable's router: `/metrics` and `/health/*` first, then the
    /// registry API. Middleware covers only routes added after it, so basic authentication
    /// (when `configuration` has users) guards the API while the operational routes stay open.
    public static func router(registry: SchemaRegistry, configuration: RegistryAPIConfiguration,
                              metrics: PrometheusCollectorRegistry, readiness: ServiceReadiness) -> Router<BasicRequestContext> {
        let router = Router()
        router.addOperationalRoutes(metrics: metrics, readiness: readiness)
        addRoutes(to: router, registry: registry, configuration: configuration)
        return router
    }
}
