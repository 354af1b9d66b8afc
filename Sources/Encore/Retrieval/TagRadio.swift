/// A tag station ("shoegaze radio"): artist radio whose seeds are the artists carrying one or
/// more tags. The centre is, per tag, the mean direction of its artists weighted by how often
/// each was given the tag, the tags' directions then summed so that each tag counts alike. Its
/// candidates are the centre's nearest artists, those carrying any of the tags lifted by
/// `tagBoost`, so the station plays the tags' artists first and their nearest neighbours after;
/// picks are spread out by the same MMR as artist radio. Unlike artist radio, the seeds (the
/// tags' artists) are played.
package enum TagRadio {
    /// How far carrying a station's tag lifts an artist, on the cosine scale: past any artist
    /// without it (a cosine is at most 1) unless that one is far nearer the centre.
    package static let tagBoost: Float = 0.5
    /// A played artist is named in a reason only this near the pick: a station has no seed
    /// artist to compare with, and a distant one ("like Sade, cosine 0.20") explains nothing.
    package static let listenedCosine: Float = 0.5

    /// The station for `tags` (tag indices), optionally leaning toward `user`.
    package static func station(
        tags: [Int], user: Int? = nil, options: RadioOptions = RadioOptions(), in model: TrainedModel, filter: CandidateFilter = .everything
    ) throws -> [RadioPick] {
        guard let itemTags = model.itemTags else { throw EncoreError.invalidArgument("the model has no tags: train it with item tags") }
        let wanted = Array(Set(tags)).sorted()
        guard !wanted.isEmpty else { throw EncoreError.invalidArgument("a tag station needs at least one tag") }
        let k = model.factors.factors
        var centroid = [Float](repeating: 0, count: k)
        var carried = Set<Int>()
        for tag in wanted {
            var direction = [Float](repeating: 0, count: k)
            for (item, weight) in itemTags.items(withTag: tag) where weight > 0 {
                VectorKernels.axpy(weight, model.unitItemVector(item), &direction, k)
                carried.insert(item)
            }
            ArtistRadio.normalize(&direction)
            for d in 0..<k { centroid[d] += direction[d] }
        }
        let listened = user.map { Array(model.interactions.columns(ofRow: $0).map(Int.init)) } ?? []
        return try ArtistRadio.mix(
            toward: centroid, user: user, options: options, in: model, excluding: [], filter: filter, besides: nil,
            boost: { carried.contains($0) ? tagBoost : 0 }
        ) { item in reason(for: item, tags: wanted, listened: listened, in: model) }
    }

    /// "tagged a, b" for the station's tags the pick carries, or "near the a, b artists" for a
    /// neighbour without them; with a listener, a played artist the pick is near, as artist
    /// radio says it.
    static func reason(for item: Int, tags: [Int], listened: [Int], in model: TrainedModel) -> String {
        let itemTags = model.itemTags!
        let own = Set(itemTags.tags(ofItem: item).map(\.tag))
        let names = tags.filter(own.contains).map { itemTags.tagNames[$0] }
        var text = names.isEmpty ? "near the \(tags.map { itemTags.tagNames[$0] }.joined(separator: ", ")) artists" : "tagged \(names.joined(separator: ", "))"
        if let heard = listened.filter({ $0 != item }).map({ ($0, model.cosine(item: item, $0)) }).max(by: { $0.1 < $1.1 }),
           heard.1 >= listenedCosine {
            let label = model.name(ofItem: heard.0) ?? model.itemIDs.id(at: heard.0)
            text += "; like \(label), which you play (cosine \(String(format: "%.2f", heard.1)))" + TagWords.bothTagged(item, heard.0, in: model)
        }
        return text
    }
}
