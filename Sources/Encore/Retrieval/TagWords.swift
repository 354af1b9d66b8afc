/// Explanations in words a listener knows: the tags a recommended artist shares with the
/// artists behind its score ("because you play Slowdive — both tagged shoegaze, dream pop").
package enum TagWords {
    /// How many shared tags an explanation names.
    package static let sharedTagLimit = 3

    /// " — both tagged a, b" for the tags `item` shares with `other`; "" when the model has no
    /// tags or the two share none.
    package static func bothTagged(_ item: Int, _ other: Int, in model: TrainedModel) -> String {
        guard let tags = model.itemTags, item != other else { return "" }
        let shared = tags.shared(item, other, limit: sharedTagLimit)
        return shared.isEmpty ? "" : " — both tagged \(shared.joined(separator: ", "))"
    }

    /// The tags `item` shares with each played item of an explanation, in its order ([] each
    /// when the model has no tags).
    package static func sharedTags(of item: Int, with explanation: ScoreExplanation, in model: TrainedModel) -> [[String]] {
        explanation.contributions.map { $0.item == item ? [] : model.itemTags?.shared(item, $0.item, limit: sharedTagLimit) ?? [] }
    }

    /// "because you play X — both tagged a, b": the largest positive contribution among the top
    /// `among` that shares a tag with `item` (other than `item` itself); nil when none does.
    package static func because(_ item: Int, explanation: ScoreExplanation, in model: TrainedModel, among: Int = 5) -> String? {
        guard let tags = model.itemTags else { return nil }
        // The item itself, when the listener plays it, shares every tag with itself: no reason.
        for entry in explanation.contributions.filter({ $0.item != item }).prefix(among) where entry.contribution > 0 {
            let shared = tags.shared(item, entry.item, limit: sharedTagLimit)
            guard !shared.isEmpty else { continue }
            let label = model.name(ofItem: entry.item) ?? model.itemIDs.id(at: entry.item)
            return "because you play \(label) — both tagged \(shared.joined(separator: ", "))"
        }
        return nil
    }
}

extension JSONLine {
    /// Adds a list of strings, as `"key":["a","b"]`.
    package mutating func add(_ key: String, strings: [String]) {
        addRaw(key, "[" + strings.map(JSONLine.quote).joined(separator: ",") + "]")
    }
}
