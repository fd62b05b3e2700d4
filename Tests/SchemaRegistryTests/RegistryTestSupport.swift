import Avro
import Foundation
import Hummingbird
import Kafka
import Logging
import SchemaRegistry
import ServiceSupport
import Testing

/// Runs `registry` (its apply loop) around `body`, once it is ready.
func withRunningRegistry<T: Sendable>(_ registry: SchemaRegistry, _ body: () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await registry.run() }
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(60)
        while !registry.readiness.isReady {
            guard clock.now < deadline else { throw RegistryError(status: 500, errorCode: 50002, message: "registry never became ready") }
            try await Task.sleep(for: .milliseconds(20))
        }
        do {
            let value = try await body()
            group.cancelAll()
            return value
        } catch {
            group.cancelAll()
            throw error
        }
    }
}

/// Runs `registry` around `body` once `condition` holds (for registries that never become ready).
func withRunningRegistry<T: Sendable>(_ registry: SchemaRegistry, once condition: @Sendable () -> Bool,
                                      _ body: () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await registry.run() }
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(30)
        while !condition() {
            guard clock.now < deadline else { throw RegistryError(status: 500, errorCode: 50002, message: "the condition never held") }
            try await Task.sleep(for: .milliseconds(10))
        }
        do {
            let value = try await body()
            group.cancelAll()
            return value
        } catch {
            group.cancelAll()
            throw error
        }
    }
}

func makeApplication(_ registry: SchemaRegistry, api: RegistryAPIConfiguration = RegistryAPIConfiguration()) -> some ApplicationProtocol {
    let router = Router()
    RegistryAPI.addRoutes(to: router, registry: registry, configuration: api)
    return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
}

func quietLogger(_ label: String) -> Logger {
    var logger = Logger(label: label)
    logger.logLevel = .warning
    return logger
}

/// A registration body for `schema`.
func registrationBody(_ schema: String, extra: [(String, JSONValue)] = []) -> ByteBuffer {
    ByteBuffer(string: JSONValue.object([("schema", .string(schema))] + extra).compactText)
}

extension ByteBuffer {
    var json: JSONValue? { try? JSONValue(parsing: String(buffer: self)) }
}
