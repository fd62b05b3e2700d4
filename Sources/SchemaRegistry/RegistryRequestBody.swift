import Avro

/// Reading request bodies, apart from HTTP: the routes call these on the collected bytes, and
/// so does the registry-request fuzz target.
extension RegistryAPI {
    /// A request body: a JSON object, nested at most 256 levels.
    /// - Throws: 400 for anything else.
    package static func requestBody(_ bytes: [UInt8]) throws(RegistryError) -> JSONValue {
        let body: JSONValue
        do {
            body = try JSONValue(parsing: bytes, maxDepth: 256)
        } catch let e as JSONParseError {
            throw .badRequest("Unrecognized JSON: \(e.description)")
        } catch {
            throw .badRequest("Unrecognized JSON: \(error)")
        }
        guard body.objectValue != nil else { throw .badRequest("The request body must be a JSON object") }
        return body
    }

    /// The level of a `PUT /config` body: `compatibility` (or `compatibilityLevel`), any case.
    /// - Throws: 42203 when it is missing or not a level.
    package static func compatibilityLevel(in body: JSONValue) throws(RegistryError) -> CompatibilityLevel {
        guard let text = body["compatibility"]?.stringValue ?? body["compatibilityLevel"]?.stringValue,
              let level = CompatibilityLevel(rawValue: text.uppercased()) else {
            throw .invalidCompatibilityLevel(body["compatibility"]?.stringValue ?? body["compatibility"]?.compactText ?? "")
        }
        return level
    }

    /// The mode of a `PUT /mode` body: `mode`, any case.
    /// - Throws: 42204 when it is missing or not a mode.
    package static func mode(in body: JSONValue) throws(RegistryError) -> RegistryMode {
        guard let text = body["mode"]?.stringValue, let mode = RegistryMode(rawValue: text.uppercased()) else {
            throw .invalidMode(body["mode"]?.stringValue ?? body["mode"]?.compactText ?? "")
        }
        return mode
    }
}
