import Foundation

/// Tags read from a file, keyed by the file's own item IDs: which tags each item has and how
/// strongly (how many listeners gave it, or the file's weight).
package struct TagAssignments: Sendable {
    /// The tagged items' IDs, in order of first appearance.
    package let itemIDs: IDIndex
    /// The tags' names (a preset's tag IDs already resolved), in order of first appearance.
    package let tagNames: [String]
    /// Items × tags, weights summed over repeated (item, tag) rows.
    package let matrix: SparseMatrix
}

/// Reads (item, tag[, weight]) files with the play readers' machinery and error rules, and
/// HetRec's `user_taggedartists.dat`, whose tag IDs it resolves to names from `tags.dat` beside it.
package enum ItemTagsReader {
    /// The file name the HetRec Last.fm 2K preset is chosen by.
    package static let lastfm2kFileName = "user_taggedartists.dat"

    /// Reads the tag file at `path`: the Last.fm 2K preset when the name is `user_taggedartists.dat`,
    /// else delimited (item, tag[, weight]) text.
    package static func read(path: String) throws -> (TagAssignments, ReadReport) {
        let preset = (path as NSString).lastPathComponent == lastfm2kFileName
        let data = try FileContents.load(path)
        let options = try data.withUnsafeBytes { raw in
            try layout(of: raw.bindMemory(to: UInt8.self), fileName: path, preset: preset)
        }
        let (rows, report) = try DelimitedReader.read(path: path, options: options)
        var names = rows.itemIDs.ids
        if preset { names = try resolveTagIDs(names, tagsPath: tagsPath(besideTagFile: path)) }
        return (try assignments(rows, tagNames: names), report)
    }

    /// The Last.fm 2K preset's tags without those a listener gave an artist they play in
    /// `plays` (same tag numbering as `read`): a listener's own tags say who listens as much
    /// as what the artist is, which a new artist's tags would not. Only the preset, whose rows
    /// name the tagger, can be read this way.
    package static func readLeavingOutListenersTags(path: String, plays: Interactions) throws -> TagAssignments {
        guard (path as NSString).lastPathComponent == lastfm2kFileName else {
            throw EncoreError.invalidArgument("\(path): only \(lastfm2kFileName) names who gave each tag")
        }
        let data = try FileContents.load(path)
        var options = try data.withUnsafeBytes { raw in try layout(of: raw.bindMemory(to: UInt8.self), fileName: path, preset: true) }
        let (rows, _) = try DelimitedReader.read(path: path, options: options)
        options.userColumn = .index(0)
        options.itemColumn = .index(1)
        options.roles = ColumnRoles(user: "user", item: "item")
        let (taggers, _) = try DelimitedReader.read(path: path, options: options)
        // Both reads keep every row in file order, so row p of one is row p of the other.
        guard taggers.count == rows.count else { throw EncoreError.invalidArgument("\(path) read differently twice") }
        var played = Set<String>()
        for p in plays.users.indices where plays.weights[p] > 0 {
            played.insert(plays.userIDs.id(at: Int(plays.users[p])) + "\t" + plays.itemIDs.id(at: Int(plays.items[p])))
        }
        let kept = rows.users.indices.filter {
            !played.contains(taggers.userIDs.id(at: Int(taggers.users[$0])) + "\t" + taggers.itemIDs.id(at: Int(taggers.items[$0])))
        }
        let names = try resolveTagIDs(rows.itemIDs.ids, tagsPath: tagsPath(besideTagFile: path))
        return try assignments(rows.subset(kept), tagNames: names)
    }

    /// Where the preset reads tag names: `tags.dat` beside the tag file.
    package static func tagsPath(besideTagFile path: String) -> String {
        let directory = (path as NSString).deletingLastPathComponent
        return directory.isEmpty ? "tags.dat" : (directory as NSString).appendingPathComponent("tags.dat")
    }

    /// The read layout: item then tag, weight when the first record has a third field. The
    /// preset's columns are (user, artist, tag, day, month, year) and every row counts once;
    /// its header is detected from whether the artist cell is a number, as copies with and
    /// without the header circulate.
    private static func layout(of bytes: UnsafeBufferPointer<UInt8>, fileName: String, preset: Bool) throws -> DelimitedReadOptions {
        guard let base = bytes.baseAddress, bytes.count > 0 else { throw EncoreError.emptyInput(file: fileName) }
        var options = DelimitedReadOptions()
        options.roles = ColumnRoles(user: "item", item: "tag")
        let delimiter = preset ? Array("\t".utf8) : RecordScanner.detectDelimiter(base: base, count: bytes.count)
        options.delimiter = .exactly(String(decoding: delimiter, as: UTF8.self))
        var scanner = RecordScanner(base: base, count: bytes.count, delimiter: delimiter, fileName: fileName)
        defer { scanner.release() }
        guard try scanner.next() else { throw EncoreError.emptyInput(file: fileName) }
        if preset {
            options.userColumn = .index(1)
            options.itemColumn = .index(2)
            options.weightColumn = nil
            options.header = scanner.fieldCount > 1 && FieldParsing.isNumber(scanner.field(1)) ? .absent : .present
        } else {
            options.userColumn = .index(0)
            options.itemColumn = .index(1)
            // Two columns: every row counts once and there is no header (nothing tells one apart).
            options.weightColumn = scanner.fieldCount >= 3 ? .index(2) : nil
            options.header = scanner.fieldCount >= 3 ? .auto : .absent
        }
        return options
    }

    /// Tag IDs replaced by their names from `tagsPath` (tab-separated `tagID tagValue`, header
    /// detected); an ID the file does not name is an error naming both files.
    private static func resolveTagIDs(_ ids: [String], tagsPath: String) throws -> [String] {
        guard FileManager.default.fileExists(atPath: tagsPath) else {
            throw EncoreError.io(path: tagsPath, reason: "no such file (the tag names of \(lastfm2kFileName) are read from tags.dat beside it)")
        }
        let lookup = try DelimitedReader.readLookup(path: tagsPath, keyColumn: 0, valueColumn: 1, delimiter: "\t", hasHeader: false, trimWhitespace: true)
        return try ids.map { id in
            guard let name = lookup[id], !name.isEmpty else {
                throw EncoreError.invalidArgument("\(tagsPath) has no name for tag ID '\(id)', which \(lastfm2kFileName) uses")
            }
            return name
        }
    }

    /// The rows as items × tags, tags that share a name (after resolving IDs, or differing only
    /// in case) merged into one, named as first written.
    package static func assignments(_ rows: Interactions, tagNames: [String]) throws -> TagAssignments {
        var numbers: [String: Int] = [:], names: [String] = []
        let tagNumber = tagNames.map { name -> UInt32 in
            let key = name.lowercased()
            if let number = numbers[key] { return UInt32(number) }
            numbers[key] = names.count
            names.append(name)
            return UInt32(names.count - 1)
        }
        let matrix = SparseMatrix(rowCount: rows.userIDs.count, columnCount: names.count, rows: rows.users,
                                  columns: rows.items.map { tagNumber[Int($0)] }, values: rows.weights)
        return TagAssignments(itemIDs: rows.userIDs, tagNames: names, matrix: matrix)
    }

    /// Assignments from (item, tag, weight) triples held in memory.
    package static func assignments(_ triples: [(item: String, tag: String, weight: Float)]) throws -> TagAssignments {
        let rows = try Interactions(triples: triples.map { (user: $0.item, item: $0.tag, weight: $0.weight) })
        return try assignments(rows, tagNames: rows.itemIDs.ids)
    }
}
