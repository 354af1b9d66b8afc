import Foundation

/// Reads (user, item, weight[, timestamp]) rows from delimited text into `Interactions`,
/// interning string IDs of any form and checking every weight.
package enum DelimitedReader {
    /// How many skip messages a report keeps.
    static let skipExampleLimit = 5

    /// Files at least this large are parsed in slices, one per thread.
    static let sliceThreshold = 16 << 20

    /// Reads the file at `path` ("-", a pipe or a device: read as a stream, `StreamedRead`).
    /// `progress` is told how far reading has got after each window.
    /// A large file is read in windows of a few tens of megabytes per thread, cut at line
    /// breaks; each window is cut into one slice per thread, the slices parsed at once and
    /// their rows appended, and the window's pages of the mapped file are let go before the
    /// next: memory follows the rows kept, not the file's size. The result is the same as one
    /// pass over the whole file.
    package static func read(
        path: String, options: DelimitedReadOptions, threads: Int = Parallel.defaultThreadCount,
        progress: ((IngestProgress) -> Void)? = nil
    ) throws -> (Interactions, ReadReport) {
        if StreamedRead.isStream(path) { return try StreamedRead.read(path: path, options: options, threads: threads, progress: progress) }
        let data = try FileContents.load(path)
        return try data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            guard bytes.count >= sliceThreshold else { return try parseInOnePass(bytes, fileName: path, options: options) }
            return try WindowedRead(bytes: bytes, fileName: path, slices: max(1, threads), isMappedFile: true, progress: progress).run(options: options)
        }
    }

    /// Parses `bytes` in up to `slices` pieces cut at line breaks, in parallel, and joins them:
    /// IDs are numbered in order of first appearance and observations kept in file order, exactly
    /// as one pass would. Quoted CSV fields may hold line breaks, so text with a quote character
    /// and a quoting delimiter is parsed in one piece.
    package static func parseInSlices(
        _ bytes: UnsafeBufferPointer<UInt8>, fileName: String, options: DelimitedReadOptions, slices: Int,
        progress: ((Double) -> Void)? = nil
    ) throws -> (Interactions, ReadReport) {
        guard let base = bytes.baseAddress, bytes.count > 0, slices > 1 else {
            return try parseInOnePass(bytes, fileName: fileName, options: options, progress: progress)
        }
        let layout = try resolvedLayout(bytes, fileName: fileName, options: options)
        if case let .exactly(separator) = layout.delimiter, separator == "," || separator == ";",
           memchr(base, Int32(UInt8(ascii: "\"")), bytes.count) != nil {
            return try parseInOnePass(bytes, fileName: fileName, options: layout, progress: progress)
        }
        // The header is the first non-blank line, and only the first slice is parsed with one: it
        // must hold that line even when blank lines before it fill a whole slice (fuzzing found
        // "\n\r,x" read as one data row in slices but as a lone header in one pass).
        let headerEnd = layout.header == .present ? endOfFirstNonBlankLine(bytes) : 0
        var bounds = [0]
        for slice in 1..<slices { bounds.append(max(bounds.last!, headerEnd, lineStart(bytes, atOrAfter: slice * bytes.count / slices))) }
        bounds.append(bytes.count)
        let parts = try parseSlices(bytes, bounds: bounds, fileName: fileName, layout: layout, firstLine: 1, headerInFirst: true, progress: progress).parts
        guard !parts.isEmpty else { throw EncoreError.emptyInput(file: fileName) }
        return try ParsedSlice.join(parts, fileName: fileName)
    }

    /// Parses the slices `bytes[bounds[i]..<bounds[i + 1]]` at once, one per thread, the text
    /// starting at file line `firstLine`; with `headerInFirst` the first slice is parsed with
    /// `layout`'s header setting, every other one as headerless. Returns the slices that hold
    /// rows, in order, and how many line breaks the slices hold; throws the first failure in file
    /// order, as one pass would meet it.
    static func parseSlices(
        _ bytes: UnsafeBufferPointer<UInt8>, bounds: [Int], fileName: String, layout: DelimitedReadOptions, firstLine: Int,
        headerInFirst: Bool, deferringIDs: Bool = false, progress: ((Double) -> Void)?
    ) throws -> (parts: [ParsedSlice], lineBreaks: Int) {
        var nothingToReuse: [ParsedSlice?] = []
        return try parseSlices(bytes, bounds: bounds, fileName: fileName, layout: layout, firstLine: firstLine, headerInFirst: headerInFirst,
                               deferringIDs: deferringIDs, reusing: &nothingToReuse, progress: progress)
    }

    /// The same, slice i lent the arrays of `reusing[i]` (taken: left nil) when there is one.
    static func parseSlices(
        _ bytes: UnsafeBufferPointer<UInt8>, bounds: [Int], fileName: String, layout: DelimitedReadOptions, firstLine: Int,
        headerInFirst: Bool, deferringIDs: Bool, reusing spare: inout [ParsedSlice?], progress: ((Double) -> Void)?
    ) throws -> (parts: [ParsedSlice], lineBreaks: Int) {
        let count = bounds.count - 1
        var lineBreaks = [Int](repeating: 0, count: count)
        var outcomes = [Result<ParsedSlice, Error>?](repeating: nil, count: count)
        lineBreaks.withUnsafeMutableBufferPointer { lineBreaks in
            Parallel.forEachChunk(count: count, chunkSize: 1, threads: count) { chunk, _ in
                for slice in chunk {
                    lineBreaks[slice] = countLineBreaks(UnsafeBufferPointer(rebasing: bytes[bounds[slice]..<bounds[slice + 1]]))
                }
            }
        }
        let firstLines = lineBreaks.reduce(into: [firstLine]) { $0.append($0.last! + $1) }
        outcomes.withUnsafeMutableBufferPointer { outcomes in
        spare.withUnsafeMutableBufferPointer { spare in
            Parallel.forEachChunk(count: count, chunkSize: 1, threads: count) { chunk, _ in
                for slice in chunk {
                    var sliceLayout = layout
                    if slice > 0 || !headerInFirst { sliceLayout.header = .absent }
                    do {
                        // Taken out of `spare`, not copied: see `DelimitedSliceParser.takeArrays`.
                        outcomes[slice] = .success(try parseSlice(
                            UnsafeBufferPointer(rebasing: bytes[bounds[slice]..<bounds[slice + 1]]), fileName: fileName, options: sliceLayout,
                            firstLine: firstLines[slice], deferringIDs: deferringIDs, reusing: slice < spare.count ? spare[slice].take() : nil,
                            progress: slice == 0 ? progress : nil))
                    } catch {
                        outcomes[slice] = .failure(error)
                    }
                }
            }
        } }
        var parts: [ParsedSlice] = []
        for outcome in outcomes {
            switch outcome! {
            case let .success(part): parts.append(part)
            case .failure(EncoreError.emptyInput): continue  // a slice of blank lines
            case let .failure(error): throw error
            }
        }
        return (parts, lineBreaks.reduce(0, +))
    }

    /// Whether a field starts or ends with a space or a tab: a look at its first and last byte.
    @inline(__always) static func hasSurroundingWhitespace(_ field: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = field.first, let last = field.last else { return false }
        return isSpaceOrTab(first) || isSpaceOrTab(last)
    }

    @inline(__always) private static func isSpaceOrTab(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

    /// The field without the spaces and tabs around it (the same memory, narrowed).
    static func trimmed(_ field: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        var start = 0, end = field.count
        while start < end && isSpaceOrTab(field[start]) { start += 1 }
        while end > start && isSpaceOrTab(field[end - 1]) { end -= 1 }
        return UnsafeBufferPointer(rebasing: field[start..<end])
    }

    /// Text with tabs and line breaks shown as \t, \r, \n, for messages.
    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "\t", with: "\\t").replacingOccurrences(of: "\r", with: "\\r").replacingOccurrences(of: "\n", with: "\\n")
    }

    /// The start of the first line at or after `offset` (the end of the text past the last break).
    static func lineStart(_ bytes: UnsafeBufferPointer<UInt8>, atOrAfter offset: Int) -> Int {
        guard offset > 0 else { return 0 }
        guard let found = memchr(bytes.baseAddress! + offset - 1, Int32(UInt8(ascii: "\n")), bytes.count - offset + 1) else { return bytes.count }
        return bytes.baseAddress!.distance(to: found.assumingMemoryBound(to: UInt8.self)) + 1
    }

    /// The start of the line after the first line that is neither empty nor a lone "\r" (what
    /// `RecordScanner` skips as blank when no field is quoted); the end of the text if none.
    static func endOfFirstNonBlankLine(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var start = 0
        while start < bytes.count {
            let end = memchr(bytes.baseAddress! + start, Int32(UInt8(ascii: "\n")), bytes.count - start)
                .map { bytes.baseAddress!.distance(to: $0.assumingMemoryBound(to: UInt8.self)) } ?? bytes.count
            let length = end - start
            if length > 1 || (length == 1 && bytes[start] != UInt8(ascii: "\r")) { return min(end + 1, bytes.count) }
            start = end + 1
        }
        return bytes.count
    }

    /// Number of line feeds in `bytes`, compared sixteen bytes at a time (SSE2, which every
    /// x86-64 has; NEON on arm64): each lane counts its line feeds in a byte for up to 255
    /// blocks. The byte-at-a-time loop this replaced was not vectorised by the compiler and
    /// was ~12% of the samples of reading the reference log.
    package static func countLineBreaks(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        guard let base = bytes.baseAddress else { return 0 }
        let lineFeed = SIMD16<UInt8>(repeating: UInt8(ascii: "\n")), one = SIMD16<UInt8>(repeating: 1), zero = SIMD16<UInt8>()
        var count = 0, position = 0
        while position + 16 <= bytes.count {
            let blocks = min((bytes.count - position) / 16, 255)
            var lanes = SIMD16<UInt8>()
            for block in 0..<blocks {
                let text = UnsafeRawPointer(base + position + 16 * block).loadUnaligned(as: SIMD16<UInt8>.self)
                lanes &+= one.replacing(with: zero, where: text .!= lineFeed)
            }
            count += Int(SIMD16<UInt16>(truncatingIfNeeded: lanes).wrappedSum())
            position += 16 * blocks
        }
        for index in position..<bytes.count where base[index] == UInt8(ascii: "\n") { count += 1 }
        return count
    }

    /// Parses text already in memory in one pass on this thread; `fileName` is used in messages
    /// only. `firstLine` is the file line the text starts on, when it is one slice of a larger
    /// file (a distributed read).
    package static func parseInOnePass(
        _ bytes: UnsafeBufferPointer<UInt8>, fileName: String, options: DelimitedReadOptions,
        firstLine: Int = 1, progress: ((Double) -> Void)? = nil
    ) throws -> (Interactions, ReadReport) {
        try ParsedSlice.join([parseSlice(bytes, fileName: fileName, options: options, firstLine: firstLine, progress: progress)], fileName: fileName)
    }

    /// The rows of one piece of text, with IDs numbered within it.
    static func parseSlice(
        _ bytes: UnsafeBufferPointer<UInt8>, fileName: String, options: DelimitedReadOptions,
        firstLine: Int, deferringIDs: Bool = false, reusing old: consuming ParsedSlice? = nil, progress: ((Double) -> Void)?
    ) throws -> ParsedSlice {
        let layout = try resolvedLayout(bytes, fileName: fileName, options: options)
        return try DelimitedSliceParser.parse(bytes, fileName: fileName, layout: layout, firstLine: firstLine, deferringIDs: deferringIDs,
                                              reusing: old.take(), progress: progress)
    }

    /// `options` with everything the text's first line decides made explicit: the delimiter
    /// (`.exactly`), the header (`.present` or `.absent`) and every column as a position. Every
    /// slice of a file can then be parsed alike, as a distributed read does: the first slice
    /// with this header setting, the others with `.absent`.
    package static func resolvedLayout(
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
        layout.userColumn = .index(try resolve(options.userColumn, options.roles.user))
        layout.itemColumn = .index(try resolve(options.itemColumn, options.roles.item))
        layout.weightColumn = try options.weightColumn.map { .index(try resolve($0, "weight")) }
        layout.timestampColumn = try options.timestampColumn.map { .index(try resolve($0, "timestamp")) }
        return layout
    }

    /// Reads a two-column lookup (for example artist ID → name) from a delimited file with a
    /// header line; rows with too few fields are ignored. With `trimWhitespace`, spaces and tabs
    /// around keys and values are dropped, as the reader drops them around IDs.
    package static func readLookup(
        path: String, keyColumn: Int, valueColumn: Int, delimiter: String? = nil, hasHeader: Bool = true, trimWhitespace: Bool = false
    ) throws -> [String: String] {
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
                if trimWhitespace {
                    lookup[String(decoding: trimmed(scanner.field(keyColumn)), as: UTF8.self)] = String(decoding: trimmed(scanner.field(valueColumn)), as: UTF8.self)
                } else {
                    lookup[scanner.string(keyColumn)] = scanner.string(valueColumn)
                }
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

/// What one slice of a file parses to, before the slices are joined.
struct ParsedSlice {
    var users: [UInt32]
    var items: [UInt32]
    var weights: [Float]
    var timestamps: [Int64]?
    var userIDs: ByteInterner
    var itemIDs: ByteInterner
    /// Where the rows' IDs lie in the text, when the parser left them to be numbered by its
    /// caller (`users`, `items` and the interners are then empty).
    var spans: (users: IDSpans, items: IDSpans)? = nil
    var report: ReadReport

    /// The slices in file order as one `Interactions`: each slice's IDs renumbered into the
    /// first slice's, new ones appended in order of first appearance.
    static func join(_ slices: [ParsedSlice], fileName: String) throws -> (Interactions, ReadReport) {
        var first = slices[0]
        for slice in slices.dropFirst() { first.absorb(slice) }
        return try first.interactions(fileName: fileName)
    }

    /// Appends `slice`'s rows, its IDs renumbered into these (new ones appended in order of
    /// first appearance), and adds up the reports.
    mutating func absorb(_ slice: ParsedSlice) {
        let userNumbers = userIDs.absorb(slice.userIDs), itemNumbers = itemIDs.absorb(slice.itemIDs)
        users.append(contentsOf: slice.users.lazy.map { userNumbers[Int($0)] })
        items.append(contentsOf: slice.items.lazy.map { itemNumbers[Int($0)] })
        weights.append(contentsOf: slice.weights)
        if let stamps = slice.timestamps { timestamps?.append(contentsOf: stamps) }
        report.rowsRead += slice.report.rowsRead
        report.rowsSkipped += slice.report.rowsSkipped
        report.skipExamples = Array((report.skipExamples + slice.report.skipExamples).prefix(DelimitedReader.skipExampleLimit))
        report.idsTrimmed += slice.report.idsTrimmed
        report.trimExamples = Array((report.trimExamples + slice.report.trimExamples).prefix(DelimitedReader.skipExampleLimit))
    }

    /// Room for `rows` rows in all, so that appending windows does not double the arrays.
    /// (The ID numbers are reserved by the caller that numbers them: `WindowedRead`.)
    mutating func reserve(rows: Int) {
        weights.reserveCapacity(rows)
        timestamps?.reserveCapacity(rows)
    }

    /// The rows as `Interactions`, the ID tables handed over as they are.
    consuming func interactions(fileName: String) throws -> (Interactions, ReadReport) {
        guard report.rowsRead > 0 else { throw EncoreError.emptyInput(file: fileName) }
        let interactions = Interactions(
            userIDs: IDIndex(interned: userIDs), itemIDs: IDIndex(interned: itemIDs),
            users: users, items: items, weights: weights, timestamps: timestamps
        )
        return (interactions, report)
    }
}
