import Foundation

/// Loads whole files for the readers, memory-mapped so large inputs are not copied, and turns
/// failures into errors that name the file.
enum FileContents {
    static func load(_ path: String) throws -> Data {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw EncoreError.io(path: path, reason: "no such file")
        }
        guard !isDirectory.boolValue else { throw EncoreError.io(path: path, reason: "is a directory, not a file") }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw EncoreError.io(path: path, reason: "cannot be read (\(error.localizedDescription))")
        }
    }
}
