import Foundation

/// Shared by the libFuzzer targets (`Sources/Fuzz*`, see docs/testing.md "Fuzzing").
///
/// Each target defines `LLVMFuzzerTestOneInput`. Built with `-D HACTL_FUZZ --sanitize=fuzzer`
/// (scripts/fuzz.sh) libFuzzer supplies `main`; in a normal build the target's `@main` calls
/// ``replay(_:arguments:)`` instead, so `swift run FuzzX file-or-dir...` re-runs a corpus or a
/// crasher through the same function without the fuzzer (and every `swift build` compiles the targets).
public enum FuzzSupport {
    /// The replay `main` of a normal build: ``replay(_:arguments:)`` on the command line, then exit.
    public static func replayMain(_ one: ([UInt8]) -> Void) -> Never {
        exit(replay(one))
    }

    /// Runs `one` on every file named in `arguments` (directories: every regular file in them).
    /// Returns the process exit status: 0, or 2 for an unreadable argument.
    public static func replay(_ one: ([UInt8]) -> Void, arguments: [String] = CommandLine.arguments) -> Int32 {
        var files: [String] = []
        for argument in arguments.dropFirst() {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory) else {
                FileHandle.standardError.write(Data("no such file: \(argument)\n".utf8))
                return 2
            }
            if isDirectory.boolValue {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: argument)) ?? []
                files += names.sorted().map { argument + "/" + $0 }
            } else {
                files.append(argument)
            }
        }
        if files.isEmpty {
            FileHandle.standardError.write(Data("usage: \(arguments.first ?? "fuzz") FILE-OR-DIR...\n".utf8))
            return 2
        }
        var ran = 0
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else { continue }
            one(Array(data))
            ran += 1
        }
        print("replayed \(ran) input(s), no crash")
        return 0
    }
}

/// Reads typed values off the front of a fuzz input; past the end every read yields zero/empty,
/// so a harness never has to check lengths.
public struct FuzzReader {
    public private(set) var bytes: ArraySlice<UInt8>

    public init(_ bytes: [UInt8]) { self.bytes = bytes[...] }

    public var isEmpty: Bool { bytes.isEmpty }

    public mutating func byte() -> UInt8 { bytes.popFirst() ?? 0 }

    public mutating func bool() -> Bool { byte() & 1 == 1 }

    /// Eight bytes, little-endian, as any `Int64` (including `.min` and `.max`).
    public mutating func int64() -> Int64 {
        var value: UInt64 = 0
        for shift in stride(from: 0, to: 64, by: 8) { value |= UInt64(byte()) << UInt64(shift) }
        return Int64(bitPattern: value)
    }

    /// Bytes up to (not including) the next `separator`, which is consumed; the rest when there is none.
    public mutating func field(separator: UInt8 = 0x0A) -> [UInt8] {
        guard let end = bytes.firstIndex(of: separator) else { defer { bytes = [] }; return Array(bytes) }
        defer { bytes = bytes[(end + 1)...] }
        return Array(bytes[..<end])
    }

    /// Everything left.
    public mutating func rest() -> [UInt8] { defer { bytes = [] }; return Array(bytes) }
}

/// Set `FUZZ_VERBOSE=1` to have the harnesses say what they made of each input (replay a crasher
/// or check that the seeds reach the paths they were written for).
public let fuzzVerbose = ProcessInfo.processInfo.environment["FUZZ_VERBOSE"] != nil

/// Prints `message` when `FUZZ_VERBOSE` is set.
public func fuzzNote(_ message: @autoclosure () -> String) {
    if fuzzVerbose { print(message()) }
}

/// A harness invariant: on failure, print what broke and trap, which libFuzzer reports as a crash
/// (and saves the input as `crash-*`).
public func fuzzCheck(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
                      file: StaticString = #fileID, line: UInt = #line) {
    guard condition() else {
        FileHandle.standardError.write(Data("fuzz invariant failed (\(file):\(line)): \(message())\n".utf8))
        abort()
    }
}
