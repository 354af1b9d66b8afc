import Foundation

/// Reads (user, item, weight[, timestamp]) rows from delimited text into `Interactions`,
/// interning string IDs of any form and checking every weight.
public enum DelimitedReader {
    /// How many skip messages a report keeps.
    static let skipExampleLimit = 5

    /// Reads the file at `path`. `progress` receives the fraction of bytes read, about every 1%.
    public static func read(
        path: String, options: DelimitedReadOptions, progress: ((Double) -> Void)? = nil
    ) throws -> (Interactions, ReadReport) {
        let data = try FileContents.load(path)
        return try data.withUnsafeBytes { raw in
            try parse(raw.bindMemory(to: UInt8.self), fileName: path, options: options, progress: progress)
        }
    }

    /// Parses text already in memory; `fileName` is used in messages only. `firstLine` is the
    /// file line the text starts on, when it is one slice of a larger file (a distributed read).
    public static func parse(
        _ bytes: UnsafeBufferPointer<UInt8>, fileName: String, options: DelimitedReadOptions,
        firstLine: Int = 1, progress: ((Double) -> Void)? = nil
    ) throws -> (Interactions, ReadReport) {
        var report = ReadReport()
        guard let base = bytes.baseAddress, bytes.count > 0 else { throw EncoreError.emptyInput(file: fileName) }
        let layout = try resolvedLayout(bytes, fileName: fileName, options: options)
        guard case let .exactly(separator) = layout.delimiter,
              case let .index(userColumn) = layout.userColumn, case let .index(itemColumn) = layout.itemColumn
        else { preconditionFailure("a resolved layout names its delimiter and columns exactly") }
        let delimiter = Array(separator.utf8)
        let hasHeader = layout.header == .present
        report.hadHeader = hasHeader
        var scanner = RecordScanner(base: base, count: bytes.count, delimiter: delimiter, fileName: fileName, firstLine: firstLine)
        defer { scanner.release() }
        guard try scanner.next() else { throw EncoreError.emptyInput(file: fileName) }
        func position(_ selector: ColumnSelector?) -> Int? {
            if case let .index(position)? = selector { return position }
            return nil
        }
        let weightColumn = position(layout.weightColumn)
        let timeColumn = position(layout.timestampColumn)
        let needed = [userColumn, itemColumn, weightColumn ?? 0, timeColumn ?? 0].max()! + 1

        var userInterner = ByteInterner(), itemInterner = ByteInterner()
        let estimate = bytes.count / 24
        var users: [UInt32] = [], items: [UInt32] = [], weights: [Float] = []
        users.reserveCapacity(estimate); items.reserveCapacity(estimate); weights.reserveCapacity(estimate)
        var timestamps: [Int64] = []
        if timeColumn != nil { timestamps.reserveCapacity(estimate) }
        var nextProgress = bytes.count / 100

        func refuse(_ reason: String) throws {
            let message = "\(fileName):\(scanner.recordLine): \(reason)"
            guard options.skipInvalid else { throw EncoreError.invalidRow(file: fileName, line: scanner.recordLine, reason: reason) }
            report.rowsSkipped += 1
            if report.skipExamples.count < skipExampleLimit { report.skipExamples.append(message) }
        }

        // The current row as it reads in the file (fields rejoined, tabs and line breaks
        // escaped, long rows cut), so an error shows the offending text.
        func rowText() -> String {
            let joined = (0..<scanner.fieldCount).map { scanner.string($0) }.joined(separator: String(decoding: delimiter, as: UTF8.self))
            var shown = joined.replacingOccurrences(of: "\t", with: "\\t").replacingOccurrences(of: "\r", with: "\\r").replacingOccurrences(of: "\n", with: "\\n")
            if shown.count > 80 { shown = String(shown.prefix(77)) + "..." }
            return shown
        }

        func takeRecord() throws {
            if let progress, scanner.position >= nextProgress {
                progress(Double(scanner.position) / Double(bytes.count))
                nextProgress = scanner.position + bytes.count / 100
            }
            guard scanner.fieldCount >= needed else {
                let shown = String(decoding: delimiter, as: UTF8.self).replacingOccurrences(of: "\t", with: "\\t")
                return try refuse("missing field in '\(rowText())': expected at least \(needed) fields separated by '\(shown)', found \(scanner.fieldCount)")
            }
            let userField = scanner.field(userColumn), itemField = scanner.field(itemColumn)
            guard userField.count > 0 else { return try refuse("the user ID field is empty in '\(rowText())'") }
            guard itemField.count > 0 else { return try refuse("the item ID field is empty in '\(rowText())'") }
            var weight: Float = 1
            if let weightColumn {
                switch FieldParsing.weight(scanner.field(weightColumn)) {
                case let .success(value): weight = value
                case let .failure(problem): return try refuse(FieldParsing.describe(problem, text: scanner.string(weightColumn)))
                }
            }
            if let timeColumn {
                guard let stamp = FieldParsing.timestamp(scanner.field(timeColumn)) else {
                    return try refuse("timestamp '\(scanner.string(timeColumn))' is neither Unix seconds nor ISO 8601")
                }
                timestamps.append(stamp)
            }
            users.append(UInt32(userInterner.intern(userField.baseAddress!, userField.count)))
            items.append(UInt32(itemInterner.intern(itemField.baseAddress!, itemField.count)))
            weights.append(weight)
            report.rowsRead += 1
        }

        var more = hasHeader ? try scanner.next() : true
        while more {
            try takeRecord()
            more = try scanner.next()
        }
        guard report.rowsRead > 0 else { throw EncoreError.emptyInput(file: fileName) }
        progress?(1)
        let interactions = Interactions(
            userIDs: try IDIndex(ids: userInterner.strings()), itemIDs: try IDIndex(ids: itemInterner.strings()),
            users: users, items: items, weights: weights, timestamps: timeColumn == nil ? nil : timestamps
        )
        return (interactions, report)
    }

    /// `options` with everything the text's first line decides made explicit: the delimiter
    /// (`.exactly`), the header (`.present` or `.absent`) and every column as a position. Every
    /// slice of a file can then be parsed alike, as a distributed read does: the first slice
    /// with this header setting, the others with `.absent`.
    public static func resolvedLayout(
        _ bytes: UnsafeBufferPointer<UInt8>, fileName: String, options: DelimitedReadOptions
    ) throws -> DelimitedReadOptions {
        guard let base = bytes.baseAddress, bytes.count > 0 else { throw EncoreError.emptyInput(file: fileName) }
        let delimiter: [UInt8]
        switch options.delimiter {
        case .auto: delimiter = RecordScanner.detectDelimiter(base: base, count: bytes.count)
        case let .exactly(text):
            guard !text.isEmpty else { throw EncoreError.invalidArgument("the delimiter must not be empty") }
            delimiter = Array(text.utf8)
        }
        var scanner = RecordScanner(base: base, count: bytes.count, delimiter: delimiter, fileName: fileName)
        defer { scanner.release() }
        guard try scanner.next() else { throw EncoreError.emptyInput(file: fileName) }

        let hasHeader = try decideHeader(scanner: scanner, options: options, fileName: fileName)
        let header = hasHeader ? (0..<scanner.fieldCount).map { scanner.string($0) } : []
        func resolve(_ selector: ColumnSelector, _ role: String) throws -> Int {
            switch selector {
            case let .index(position): return position
            case let .name(name):
                guard hasHeader else { throw EncoreError.invalidArgument("\(fileName): the \(role) column is named '\(name)' but the file has no header line") }
                guard let position = header.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).caseInsensitiveCompare(name) == .orderedSame }) else {
                    throw EncoreError.invalidArgument("\(fileName): no \(role) column named '\(name)' in the header (it has: \(header.joined(separator: ", ")))")
                }
                return position
            }
        }
        var layout = options
        layout.delimiter = .exactly(String(decoding: delimiter, as: UTF8.self))
        layout.header = hasHeader ? .present : .absent
        layout.userColumn = .index(try resolve(options.userColumn, "user"))
        layout.itemColumn = .index(try resolve(options.itemColumn, "item"))
        layout.weightColumn = try options.weightColumn.map { .index(try resolve($0, "weight")) }
        layout.timestampColumn = try options.timestampColumn.map { .index(try resolve($0, "timestamp")) }
        return layout
    }

    /// Reads a two-column lookup (for example artist ID → name) from a delimited file with a
    /// header line; rows with too few fields are ignored.
    public static func readLookup(path: String, keyColumn: Int, valueColumn: Int, delimiter: String? = nil, hasHeader: Bool = true) throws -> [String: String] {
        let data = try FileContents.load(path)
        return try data.withUnsafeBytes { raw -> [String: String] in
            let bytes = raw.bindMemory(to: UInt8.self)
            guard let base = bytes.baseAddress, bytes.count > 0 else { return [:] }
            let separator = delimiter.map { Array($0.utf8) } ?? RecordScanner.detectDelimiter(base: base, count: bytes.count)
            var scanner = RecordScanner(base: base, count: bytes.count, delimiter: separator, fileName: path)
            defer { scanner.release() }
            var lookup: [String: String] = [:]
            var first = true
            while try scanner.next() {
                defer { first = false }
                if first && hasHeader { continue }
                guard scanner.fieldCount > max(keyColumn, valueColumn) else { continue }
                lookup[scanner.string(keyColumn)] = scanner.string(valueColumn)
            }
            return lookup
        }
    }

    private static func decideHeader(scanner: RecordScanner, options: DelimitedReadOptions, fileName: String) throws -> Bool {
        switch options.header {
        case .present: return true
        case .absent: return false
        case .auto:
            let selectors = [options.userColumn, options.itemColumn] + [options.weightColumn, options.timestampColumn].compactMap { $0 }
            if selectors.contains(where: { if case .name = $0 { return true } else { return false } }) { return true }
            if case let .index(position)? = options.weightColumn, position < scanner.fieldCount {
                return !FieldParsing.isNumber(scanner.field(position))
            }
            if case let .index(position)? = options.timestampColumn, position < scanner.fieldCount {
                return FieldParsing.timestamp(scanner.field(position)) == nil
            }
            return false
        }
    }
}
