/// The plain CSV the APIs send: no quoting, LF or CRLF line endings.
enum CSV {
    /// Non-blank lines without their line endings.
    static func lines(_ text: String) -> [Substring] {
        text.split(omittingEmptySubsequences: true) { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }
            .filter { !$0.allSatisfy(\.isWhitespace) }
    }

    /// Cells of a line, surrounding spaces trimmed.
    static func cells(_ line: Substring) -> [String] {
        line.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingSpaces }
    }
}

extension String {
    var trimmingSpaces: String {
        var text = Substring(self)
        while text.first == " " || text.first == "\t" { text.removeFirst() }
        while text.last == " " || text.last == "\t" { text.removeLast() }
        return String(text)
    }
}
