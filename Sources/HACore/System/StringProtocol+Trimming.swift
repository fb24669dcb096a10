extension StringProtocol {
    /// Without leading and trailing blanks (spaces and tabs): for lines read from servers and agents
    /// (Galera rows, grastate.dat, fence-agent output, config-like values).
    public func trimmingSpaces() -> String {
        var text = Substring(self)
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return String(text)
    }
}
