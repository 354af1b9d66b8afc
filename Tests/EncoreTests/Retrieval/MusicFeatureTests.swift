import XCTest
@testable import Encore

/// Radio, explanations, fold-in, name lookup and filters on a model with known structure.
final class MusicFeatureTests: XCTestCase {
    /// 160 listeners in four taste groups over 80 artists (20 per group), with some cross-group plays.
    static func makeData() throws -> Interactions {
        var random = RandomSource(seed: 17)
        var triples: [(user: String, item: String, weight: Float)] = []
        for u in 0..<160 {
            let group = u % 4
            for _ in 0..<12 {
                let sameGroup = random.nextUniform() < 0.85
                let g = sameGroup ? group : Int(random.nextUniform() * 4)
                let item = g * 20 + Int(random.nextUniform() * 20)
                triples.append((user: "u\(u)", item: "a\(item)", weight: Float(1 + Int(random.nextUniform() * 30))))
            }
        }
        var data = try Interactions(triples: triples)
        data.itemNames = data.itemIDs.ids.map { id in id == "a5" || id == "a6" ? "Twin Name" : "Artist \(id.dropFirst())" }
        return data
    }

    static func makeModel(solver: ALSSolverKind = .cholesky, scaling: RegularizationScaling = .spark,
                          rendle: (exponent: Float, unobservedWeight: Float)? = nil) throws -> TrainedModel {
        var configuration = ALSConfiguration()
        configuration.factors = 8
        configuration.iterations = 12
        configuration.solver = solver
        configuration.regularizationScaling = scaling
        configuration.confidence = .log
        if let rendle {
            configuration.regularizationExponent = rendle.exponent
            configuration.unobservedWeight = rendle.unobservedWeight
        }
        return try TrainedModel.train(try makeData(), configuration: configuration, threads: 2)
    }

    func meanPairwiseCosine(_ items: [Int], _ model: TrainedModel) -> Float {
        var sum: Float = 0, pairs = 0
        for a in 0..<items.count { for b in (a + 1)..<items.count {
            sum += VectorKernels.dot(model.normalizedItemFactors.row(items[a]), model.normalizedItemFactors.row(items[b]), model.factors.factors)
            pairs += 1
        } }
        return sum / Float(pairs)
    }

    func testRadioNeverRepeatsIsDeterministicAndMoreDiverseThanTopN() throws {
        let model = try Self.makeModel()
        let seed = try ItemLookup.find("a3", in: model)
        var options = RadioOptions()
        options.length = 15
        options.randomSeed = 4
        let station = try ArtistRadio.station(seeds: [seed], options: options, in: model)
        XCTAssertEqual(station.count, 15)
        XCTAssertEqual(Set(station.map(\.item)).count, 15, "no repeats")
        XCTAssertFalse(station.contains { $0.item == seed }, "the seed is not played back")
        XCTAssertEqual(station.map(\.position), Array(1...15))
        XCTAssertTrue(station.allSatisfy { $0.reason.hasPrefix("near Artist 3 (cosine") }, station.map(\.reason).description)
        XCTAssertEqual(try ArtistRadio.station(seeds: [seed], options: options, in: model), station, "same seed-random, same station")
        options.randomSeed = 5
        XCTAssertNotEqual(try ArtistRadio.station(seeds: [seed], options: options, in: model).map(\.item), station.map(\.item))

        // Plain top-N by cosine to the seed, for comparison.
        let plain = SimilarItems.similar(to: seed, count: 15, normalizedItems: model.normalizedItemFactors)
        let stationItems = station.map(\.item), plainItems = plain.map(\.index)
        XCTAssertLessThan(meanPairwiseCosine(stationItems, model), meanPairwiseCosine(plainItems, model), "radio is more diverse than top-N")
        // At a bounded relevance cost: mean cosine to the seed at least 70% of top-N's.
        let relevance = { (items: [Int]) -> Float in items.map { VectorKernels.dot(model.normalizedItemFactors.row($0), model.normalizedItemFactors.row(seed), 8) }.reduce(0, +) / Float(items.count) }
        XCTAssertGreaterThan(relevance(stationItems), 0.7 * relevance(plainItems))
        // It opens close to the seed: the first pick is among the seed's five nearest.
        XCTAssertTrue(plainItems.prefix(5).contains(stationItems[0]))

        XCTAssertThrowsError(try ArtistRadio.station(seeds: [seed], options: { var o = RadioOptions(); o.length = 80; return o }(), in: model)) { error in
            XCTAssertTrue("\(error)".contains("only 79 items besides the seed(s)"), "\(error)")
        }
    }

    func testRadioWithAListenerLeansTowardTheirTasteInsideTheNeighbourhood() throws {
        let model = try Self.makeModel()
        let seed = try ItemLookup.find("a3", in: model)
        var options = RadioOptions()
        options.length = 10
        options.tasteWeight = 0.6
        let user = try model.userIndex("u1")
        let leaning = try ArtistRadio.station(seeds: [seed], user: user, options: options, in: model)
        let neutral = try ArtistRadio.station(seeds: [seed], options: options, in: model)
        let taste = model.factors.userFactors.rowArray(user)
        let meanScore = { (items: [Int]) -> Float in items.map { model.factors.score(user: user, item: $0) }.reduce(0, +) / Float(items.count) }
        XCTAssertGreaterThanOrEqual(meanScore(leaning.map(\.item)), meanScore(neutral.map(\.item)))
        // Still the seed's neighbourhood: every pick is among the seed's 100 nearest (the pool).
        let pool = Set(SimilarItems.similar(to: seed, count: 100, normalizedItems: model.normalizedItemFactors).map(\.index))
        XCTAssertTrue(leaning.allSatisfy { pool.contains($0.item) })
        XCTAssertEqual(taste.count, 8)
    }

    func testExplanationContributionsSumToTheScore() throws {
        let models = try RegularizationScaling.allCases.map { try Self.makeModel(scaling: $0) }
            + [try Self.makeModel(rendle: (exponent: 0.6, unobservedWeight: 0.05))]
        for model in models {
            for (user, item) in [(0, 1), (5, 40), (77, 3)] {
                let explanation = try ScoreExplanation(user: user, item: item, in: model)
                let sum = explanation.contributions.reduce(Float(0)) { $0 + $1.contribution }
                XCTAssertEqual(sum, explanation.score, accuracy: 1e-4)
                // Cholesky-trained: the exact solve is the stored vector.
                XCTAssertEqual(explanation.score, explanation.modelScore, accuracy: 1e-4 * max(1, abs(explanation.modelScore)))
                XCTAssertEqual(explanation.contributions.count, model.interactions.range(ofRow: user).count)
                XCTAssertEqual(explanation.contributions.map(\.contribution), explanation.contributions.map(\.contribution).sorted(by: >))
            }
        }
    }

    func testFoldInOfATrainingUsersHistoryReproducesTheirVector() throws {
        let model = try Self.makeModel()
        for user in [0, 13, 159] {
            var plays: [Int: Float] = [:]
            for p in model.interactions.range(ofRow: user) { plays[Int(model.interactions.indices[p])] = model.interactions.values[p] }
            let folded = try FoldIn.userVector(plays: plays, in: model)
            let trained = model.factors.userFactors.rowArray(user)
            for j in 0..<8 { XCTAssertEqual(folded[j], trained[j], accuracy: 1e-4 * max(1, abs(trained[j]))) }
            let recommended = try FoldIn.recommend(plays: plays, count: 5, in: model)
            XCTAssertEqual(recommended.map(\.index), TopNRecommendation.recommend(model, user: user, count: 5, seen: model.interactions).map(\.index))
        }
        XCTAssertThrowsError(try FoldIn.userVector(plays: [0: -1], in: model))
    }

    /// The server's fold-in scores longest first and stops early; its lists are the full scan's.
    func testFoldInScoredLongestFirstGivesTheFullScansListsBitForBit() throws {
        let model = try Self.makeModel()
        // A short head, so that lists reaching past it are gathered from the model's matrix.
        for ordered in [model.normOrderedItems, NormOrderedItems(model.factors.itemFactors, headRows: 6)] {
            for plays: [Int: Float] in [[3: 10], [0: 1, 21: 4, 47: 30], [60: 2, 61: 2, 62: 2, 79: 9]] {
                for includePlayed in [false, true] {
                    for filter in [CandidateFilter.everything, CandidateFilter(excluded: [0, 1, 2, 40])] {
                        for count in [1, 10, 80] {
                            let scanned = try FoldIn.recommend(plays: plays, count: count, in: model, filter: filter, includePlayed: includePlayed)
                            let early = try FoldIn.recommend(plays: plays, count: count, in: model, filter: filter, includePlayed: includePlayed, ordered: ordered)
                            XCTAssertEqual(early.map(\.index), scanned.map(\.index), "\(plays) \(includePlayed) \(count)")
                            XCTAssertEqual(early.map(\.score.bitPattern), scanned.map(\.score.bitPattern))
                            if !includePlayed { XCTAssertTrue(early.allSatisfy { plays[$0.index] == nil }) }
                        }
                    }
                }
            }
        }
    }

    func testFiltersAreRespectedEverywhere() throws {
        let model = try Self.makeModel()
        let excluded: Set<Int> = [0, 1, 2, 3, 4, 5]
        let allowed: Set<Int> = Set(20..<40)
        let filter = CandidateFilter(excluded: excluded, allowed: allowed)
        for user in 0..<20 {
            let list = TopNRecommendation.recommend(model, user: user, count: 10, seen: model.interactions, filter: filter)
            XCTAssertTrue(list.allSatisfy { allowed.contains($0.index) && !excluded.contains($0.index) })
        }
        XCTAssertTrue(SimilarItems.similar(to: 0, count: 10, normalizedItems: model.normalizedItemFactors, filter: filter).allSatisfy { allowed.contains($0.index) })
        try BatchRecommender(users: model.factors.userFactors, items: model.factors.itemFactors, seen: model.interactions,
                             candidates: filter.mask(itemCount: model.itemCount), threads: 2).recommend(count: 10, userList: [3, 1, 2]) { user, list in
            XCTAssertTrue(list.allSatisfy { allowed.contains($0.index) })
            XCTAssertEqual(list.map(\.index), TopNRecommendation.recommend(model, user: user, count: 10, seen: model.interactions, filter: filter).map(\.index))
        }
        let station = try ArtistRadio.station(seeds: [25], options: { var o = RadioOptions(); o.length = 10; return o }(), in: model, filter: filter)
        XCTAssertTrue(station.allSatisfy { allowed.contains($0.item) })
    }

    func testSimilarAndRadioLeaveOutArtistsWithFewListeners() throws {
        // makeData's four taste groups, plus a niche: artists only listener u0 plays (so their
        // vectors are all u0's taste, at cosine ~1 to each other), one with two listeners, and
        // one whose only row has weight 0 (no listener at all).
        var data = try Self.makeData()
        var triples = (0..<data.count).map { (user: data.userIDs.id(at: Int(data.users[$0])), item: data.itemIDs.id(at: Int(data.items[$0])), weight: data.weights[$0]) }
        for niche in 0..<6 { triples.append((user: "u0", item: "niche\(niche)", weight: 40)) }
        triples += [(user: "u1", item: "pair", weight: 5), (user: "u5", item: "pair", weight: 7), (user: "u2", item: "silent", weight: 0)]
        data = try Interactions(triples: triples)
        var configuration = ALSConfiguration()
        configuration.factors = 8
        configuration.iterations = 12
        configuration.confidence = .log
        let model = try TrainedModel.train(data, configuration: configuration, threads: 2)

        // Listeners counted by hand from the triples: distinct users with a positive weight.
        var listeners: [String: Set<String>] = [:]
        for triple in triples where triple.weight > 0 { listeners[triple.item, default: []].insert(triple.user) }
        XCTAssertEqual(model.listenerCounts, model.itemIDs.ids.map { listeners[$0]?.count ?? 0 })
        XCTAssertEqual(model.listenerCounts[try model.itemIndex("niche0")], 1)
        XCTAssertEqual(model.listenerCounts[try model.itemIndex("pair")], 2)
        XCTAssertEqual(model.listenerCounts[try model.itemIndex("silent")], 0)
        let rare = Set(model.itemIDs.ids.indices.filter { model.listenerCounts[$0] < SimilarItems.defaultMinimumListeners })
        XCTAssertEqual(rare.count, 8, "the six niche artists, the pair and the silent one")

        let niche = try model.itemIndex("niche0")
        let unfiltered = SimilarItems.similar(to: niche, count: 5, in: model, minimumListeners: 0)
        XCTAssertTrue(unfiltered.allSatisfy { model.itemIDs.id(at: $0.index).hasPrefix("niche") }, "one listener's artists are each other's clones")
        XCTAssertGreaterThan(unfiltered[0].score, 0.99)
        for item in [niche, try model.itemIndex("a3"), try model.itemIndex("a44")] {
            let list = SimilarItems.similar(to: item, count: model.itemCount, in: model)
            XCTAssertEqual(Set(list.map(\.index)), Set(0..<model.itemCount).subtracting(rare).subtracting([item]))
            let three = SimilarItems.similar(to: item, count: model.itemCount, in: model, minimumListeners: 2)
            XCTAssertEqual(Set(three.map(\.index)), Set(0..<model.itemCount).filter { model.listenerCounts[$0] >= 2 && $0 != item })
        }
        // Filters still apply on top.
        let only = SimilarItems.similar(to: niche, count: 10, in: model, filter: CandidateFilter(allowed: [try model.itemIndex("a1"), try model.itemIndex("niche1")]))
        XCTAssertEqual(only.map(\.index), [try model.itemIndex("a1")])

        var options = RadioOptions()
        XCTAssertEqual(options.minimumListeners, SimilarItems.defaultMinimumListeners)
        options.length = model.itemCount - rare.count  // the seed is one of the rare artists
        let station = try ArtistRadio.station(seeds: [niche], options: options, in: model)
        XCTAssertTrue(station.allSatisfy { !rare.contains($0.item) }, "every artist with few listeners is left out")
        options.length += 1
        XCTAssertThrowsError(try ArtistRadio.station(seeds: [niche], options: options, in: model)) { error in
            XCTAssertTrue("\(error)".contains("only \(model.itemCount - rare.count) items besides the seed(s) with at least 5 listeners"), "\(error)")
        }
        options.minimumListeners = 0
        options.length = model.itemCount - 1
        XCTAssertEqual(Set(try ArtistRadio.station(seeds: [niche], options: options, in: model).map(\.item)), Set(0..<model.itemCount).subtracting([niche]))
    }

    func testItemsAreFoundByIDOrNameCaseInsensitively() throws {
        let model = try Self.makeModel()
        XCTAssertEqual(try ItemLookup.find("a7", in: model), model.itemIDs.index(of: "a7"))
        XCTAssertEqual(try ItemLookup.find("artist 7", in: model), model.itemIDs.index(of: "a7"))
        XCTAssertEqual(try ItemLookup.find("ARTIST 12", in: model), model.itemIDs.index(of: "a12"))
        XCTAssertThrowsError(try ItemLookup.find("twin name", in: model)) { error in
            guard case let .ambiguousItem(_, matches)? = error as? EncoreError else { return XCTFail("\(error)") }
            XCTAssertEqual(Set(matches), ["a5 (Twin Name)", "a6 (Twin Name)"])
        }
        XCTAssertThrowsError(try ItemLookup.find("Artist 1O", in: model)) { error in
            guard case let .itemNotFound(_, suggestions)? = error as? EncoreError else { return XCTFail("\(error)") }
            XCTAssertTrue(suggestions.contains("Artist 10 (a10)"), suggestions.description)
        }
    }

    func testSimilarUsersShareTaste() throws {
        let model = try Self.makeModel()
        let list = SimilarUsers.similar(to: 0, count: 10, in: model)
        XCTAssertFalse(list.contains { $0.index == 0 })
        // Users are in group u % 4: most of user 0's nearest listeners share its group.
        XCTAssertGreaterThanOrEqual(list.filter { model.userIDs.id(at: $0.index).dropFirst().compactMap(\.wholeNumberValue).reduce(0) { $0 * 10 + $1 } % 4 == 0 }.count, 7)
    }
}
