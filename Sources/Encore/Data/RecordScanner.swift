import Foundation

/// Walks the records of delimited text held in memory, field by field, without allocating per
/// row. Handles CRLF, blank lines and, for comma- or semicolon-separated text, RFC 4180 quoted
/// fields (which may hold delimiters, doubled quotes and line breaks). Tab- and "::"-separated
/// files take quotes literally, because music data sets put raw quotes in artist names.
struct RecordScanner {
    private let base: UnsafePointer<UInt8>
    private let count: Int
    private let delimiter: [UInt8]
    private let quoting: Bool
    private let fileName: String
    private(set) var position = 0
    private var line = 1
    /// 1-based line on which the current record starts.
    private(set) var recordLine = 0
    /// The current record's fields, `fieldCount` of them, in space this scanner owns: a record
    /// costs no array bookkeeping (three appends a field were a fifth of parsing).
    private var fields: UnsafeMutablePointer<FieldBounds>
    private var fieldCapacity = 16
    private(set) var fieldCount = 0
    private var scratch: UnsafeMutablePointer<UInt8>
    private var scratchCapacity = 256
    private var scratchCount = 0

    /// A scanner over `count` bytes at `base`; `firstLine` is the file line the text starts on,
    /// for messages when the text is one slice of a larger file.
    init(base: UnsafePointer<UInt8>, count: Int, delimiter: [UInt8], fileName: String, firstLine: Int = 1) {
        self.base = base
        self.line = firstLine
        self.count = count
        self.delimiter = delimiter
        self.quoting = delimiter == [UInt8(ascii: ",")] || delimiter == [UInt8(ascii: ";")]
        self.fileName = fileName
        scratch = .allocate(capacity: scratchCapacity)
        fields = .allocate(capacity: fieldCapacity)
    }

    /// Frees the scratch space; call once when done.
    func release() {
        scratch.deallocate()
        fields.deallocate()
    }

    /// The bytes of field `i` of the current record.
    @inline(__always) func field(_ i: Int) -> UnsafeBufferPointer<UInt8> {
        precondition(i < fieldCount)
        let bounds = fields[i]
        return UnsafeBufferPointer(start: (bounds.inScratch ? UnsafePointer(scratch) : base) + bounds.start, count: bounds.length)
    }

    /// Whether field `i`'s bytes are the text's own, and so outlive this record; a quoted field
    /// with doubled quotes or line breaks is rebuilt in scratch space the next record reuses.
    @inline(__always) func fieldOutlivesRecord(_ i: Int) -> Bool { !fields[i].inScratch }

    /// Field `i` as a String.
    func string(_ i: Int) -> String { String(decoding: field(i), as: UTF8.self) }

    /// Moves to the next non-blank record; false at the end of the text.
    mutating func next() throws -> Bool {
        while position < count {
            try scanRecord()
            if !(fieldCount == 1 && fields[0].length == 0) { return true }
        }
        return false
    }

    private mutating func scanRecord() throws {
        fieldCount = 0
        scratchCount = 0
        recordLine = line
        let newline = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r"), quote = UInt8(ascii: "\"")
        let first = delimiter[0]
        while true {
            if quoting && position < count && base[position] == quote {
                try scanQuotedField()
            } else {
                let start = position
                position = nextLineBreakOrDelimiter(from: position, first: first)
                while position < count && base[position] != newline && !atDelimiter() {
                    position = nextLineBreakOrDelimiter(from: position + 1, first: first)
                }
                var end = position
                if end > start && base[end - 1] == cr && (position == count || base[position] == newline) { end -= 1 }
                appendField(FieldBounds(start: start, length: end - start, inScratch: false))
            }
            if position >= count { return }
            if base[position] == newline {
                position += 1
                line += 1
                return
            }
            position += delimiter.count
        }
    }

    /// The position of the first line feed or `first` (the delimiter's first byte) at or after
    /// `position`, or the end of the text. Eight bytes are looked at a time: a byte equal to the
    /// one sought is a zero byte of their XOR, and `(x - 0x01…) & ~x & 0x80…` marks the lowest
    /// zero byte of x exactly (marks above it may be false, but they are never the lowest).
    @inline(__always) private func nextLineBreakOrDelimiter(from position: Int, first: UInt8) -> Int {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        let newlines = ones &* 0x0A, delimiters = ones &* UInt64(first)
        var at = position
        while at + 8 <= count {
            let word = UInt64(littleEndian: UnsafeRawPointer(base + at).loadUnaligned(as: UInt64.self))
            let x = word ^ newlines, y = word ^ delimiters
            let marks = ((x &- ones) & ~x | (y &- ones) & ~y) & highs
            if marks != 0 { return at + marks.trailingZeroBitCount / 8 }
            at += 8
        }
        while at < count && base[at] != 0x0A && base[at] != first { at += 1 }
        return at
    }

    @inline(__always) private mutating func appendField(_ bounds: FieldBounds) {
        if fieldCount == fieldCapacity { RecordScanner.double(&fields, capacity: &fieldCapacity, keeping: fieldCount) }
        (fields + fieldCount).initialize(to: bounds)
        fieldCount += 1
    }

    @inline(__always) private func atDelimiter() -> Bool {
        if delimiter.count == 1 { return true }
        guard position + delimiter.count <= count else { return false }
        for (offset, byte) in delimiter.enumerated() where base[position + offset] != byte { return false }
        return true
    }

    private mutating func scanQuotedField() throws {
        let quote = UInt8(ascii: "\""), newline = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")
        let openingLine = line
        position += 1
        let start = scratchCount
        while true {
            guard position < count else {
                throw EncoreError.invalidRow(file: fileName, line: openingLine, reason: "a quoted field is never closed (missing '\"')")
            }
            let byte = base[position]
            if byte == quote {
                if position + 1 < count && base[position + 1] == quote {
                    appendScratch(quote)
                    position += 2
                    continue
                }
                position += 1
                break
            }
            if byte == newline { line += 1 }
            appendScratch(byte)
            position += 1
        }
        if position < count && base[position] == cr && (position + 1 == count || base[position + 1] == newline) { position += 1 }
        if position < count && base[position] != newline && !(base[position] == delimiter[0] && atDelimiter()) {
            throw EncoreError.invalidRow(file: fileName, line: line, reason: "unexpected text after a closing quote")
        }
        appendField(FieldBounds(start: start, length: scratchCount - start, inScratch: true))
    }

    private mutating func appendScratch(_ byte: UInt8) {
        if scratchCount == scratchCapacity { RecordScanner.double(&scratch, capacity: &scratchCapacity, keeping: scratchCount) }
        scratch[scratchCount] = byte
        scratchCount += 1
    }

    /// Moves the first `count` elements of `buffer` into one of twice its capacity (the fields
    /// and the scratch bytes grow the same way).
    private static func double<Element>(_ buffer: inout UnsafeMutablePointer<Element>, capacity: inout Int, keeping count: Int) {
        let bigger = UnsafeMutablePointer<Element>.allocate(capacity: capacity * 2)
        bigger.moveInitialize(from: buffer, count: count)
        buffer.deallocate()
        buffer = bigger
        capacity *= 2
    }

    /// Picks the delimiter from the first line: tab, then "::", then comma, then semicolon.
    static func detectDelimiter(base: UnsafePointer<UInt8>, count: Int) -> [UInt8] {
        var end = 0
        while end < count && base[end] != UInt8(ascii: "\n") { end += 1 }
        let firstLine = UnsafeBufferPointer(start: base, count: end)
        if firstLine.contains(UInt8(ascii: "\t")) { return [UInt8(ascii: "\t")] }
        for index in 0..<max(0, end - 1) where firstLine[index] == UInt8(ascii: ":") && firstLine[index + 1] == UInt8(ascii: ":") {
            return Array("::".utf8)
        }
        if firstLine.contains(UInt8(ascii: ",")) { return [UInt8(ascii: ",")] }
        if firstLine.contains(UInt8(ascii: ";")) { return [UInt8(ascii: ";")] }
        return [UInt8(ascii: "\t")]
    }
}

/// Where one field of a record lies: in the text, or in the scanner's scratch space when it was
/// rebuilt (a quoted field with doubled quotes or line breaks).
private struct FieldBounds {
    let start: Int
    let length: Int
    let inScratch: Bool
}
