// Times what a program built on the library pays for listeners' recommendations asked one after
// another from one loaded model: the first question, the second, and the mean of the rest.
//
//   library-questions MODEL USERS_FILE QUESTIONS [EXCLUDED_ITEM]
//
// USERS_FILE holds one user ID a line (the first QUESTIONS are asked); with EXCLUDED_ITEM every
// question also passes `excluding: [EXCLUDED_ITEM]`.
import Encore
import Foundation

let arguments = CommandLine.arguments
guard arguments.count >= 4, let questions = Int(arguments[3]), questions >= 3 else {
    FileHandle.standardError.write("usage: library-questions MODEL USERS_FILE QUESTIONS(≥ 3) [EXCLUDED_ITEM]\n".data(using: .utf8)!)
    exit(2)
}
let model = try EncoreModel.load(from: URL(fileURLWithPath: arguments[1]))
let users = try String(contentsOfFile: arguments[2], encoding: .utf8).split(separator: "\n").prefix(questions).map(String.init)
let excluding = arguments.count > 4 ? [arguments[4]] : []

func seconds(_ work: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try work()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

let first = try seconds { _ = try model.recommendations(for: users[0], excluding: excluding) }
let second = try seconds { _ = try model.recommendations(for: users[1], excluding: excluding) }
let rest = try seconds { for user in users.dropFirst(2) { _ = try model.recommendations(for: user, excluding: excluding) } }
print(String(format: "first %.3f ms, second %.3f ms, then %.4f ms a question (mean of %d)",
             first * 1e3, second * 1e3, rest * 1e3 / Double(users.count - 2), users.count - 2))
