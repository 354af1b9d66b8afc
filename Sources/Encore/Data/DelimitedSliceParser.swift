/// One piece of delimited text being parsed into rows: the scanner over its records, the rows kept
/// so far, the IDs waiting to be interned and the report. A record goes through three steps —
/// `checkedRow` finds its fields and parses user, item, weight and timestamp; `keep` stores the
/// row; `refuse` skips or throws one that fails a check, naming file and line — and
/// `DelimitedReader` runs one parser per slice of a file (`parse`).
struct DelimitedSliceParser {
    /// Where a row's fields are, fixed for the slice by the resolved layout.
    private struct Columns {
        let user: Int
        let item: Int
        let weight: Int?
        let timestamp: Int?
        /// How many fields a row needs to hold every column above.
        let needed: Int

        init(_ layout: DelimitedReadOptions) {
            func position(_ selector: ColumnSelector?) -> Int? {
                if case let .index(position)? = selector { return position }
                return nil
            }
            guard let user = position(layout.userColumn), let item = position(layout.itemColumn) else {
                preconditionFailure("a resolved layout names its columns by position")
            }
            self.user = user
            self.item = item
            weight = position(layout.weightColumn)
            timestamp = position(layout.timestampColumn)
            needed = [user, item, weight ?? 0, timestamp ?? 0].max()! + 1
        }
    }

    /// A record whose fields passed every check, not yet kept.
    private struct Row {
        let user: UnsafeBufferPointer<UInt8>
        let item: UnsafeBufferPointer<UInt8>
        /// Whether whitespace was trimmed from around the user or item ID (for the report).
        let userTrimmed: Bool
        let itemTrimmed: Bool
        let weight: Float
        let timestamp: Int64?
    }

    /// Why a record was refused, as the message says it.
    private struct Rejection: Error {
        let reason: String
    }

    private let fileName: String
    private let delimiter: [UInt8]
    private let columns: Columns
    private let roles: ColumnRoles
    private let trimIDs: Bool
    private let skipInvalid: Bool
    private let hasHeader: Bool
    private let byteCount: Int
    private let progress: ((Double) -> Void)?
    private var nextProgress: Int
    private var scanner: RecordScanner
    private var report = ReadReport()
    private var users: [UInt32] = []
    private var items: [UInt32] = []
    private var weights: [Float] = []
    private var timestamps: [Int64] = []
    private var userIDs = ByteInterner()
    private var itemIDs = ByteInterner()
    private var pending: PendingIDs
    /// Where the IDs lie, when the caller numbers them (`deferringIDs`); nil when this parser does.
    private var spans: (users: IDSpans, items: IDSpans)?

    /// The rows of `bytes`, with IDs numbered within it. `layout` is resolved
    /// (`DelimitedReader.resolvedLayout`); `firstLine` is the file line the text starts on.
    /// With `deferringIDs` the IDs are not numbered here: the slice holds where each row's IDs lie
    /// in `bytes` (`ParsedSlice.spans`), for a caller that numbers every slice's IDs in one table
    /// and keeps `bytes` until then. The text must then have no quoted fields (which may be
    /// rebuilt outside it). `reusing`, a slice parsed before and no longer needed, lends its
    /// arrays, emptied, so that a read in windows fills the same memory window after window.
    static func parse(
        _ bytes: UnsafeBufferPointer<UInt8>, fileName: String, layout: DelimitedReadOptions, firstLine: Int, deferringIDs: Bool = false,
        reusing old: consuming ParsedSlice? = nil, progress: ((Double) -> Void)?
    ) throws -> ParsedSlice {
        guard let base = bytes.baseAddress, bytes.count > 0 else { throw EncoreError.emptyInput(file: fileName) }
        var parser = DelimitedSliceParser(base: base, count: bytes.count, fileName: fileName, layout: layout, firstLine: firstLine, progress: progress)
        if old != nil { parser.takeArrays(of: old.take()!, spansOn: deferringIDs ? base : nil) }
        if deferringIDs && parser.spans == nil { parser.spans = (IDSpans(base: base), IDSpans(base: base)) }
        defer { parser.scanner.release() }
        return try parser.run()
    }

    /// Makes `old`'s arrays, emptied, this parser's, and with `spansOn` its spans too, restarted
    /// on the text there. Moved and swapped, never copied: an array with a second owner would be
    /// emptied into a new allocation (a test checks the memory is the same).
    private mutating func takeArrays(of old: consuming ParsedSlice, spansOn base: UnsafePointer<UInt8>?) {
        swap(&users, &old.users)
        swap(&items, &old.items)
        swap(&weights, &old.weights)
        if var stamps = old.timestamps.take() { swap(&timestamps, &stamps) }
        users.removeAll(keepingCapacity: true)
        items.removeAll(keepingCapacity: true)
        weights.removeAll(keepingCapacity: true)
        timestamps.removeAll(keepingCapacity: true)
        if let base, var spans = old.spans.take() {
            spans.users.restart(base: base)
            spans.items.restart(base: base)
            self.spans = spans
        }
    }

    private init(
        base: UnsafePointer<UInt8>, count: Int, fileName: String, layout: DelimitedReadOptions, firstLine: Int, progress: ((Double) -> Void)?
    ) {
        guard case let .exactly(separator) = layout.delimiter else { preconditionFailure("a resolved layout names its delimiter exactly") }
        self.fileName = fileName
        delimiter = Array(separator.utf8)
        columns = Columns(layout)
        roles = layout.roles
        trimIDs = !layout.keepIDWhitespace
        skipInvalid = layout.skipInvalid
        hasHeader = layout.header == .present
        byteCount = count
        self.progress = progress
        nextProgress = count / 100
        scanner = RecordScanner(base: base, count: count, delimiter: delimiter, fileName: fileName, firstLine: firstLine)
        pending = PendingIDs(placeholder: base)
        report.hadHeader = hasHeader
    }

    /// Takes every record after the header, in order.
    private mutating func run() throws -> ParsedSlice {
        guard try scanner.next() else { throw EncoreError.emptyInput(file: fileName) }
        let estimate = byteCount / 24
        if spans == nil {
            users.reserveCapacity(estimate)
            items.reserveCapacity(estimate)
        } else {
            spans!.users.reserveCapacity(estimate)
            spans!.items.reserveCapacity(estimate)
        }
        weights.reserveCapacity(estimate)
        if columns.timestamp != nil { timestamps.reserveCapacity(estimate) }
        var more = hasHeader ? try scanner.next() : true
        while more {
            reportProgress()
            try takeRecord()
            more = try scanner.next()
        }
        pending.intern(users: &users, userIDs: &userIDs, items: &items, itemIDs: &itemIDs)
        progress?(1)
        return ParsedSlice(
            users: users, items: items, weights: weights, timestamps: columns.timestamp == nil ? nil : timestamps,
            userIDs: userIDs, itemIDs: itemIDs, spans: spans, report: report
        )
    }

    /// Tells `progress` the fraction of bytes read, about every 1%.
    @inline(__always) private mutating func reportProgress() {
        guard let progress, scanner.position >= nextProgress else { return }
        progress(Double(scanner.position) / Double(byteCount))
        nextProgress = scanner.position + byteCount / 100
    }

    /// Keeps the current record, or refuses it.
    @inline(__always) private mutating func takeRecord() throws {
        let row: Row
        do {
            row = try checkedRow()
        } catch {
            return try refuse(error.reason)
        }
        keep(row)
    }

    /// The current record's fields, each checked, in the order a single pass has always checked
    /// them (the first problem is the one reported).
    @inline(__always) private func checkedRow() throws(Rejection) -> Row {
        guard scanner.fieldCount >= columns.needed else { throw Rejection(reason: missingFieldReason()) }
        let (user, userTrimmed) = idField(columns.user)
        let (item, itemTrimmed) = idField(columns.item)
        guard user.count > 0 else { throw Rejection(reason: "the \(roles.user) ID field is empty in '\(rowText())'") }
        guard item.count > 0 else { throw Rejection(reason: "the \(roles.item) ID field is empty in '\(rowText())'") }
        let weight = try weight()
        let timestamp = try timestamp()
        return Row(user: user, item: item, userTrimmed: userTrimmed, itemTrimmed: itemTrimmed, weight: weight, timestamp: timestamp)
    }

    /// An ID field, without the whitespace around it unless IDs keep theirs.
    @inline(__always) private func idField(_ column: Int) -> (field: UnsafeBufferPointer<UInt8>, trimmed: Bool) {
        let field = scanner.field(column)
        // One look at each end: almost no ID has whitespace, and those skip the loop.
        guard trimIDs && DelimitedReader.hasSurroundingWhitespace(field) else { return (field, false) }
        return (DelimitedReader.trimmed(field), true)
    }

    /// The weight field's value; 1 when the layout has no weight column.
    @inline(__always) private func weight() throws(Rejection) -> Float {
        guard let column = columns.weight else { return 1 }
        switch FieldParsing.weight(scanner.field(column)) {
        case let .success(value): return value
        case let .failure(problem): throw Rejection(reason: FieldParsing.describe(problem, text: scanner.string(column)))
        }
    }

    /// The timestamp field's value, in Unix seconds; nil when the layout has no timestamp column.
    @inline(__always) private func timestamp() throws(Rejection) -> Int64? {
        guard let column = columns.timestamp else { return nil }
        guard let stamp = FieldParsing.timestamp(scanner.field(column)) else {
            throw Rejection(reason: "timestamp '\(scanner.string(column))' is neither Unix seconds nor ISO 8601")
        }
        return stamp
    }

    /// Stores a checked row. Its IDs join the pending batch while their bytes stay put; a field
    /// rebuilt in the scanner's scratch space (quoted, with doubled quotes or line breaks) is
    /// interned at once, after the batch before it, to keep the order of first appearance.
    @inline(__always) private mutating func keep(_ row: Row) {
        if let stamp = row.timestamp { timestamps.append(stamp) }
        if row.userTrimmed { noteTrimmed(columns.user) }
        if row.itemTrimmed { noteTrimmed(columns.item) }
        weights.append(row.weight)
        report.rowsRead += 1
        if spans != nil {
            precondition(scanner.fieldOutlivesRecord(columns.user) && scanner.fieldOutlivesRecord(columns.item), "deferred IDs must lie in the text")
            spans!.users.append(row.user)
            spans!.items.append(row.item)
            return
        }
        guard scanner.fieldOutlivesRecord(columns.user) && scanner.fieldOutlivesRecord(columns.item) else {
            pending.intern(users: &users, userIDs: &userIDs, items: &items, itemIDs: &itemIDs)
            users.append(UInt32(userIDs.intern(row.user.baseAddress!, row.user.count)))
            items.append(UInt32(itemIDs.intern(row.item.baseAddress!, row.item.count)))
            return
        }
        pending.add(user: row.user, item: row.item)
        users.append(0)
        items.append(0)
        if pending.isFull { pending.intern(users: &users, userIDs: &userIDs, items: &items, itemIDs: &itemIDs) }
    }

    /// Skips the current record for `reason` when invalid rows are skipped (counted, the first
    /// few kept as "FILE:LINE: reason"); otherwise throws `invalidRow` naming file and line.
    private mutating func refuse(_ reason: String) throws {
        guard skipInvalid else { throw EncoreError.invalidRow(file: fileName, line: scanner.recordLine, reason: reason) }
        report.rowsSkipped += 1
        if report.skipExamples.count < DelimitedReader.skipExampleLimit {
            report.skipExamples.append("\(fileName):\(scanner.recordLine): \(reason)")
        }
    }

    /// Notes an accepted row's ID that had whitespace around it, as written, for the report.
    private mutating func noteTrimmed(_ column: Int) {
        report.idsTrimmed += 1
        if report.trimExamples.count < DelimitedReader.skipExampleLimit {
            report.trimExamples.append("\(fileName):\(scanner.recordLine): '\(DelimitedReader.escaped(scanner.string(column)))'")
        }
    }

    private func missingFieldReason() -> String {
        let shown = String(decoding: delimiter, as: UTF8.self).replacingOccurrences(of: "\t", with: "\\t")
        return "missing field in '\(rowText())': expected at least \(columns.needed) fields separated by '\(shown)', found \(scanner.fieldCount)"
    }

    /// The current record as it reads in the file (fields rejoined, tabs and line breaks
    /// escaped, long rows cut), so an error shows the offending text.
    private func rowText() -> String {
        let joined = (0..<scanner.fieldCount).map { scanner.string($0) }.joined(separator: String(decoding: delimiter, as: UTF8.self))
        var shown = DelimitedReader.escaped(joined)
        if shown.count > 80 { shown = String(shown.prefix(77)) + "..." }
        return shown
    }
}

/// The IDs of rows kept but not yet numbered: interned a batch at a time
/// (`ByteInterner.intern(batch:)`), their numbers written into the rows when the batch is full,
/// before an ID that must be interned at once, and when the slice ends.
private struct PendingIDs {
    private(set) var count = 0
    private var users: [UnsafePointer<UInt8>]
    private var userLengths: [Int]
    private var items: [UnsafePointer<UInt8>]
    private var itemLengths: [Int]

    /// An empty batch; `placeholder` fills the unused pointer slots.
    init(placeholder: UnsafePointer<UInt8>) {
        users = [UnsafePointer<UInt8>](repeating: placeholder, count: ByteInterner.batchSize)
        items = users
        userLengths = [Int](repeating: 0, count: ByteInterner.batchSize)
        itemLengths = userLengths
    }

    var isFull: Bool { count == ByteInterner.batchSize }

    /// Adds one row's IDs, whose bytes must outlive the batch.
    @inline(__always) mutating func add(user: UnsafeBufferPointer<UInt8>, item: UnsafeBufferPointer<UInt8>) {
        users[count] = user.baseAddress!
        userLengths[count] = user.count
        items[count] = item.baseAddress!
        itemLengths[count] = item.count
        count += 1
    }

    /// Interns the batch and writes its numbers into the last `count` entries of `userNumbers`
    /// and `itemNumbers`; the batch is empty afterwards.
    mutating func intern(users userNumbers: inout [UInt32], userIDs: inout ByteInterner, items itemNumbers: inout [UInt32], itemIDs: inout ByteInterner) {
        guard count > 0 else { return }
        let first = userNumbers.count - count
        userNumbers.withUnsafeMutableBufferPointer { numbers in
            userIDs.intern(batch: users, lengths: userLengths, count: count, into: numbers.baseAddress! + first)
        }
        itemNumbers.withUnsafeMutableBufferPointer { numbers in
            itemIDs.intern(batch: items, lengths: itemLengths, count: count, into: numbers.baseAddress! + first)
        }
        count = 0
    }
}
