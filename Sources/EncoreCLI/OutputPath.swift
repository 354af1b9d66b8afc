import Foundation

/// Keeps a command from writing its output over one of its own inputs: `encore train plays.tsv
/// --output plays.tsv` would otherwise replace the data with a model, and `recommend-all M
/// --output M` the model with text, silently and for good.
package enum OutputPath {
    /// Throws a `UsageError` naming both paths when `output` is the same file as one of
    /// `inputs` (role, path) — however it is spelt: `./x`, `dir/../x`, a symbolic or a hard link.
    /// Files are compared by device and inode, which `stat` reports for the file a link leads
    /// to, rather than by path text. An output that does not exist yet cannot be an input.
    package static func refuseOverwritingInputs(_ output: String, flag: String = "--output", inputs: [(role: String, path: String)]) throws {
        guard let written = identity(of: output) else { return }
        for input in inputs where identity(of: input.path) == written {
            throw UsageError("\(flag) '\(output)' is the same file as the \(input.role) '\(input.path)': nothing was written; choose another output path")
        }
    }

    /// The (device, inode) of the file `path` leads to, or nil when there is none.
    private static func identity(of path: String) -> [UInt64]? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        return [UInt64(status.st_dev), UInt64(status.st_ino)]
    }
}
