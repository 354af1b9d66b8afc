import Encore
import EncoreCLI

/// `--min-listeners N` of `similar` and `radio`: artists with fewer listeners are left out, and
/// a query or seed artist with fewer is warned about, because its vector is learned from too few
/// people for its neighbours to mean much (see `SimilarItems.defaultMinimumListeners`).
struct ListenerOptions {
    /// The smallest number of listeners an artist in the answer has.
    var minimum: Int

    static let help = """
      --min-listeners N  leave out artists with fewer than N listeners (default \(SimilarItems.defaultMinimumListeners); 0 keeps all):
                         an artist's vector is its listeners' taste, so one listener's says little
    """

    init(_ arguments: CommandLineArguments) throws {
        minimum = try arguments.int("--min-listeners", default: SimilarItems.defaultMinimumListeners, in: 0...1_000_000_000)
    }

    /// What is left out, said in the output: "leaving out artists with fewer than 5 listeners".
    var note: String? { minimum > 0 ? "leaving out artists with fewer than \(minimum) listener\(minimum == 1 ? "" : "s")" : nil }

    /// A warning for each of `items` with fewer listeners than the minimum (a note for an
    /// artist placed from its tags).
    func warnings(for items: [Int], in model: TrainedModel) -> [String] {
        items.compactMap { item in
            let label = model.itemIDs.id(at: item) + (model.name(ofItem: item).map { " (\($0))" } ?? "")
            return model.fewListeners(item, minimum: minimum, label: label).map { ($0.isWarning ? "warning: " : "note: ") + $0.text }
        }
    }
}
