/// The row-level faults, on any page of rows: which rows to drop or corrupt.
enum RowEdits {
    /// Drops two rows from the middle of the data rows (never the first or last data
    /// row, so it cannot look like the start of history). Pages with fewer than five
    /// data rows are left alone.
    static func dropMiddle<Row>(_ rows: [Row], isData: (Row) -> Bool) -> [Row] {
        let data = rows.indices.filter { isData(rows[$0]) }
        guard data.count >= 5 else { return rows }
        let middle = data[data.count / 2]
        let dropped: Set<Int> = [middle, data[data.count / 2 + 1]]
        return rows.indices.filter { !dropped.contains($0) }.map { rows[$0] }
    }

    /// Replaces the middle data row with `corrupt(row)`.
    static func corruptMiddle<Row>(_ rows: [Row], isData: (Row) -> Bool, corrupt: (Row) -> Row) -> [Row] {
        let data = rows.indices.filter { isData(rows[$0]) }
        guard !data.isEmpty else { return rows }
        var copy = rows
        let index = data[data.count / 2]
        copy[index] = corrupt(copy[index])
        return copy
    }
}
