import Encore
import EncoreCLI
import Foundation

/// `--item-tags FILE` of `train` and `evaluate`: the items' tags, read and reported as the plays are.
struct ItemTagsOption {
    var path: String?

    static let help = """
      --item-tags FILE       the items' tags: (item, tag[, weight]) delimited text, or Last.fm 2K's
                             user_taggedartists.dat (tag names from tags.dat beside it). Stored in
                             the model; artists tagged but never played are placed from their tags
    """

    init(_ arguments: CommandLineArguments) throws {
        path = try arguments.value("--item-tags")
    }

    /// The tag file and, for the Last.fm 2K preset, tags.dat: inputs no output may overwrite.
    var inputs: [(role: String, path: String)] {
        guard let path else { return [] }
        let preset = (path as NSString).lastPathComponent == ItemTagsReader.lastfm2kFileName
        return [("item tags file", path)] + (preset ? [("tag names file", ItemTagsReader.tagsPath(besideTagFile: path))] : [])
    }

    /// The tags, with skipped rows and trimmed IDs reported as the plays' are; nil without the flag.
    func load() throws -> TagAssignments? {
        guard let path else { return nil }
        let (tags, report) = try ItemTagsReader.read(path: path)
        DataOptions.printNotes(report, path: path)
        return tags
    }

    /// `model` with the tags attached and unplayed tagged items placed, names for those from
    /// the plays' names file; the model as it is without the flag.
    func attach(to model: TrainedModel, tags: TagAssignments?, playsPath: String, data: DataOptions, quiet: Bool) throws -> TrainedModel {
        guard let tags, let path else { return model }
        let format = data.format ?? DatasetFormat.detect(path: playsPath)
        let (tagged, report) = try model.addingTags(tags) { ids in
            try DatasetLoader.itemNames(path: playsPath, format: format, itemIDs: ids, keepIDWhitespace: data.read.keepIDWhitespace)
        }
        if !quiet {
            Console.err("tags of \(path): \(tags.tagNames.count) tags on \(report.taggedItems) played items; \(report.placedItems) unplayed items placed from their tags"
                + (report.unplaceableItems > 0 ? ", \(report.unplaceableItems) left out (no tag used on two played items)" : ""))
        }
        return tagged
    }
}
