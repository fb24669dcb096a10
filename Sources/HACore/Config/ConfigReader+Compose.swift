import Yams

extension ConfigReader {
    /// Composes the YAML text into a node tree, or reports why it cannot and returns nil.
    ///
    /// Yams refuses a mapping with a repeated key outright, which would hide every other problem in
    /// the file. So each time it does, the earlier occurrence is renamed in place to a stand-in of
    /// the same length (positions stay exact) and composing starts again; `fields` maps stand-ins
    /// back and reports the repeats like any other problem.
    func compose(_ yaml: String) -> Node? {
        var text = yaml
        for attempt in 0..<4096 {
            do {
                guard let root = try Yams.compose(yaml: text) else {
                    report(SourcePosition(line: 1, column: 1), "the file is empty; expected a mapping with cluster, controllers and the other sections")
                    return nil
                }
                return root
            } catch YamlError.duplicatedKeysInMapping(let duplicates, let context) {
                let key = duplicates.first ?? ""
                let position = SourcePosition(line: context.mark.line, column: context.mark.column)
                guard let (renamed, standIn) = Self.renameKey(key, at: position, in: text, attempt: attempt) else {
                    report(position, "duplicate key \(configQuote(key))")
                    return nil
                }
                text = renamed
                renamedKeys[standIn] = renamedKeys[key] ?? key
            } catch let error as YamlError {
                reportSyntaxError(error)
                return nil
            } catch {
                report(SourcePosition(line: 1, column: 1), "YAML syntax error: \(error)")
                return nil
            }
        }
        report(SourcePosition(line: 1, column: 1), "too many duplicate keys")
        return nil
    }

    private func reportSyntaxError(_ error: YamlError) {
        switch error {
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            var message = "YAML syntax error: \(problem)"
            if let context {
                message += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))"
            }
            report(SourcePosition(line: mark.line, column: mark.column), message)
        case .reader(let problem, let offset, _, let yaml):
            report(Self.position(ofCharacterOffset: offset ?? 0, in: yaml), "YAML syntax error: \(problem)")
        default:
            report(SourcePosition(line: 1, column: 1), "YAML syntax error: \(error)")
        }
    }

    /// Line and column of the `offset`-th character.
    private static func position(ofCharacterOffset offset: Int, in text: String) -> SourcePosition {
        var line = 1, column = 1
        for character in text.prefix(offset) {
            if character == "\n" || character == "\r\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return SourcePosition(line: line, column: column)
    }

    /// Replaces the key `key` that starts at `position` with a same-length stand-in that no real
    /// key uses (Unicode private-use characters, unique per attempt). Nil if the text there is not
    /// that key (then the duplicate is reported without going on).
    static func renameKey(
        _ key: String, at position: SourcePosition, in text: String, attempt: Int
    ) -> (text: String, standIn: String)? {
        var scalars = Array(text.unicodeScalars)
        var lineStart = 0
        for _ in 1..<position.line {
            guard let newline = scalars[lineStart...].firstIndex(of: "\n") else { return nil }
            lineStart = newline + 1
        }
        let start = lineStart + position.column - 1
        guard start < scalars.count, !scalars[lineStart..<start].contains("\n") else { return nil }
        guard let range = keyRange(key, at: start, in: scalars) else { return nil }
        let unique = Unicode.Scalar(0xE000 + UInt32(attempt % 0x1000))!
        let standIn = [unique] + Array(repeating: Unicode.Scalar(0xF000)!, count: range.count - 1)
        scalars.replaceSubrange(range, with: standIn)
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return (String(view), String(String.UnicodeScalarView(standIn)))
    }

    /// The scalars to replace: a plain key itself, or what is between the quotes of a quoted one
    /// (the quotes too when empty).
    private static func keyRange(_ key: String, at start: Int, in scalars: [Unicode.Scalar]) -> Range<Int>? {
        let quote = scalars[start]
        guard quote == "\"" || quote == "'" else {
            let keyScalars = Array(key.unicodeScalars)
            let end = start + keyScalars.count
            guard !keyScalars.isEmpty, end <= scalars.count, Array(scalars[start..<end]) == keyScalars else {
                return nil
            }
            return start..<end
        }
        var index = start + 1
        while index < scalars.count, scalars[index] != "\n" {
            if quote == "\"" && scalars[index] == "\\" {
                index += 2
                continue
            }
            if scalars[index] == quote {
                if quote == "'" && index + 1 < scalars.count && scalars[index + 1] == "'" {
                    index += 2
                    continue
                }
                return index == start + 1 ? start..<(index + 1) : (start + 1)..<index
            }
            index += 1
        }
        return nil
    }
}
