/// Alpha Vantage `datatype=csv`: `timestamp,open,high,low,close,volume` (current) or
/// `timestamp,open (INR),...,close (USD),volume,market cap (USD)` (legacy), newest first.
enum AlphaVantageCSV {
    static func read(_ text: String, quote: String, source: String, into table: inout CandleRows) throws(SourceError) {
        let lines = CSV.lines(text)
        guard let header = lines.first.map(CSV.cells), header.first?.lowercased() == "timestamp" else {
            throw SourceError(.malformedResponse, source: source, status: 200, message: "CSV without a timestamp header")
        }
        let names = header.map { $0.lowercased() }
        func column(_ field: String) -> Int? {
            names.firstIndex(of: field) ?? names.firstIndex(of: "\(field) (\(quote.lowercased()))")
        }
        guard let open = column("open"), let high = column("high"), let low = column("low"),
              let close = column("close"), let volume = names.firstIndex(of: "volume") else {
            throw SourceError(.malformedResponse, source: source, status: 200, message: "CSV header lacks \(quote) OHLCV columns: \(header.joined(separator: ","))")
        }
        for line in lines.dropFirst() {
            let cells = CSV.cells(line)
            let raw = String(line)
            do throws(RowProblem) {
                guard cells.count == header.count else { throw RowProblem(.unexpectedShape, "\(cells.count) cells, header has \(header.count)") }
                let day = try Field.day(cells[0], "timestamp")
                table.accept(CandleDraft(
                    openTime: day.startMillis, open: try Field.number(text: cells[open], "open"), high: try Field.number(text: cells[high], "high"),
                    low: try Field.number(text: cells[low], "low"), close: try Field.number(text: cells[close], "close"),
                    volume: try Field.number(text: cells[volume], "volume"), raw: raw))
            } catch {
                table.reject(error, raw: raw, day: cells.first.flatMap { UTCDay(iso: $0) })
            }
        }
    }
}
