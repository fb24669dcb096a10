import Foundation

/// The CLI's stable JSON (`--json` of every status verb): pretty, sorted keys.
enum CLIJSON {
    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
