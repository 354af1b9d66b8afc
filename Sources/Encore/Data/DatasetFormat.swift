import Foundation

/// The public music (and movie) data sets Encore reads by name, plus plain delimited text.
public enum DatasetFormat: String, CaseIterable, Sendable {
    /// Any delimited text; layout from `DelimitedReadOptions`.
    case delimited
    /// HetRec 2011 Last.fm 2K `user_artists.dat`; artist names from `artists.dat` beside it.
    case lastfm2k = "lastfm-2k"
    /// Last.fm 360K `usersha1-artmbid-artname-plays.tsv`; the artist name is the item.
    case lastfm360k = "lastfm-360k"
    /// Last.fm 1K `userid-timestamp-artid-artname-traid-traname.tsv`; one row per play, counted
    /// per user and artist (the artist name is the item), timestamps kept.
    case lastfm1k = "lastfm-1k"
    /// Echo Nest Taste Profile `train_triplets.txt` (user, song, play count).
    case echoNest = "echonest"
    /// MovieLens `ratings.csv` (with titles from `movies.csv` beside it).
    case movielensCSV = "movielens-csv"
    /// MovieLens `ratings.dat` ("::"-separated; titles from `movies.dat` beside it).
    case movielensDat = "movielens-dat"

    /// The preset whose well-known file name matches `path`, or `.delimited`.
    package static func detect(path: String) -> DatasetFormat {
        switch (path as NSString).lastPathComponent {
        case "user_artists.dat": return .lastfm2k
        case "usersha1-artmbid-artname-plays.tsv": return .lastfm360k
        case "userid-timestamp-artid-artname-traid-traname.tsv": return .lastfm1k
        case "train_triplets.txt": return .echoNest
        case "ratings.csv": return .movielensCSV
        case "ratings.dat": return .movielensDat
        default: return .delimited
        }
    }

    /// The file layout of this preset; for `.delimited`, `custom` is used as given. Headers are
    /// always detected rather than assumed: copies of these files circulate with and without
    /// their header line (the HetRec Last.fm 2K copy in ../shared has none, though its README
    /// says it does), and a wrong guess would silently drop or misread a row.
    package func readOptions(custom: DelimitedReadOptions) -> DelimitedReadOptions {
        var options = DelimitedReadOptions()
        options.skipInvalid = custom.skipInvalid
        options.keepIDWhitespace = custom.keepIDWhitespace
        switch self {
        case .delimited:
            return custom
        case .lastfm2k:
            options.delimiter = .exactly("\t")
        case .lastfm360k:
            options.delimiter = .exactly("\t")
            options.itemColumn = .index(2)
            options.weightColumn = .index(3)
        case .lastfm1k:
            options.delimiter = .exactly("\t")
            options.itemColumn = .index(3)
            options.weightColumn = nil
            options.timestampColumn = .index(1)
        case .echoNest:
            options.delimiter = .exactly("\t")
        case .movielensCSV:
            options.delimiter = .exactly(",")
            options.timestampColumn = .index(3)
        case .movielensDat:
            options.delimiter = .exactly("::")
            options.timestampColumn = .index(3)
        }
        return options
    }

    /// Where item display names live for this preset, relative to the ratings file, and how to
    /// read them: (file name, ID column, name column, delimiter, has header).
    var namesFile: (name: String, key: Int, value: Int, delimiter: String, header: Bool)? {
        switch self {
        case .lastfm2k: return ("artists.dat", 0, 1, "\t", true)
        case .movielensCSV: return ("movies.csv", 0, 1, ",", true)
        case .movielensDat: return ("movies.dat", 0, 1, "::", false)
        default: return nil
        }
    }
}

/// Reads a data set file in a given format, attaching item names where the format has them.
package enum DatasetLoader {
    /// Reads `path` as `format` (`nil` = detect from the file name). Names come from the
    /// preset's companion file when it exists beside `path`; a missing one is not an error.
    package static func load(
        path: String, format: DatasetFormat?, options: DelimitedReadOptions = DelimitedReadOptions(),
        progress: ((IngestProgress) -> Void)? = nil
    ) throws -> (Interactions, ReadReport) {
        let format = format ?? DatasetFormat.detect(path: path)
        var (interactions, report) = try DelimitedReader.read(path: path, options: format.readOptions(custom: options), progress: progress)
        interactions.itemNames = try itemNames(path: path, format: format, itemIDs: interactions.itemIDs.ids, keepIDWhitespace: options.keepIDWhitespace)
        return (interactions, report)
    }

    /// The display names of `itemIDs` for a ratings file at `path` in `format`: from the
    /// preset's companion file beside it, or the IDs themselves where the item is an artist name;
    /// nil when the format has no names or the companion file is missing. Its IDs and names are
    /// trimmed as the ratings' IDs were, so that they still match.
    package static func itemNames(path: String, format: DatasetFormat, itemIDs: [String], keepIDWhitespace: Bool = false) throws -> [String]? {
        if let names = format.namesFile, let namesPath = namesPath(forRatingsAt: path, format: format) {
            guard FileManager.default.fileExists(atPath: namesPath) else { return nil }
            let lookup = try DelimitedReader.readLookup(path: namesPath, keyColumn: names.key, valueColumn: names.value, delimiter: names.delimiter,
                                                        hasHeader: names.header, trimWhitespace: !keepIDWhitespace)
            return itemIDs.map { lookup[$0] ?? "" }
        }
        return format == .lastfm360k || format == .lastfm1k ? itemIDs : nil
    }

    /// Where a ratings file at `path` in `format` takes its item names from (the file may not
    /// exist), or nil when the format has no companion names file. Reading it makes it an input
    /// of the command too, one no output may be written over.
    package static func namesPath(forRatingsAt path: String, format: DatasetFormat) -> String? {
        guard let names = format.namesFile else { return nil }
        let directory = (path as NSString).deletingLastPathComponent
        return directory.isEmpty ? names.name : (directory as NSString).appendingPathComponent(names.name)
    }
}
