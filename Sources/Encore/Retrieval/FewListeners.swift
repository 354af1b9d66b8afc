extension TrainedModel {
    /// What an answer built from `item` (a similar-artists query, a radio seed) must say when it
    /// rests on few listeners, or nil when it has at least `minimum`: a warning that its similar
    /// artists say little, or, for an artist placed from its tags (no listeners by construction,
    /// its vector is its tags'), a note saying so. `label` names the artist in the text. The CLI
    /// and the HTTP API both say it, in these words.
    package func fewListeners(_ item: Int, minimum: Int, label: String) -> (isWarning: Bool, text: String)? {
        let count = listenerCounts[item]
        guard count < minimum else { return nil }
        if item >= firstPlacedItem { return (false, "\(label) has no listeners: it is placed from its tags") }
        return (true, "\(label) has \(count) listener\(count == 1 ? "" : "s"), fewer than \(minimum): its similar artists say little")
    }
}
