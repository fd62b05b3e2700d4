import ArgumentParser
import Foundation
import Logging

/// A configuration value that is missing or invalid; the message says which flag and
/// environment variable to set. Services refuse to start with it.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { "configuration error: \(message)" }
}

/// Reads environment variables in one place, with typed lookups.
public struct ServiceEnvironment: Sendable {
    public let values: [String: String]

    public init(_ values: [String: String] = ProcessInfo.processInfo.environment) {
        self.values = values
    }

    /// The flag's value if given, else the environment variable's, else `defaultValue`.
    public func value(flag: String?, env: String, default defaultValue: String? = nil) -> String? {
        if let flag, !flag.isEmpty { return flag }
        if let v = values[env], !v.isEmpty { return v }
        return defaultValue
    }

    /// Like `value`, but a missing value is a `ConfigurationError` naming both sources.
    public func require(flag: String?, flagName: String, env: String) throws -> String {
        guard let v = value(flag: flag, env: env) else {
            throw ConfigurationError("\(flagName) is required: pass \(flagName) or set \(env)")
        }
        return v
    }

    /// An integer from the flag or the environment, validated.
    public func integer(flag: Int?, flagName: String, env: String, default defaultValue: Int) throws -> Int {
        if let flag { return flag }
        guard let raw = values[env], !raw.isEmpty else { return defaultValue }
        guard let v = Int(raw) else { throw ConfigurationError("\(env)=\(raw) is not an integer (\(flagName))") }
        return v
    }
}

/// Options every service takes. Each flag falls back to an environment variable.
public struct CommonServiceOptions: ParsableArguments, Sendable {
    @Option(name: .customLong("kafka-bootstrap-servers"), help: "Kafka bootstrap servers (env KAFKA_BOOTSTRAP_SERVERS).")
    public var kafkaBootstrapServers: String?

    @Option(name: .customLong("kafka-property"), help: ArgumentHelp(
        "A librdkafka property key=value, repeatable; wins over KAFKA_PROPERTIES and the properties file.",
        discussion: """
            Env KAFKA_PROPERTIES holds key=value entries separated by ';' or newlines, so that values may contain \
            commas (sasl.jaas.config, ssl.cipher.suites); without any ';' or newline it is read as a comma-separated \
            list. Entries starting with '#' are comments. A value that contains ';' goes in the properties file, \
            whose lines are split at newlines only.
            """))
    public var kafkaProperties: [String] = []

    @Option(name: .customLong("kafka-properties-file"), help: ArgumentHelp(
        "A file of librdkafka properties, one key=value a line, '#' comments (env KAFKA_PROPERTIES_FILE).",
        discussion: "Read first: KAFKA_PROPERTIES and --kafka-property override its entries."))
    public var kafkaPropertiesFile: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (env LOG_LEVEL; default info).")
    public var logLevel: String?

    @Option(name: .customLong("http-host"), help: "Address of the HTTP endpoint (env HTTP_HOST; default 0.0.0.0).")
    public var httpHost: String?

    @Option(name: .customLong("http-port"), help: "Port of the HTTP endpoint (env HTTP_PORT).")
    public var httpPort: Int?

    public init() {}

    /// The options with environment fallbacks applied and validated.
    public func resolve(environment: ServiceEnvironment = ServiceEnvironment(), defaultHTTPPort: Int) throws -> ResolvedServiceOptions {
        let bootstrap = try environment.require(flag: kafkaBootstrapServers, flagName: "--kafka-bootstrap-servers", env: "KAFKA_BOOTSTRAP_SERVERS")
        var properties: [String: String] = [:]
        if let file = environment.value(flag: kafkaPropertiesFile, env: "KAFKA_PROPERTIES_FILE") {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw ConfigurationError("cannot read the Kafka properties file \(file) (--kafka-properties-file / KAFKA_PROPERTIES_FILE)")
            }
            try Self.addKafkaProperties(text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline), unit: "line",
                                        from: "the Kafka properties file \(file) (--kafka-properties-file / KAFKA_PROPERTIES_FILE)", to: &properties)
        }
        if let inline = environment.value(flag: nil, env: "KAFKA_PROPERTIES") {
            let commaForm = !inline.contains { $0 == ";" || $0.isNewline }
            try Self.addKafkaProperties(Self.kafkaPropertyEntries(inline),
                                        from: commaForm ? "KAFKA_PROPERTIES (read as comma-separated: separate entries with ';' when a value holds a comma)" : "KAFKA_PROPERTIES",
                                        to: &properties)
        }
        try Self.addKafkaProperties(kafkaProperties.map { Substring($0) }, from: "--kafka-property", to: &properties)
        let levelText = environment.value(flag: logLevel, env: "LOG_LEVEL", default: "info")!
        guard let level = Logger.Level(rawValue: levelText.lowercased()) else {
            throw ConfigurationError("--log-level / LOG_LEVEL: '\(levelText.prefix(32))' is not one of trace, debug, info, notice, warning, error, critical")
        }
        let port = try environment.integer(flag: httpPort, flagName: "--http-port", env: "HTTP_PORT", default: defaultHTTPPort)
        guard (0...65535).contains(port) else { throw ConfigurationError("--http-port / HTTP_PORT: \(port) is not a port (0...65535)") }
        return ResolvedServiceOptions(kafkaBootstrapServers: bootstrap, kafkaProperties: properties, logLevel: level,
                                      httpHost: environment.value(flag: httpHost, env: "HTTP_HOST", default: "0.0.0.0")!, httpPort: port)
    }
}

extension CommonServiceOptions {
    /// The entries of a `KAFKA_PROPERTIES` value: split at `;` and newlines when it has any,
    /// else at commas (the older form, which cannot carry a comma in a value).
    static func kafkaPropertyEntries(_ text: String) -> [Substring] {
        if text.contains(where: { $0 == ";" || $0.isNewline }) {
            return text.split(whereSeparator: { $0 == ";" || $0.isNewline })
        }
        return text.split(separator: ",")
    }

    /// Adds `key=value` entries (blank ones and `#` comments skipped; key and value trimmed).
    /// - Parameter unit: what an entry is called in errors (`entry`, or `line` for a file's lines).
    /// - Throws: `ConfigurationError` naming `source` and the entry's position for an entry
    ///   without a key and `=`; it shows no part of the entry that could be a value.
    static func addKafkaProperties(_ entries: [Substring], unit: String = "entry", from source: String,
                                   to properties: inout [String: String]) throws {
        for (index, entry) in entries.enumerated() {
            let trimmed = entry.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            guard let eq = trimmed.firstIndex(of: "="),
                  !trimmed[..<eq].trimmingCharacters(in: .whitespaces).isEmpty else {
                throw ConfigurationError("\(unit) \(index + 1)\(Self.propertyName(in: trimmed)) of \(source) is not key=value")
            }
            let key = trimmed[..<eq].trimmingCharacters(in: .whitespaces)
            properties[key] = trimmed[trimmed.index(after: eq)...].trimmingCharacters(in: .whitespaces)
        }
    }
}

extension CommonServiceOptions {
    /// `" ('name')"` when a malformed entry starts with what reads as a librdkafka property name
    /// (lower case, dotted) followed by a wrong separator (`sasl.password: x`), else empty: a bare
    /// token may be a piece of a value (a password with a comma, split by the comma form of
    /// `KAFKA_PROPERTIES`), so it is never shown.
    static func propertyName(in entry: String) -> String {
        let name = entry.prefix { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "." || $0 == "_" }
        guard name.first?.isLetter == true, name.count < entry.count, name.contains("."),
              let next = entry.dropFirst(name.count).first, next == ":" || next.isWhitespace else { return "" }
        return " ('\(name.prefix(64))')"
    }
}

/// `CommonServiceOptions` after fallbacks and validation.
public struct ResolvedServiceOptions: Sendable, Equatable {
    public var kafkaBootstrapServers: String
    public var kafkaProperties: [String: String]
    public var logLevel: Logger.Level
    public var httpHost: String
    public var httpPort: Int
}
