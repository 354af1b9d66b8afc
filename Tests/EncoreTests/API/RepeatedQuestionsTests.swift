import XCTest
@testable import Encore

/// `EncoreModel.recommendations(for:)` scans every item the first time it is asked and, from
/// the second question on, takes the items longest first and stops early. Both must give the
/// list the plain definition gives: every item's score for the listener (`FactorModel.score`,
/// the bits every path computes), played and filtered items left out, best first, ties by
/// item index.
final class RepeatedQuestionsTests: XCTestCase {
    /// 120 listeners over 3,000 items, most of them rare, so that a listener's list ends long
    /// before the last item in length order and the early stop has something to skip.
    private static func makeModel() throws -> TrainedModel {
        var random = RandomSource(seed: 23)
        var triples: [(user: String, item: String, weight: Float)] = []
        for u in 0..<120 {
            for _ in 0..<25 {
                let popular = random.nextUniform() < 0.6
                let item = popular ? Int(random.nextUniform() * 60) : 60 + Int(random.nextUniform() * 2_940)
                triples.append((user: "u\(u)", item: "a\(item)", weight: Float(1 + Int(random.nextUniform() * 20))))
            }
        }
        var configuration = ALSConfiguration()
        configuration.factors = 8
        configuration.iterations = 4
        configuration.confidence = .log
        return try TrainedModel.train(try Interactions(triples: triples), configuration: configuration, threads: 2)
    }

    private func expected(_ model: TrainedModel, user: Int, count: Int, includingPlayed: Bool, excluded: Set<Int>, allowed: Set<Int>?) -> [(Int, Float)] {
        let played = Set(model.interactions.range(ofRow: user).map { Int(model.interactions.indices[$0]) })
        var scored: [(Int, Float)] = []
        for item in 0..<model.itemCount where (includingPlayed || !played.contains(item)) && !excluded.contains(item) && (allowed?.contains(item) ?? true) {
            scored.append((item, model.factors.score(user: user, item: item)))
        }
        scored.sort { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
        return Array(scored.prefix(count))
    }

    func testFirstAndLaterQuestionsGiveThePlainDefinitionsList() throws {
        let trained = try Self.makeModel()
        let asked = EncoreModel(trained)
        _ = try asked.recommendations(for: "u0")
        var random = RandomSource(seed: 5)
        let allItems = Array(0..<trained.itemCount)
        for user in stride(from: 0, to: trained.userCount, by: 7) {
            let userID = trained.userIDs.id(at: user)
            for (count, includingPlayed) in [(1, false), (10, false), (10, true), (40, false), (5_000, false)] {
                for filtered in [false, true] {
                    let excluded = filtered ? Set((0..<20).map { _ in allItems[Int(random.nextUniform() * Double(allItems.count))] }) : []
                    let allowed = filtered && user % 2 == 0 ? Set((0..<400).map { _ in allItems[Int(random.nextUniform() * Double(allItems.count))] }) : nil
                    let want = expected(trained, user: user, count: count, includingPlayed: includingPlayed, excluded: excluded, allowed: allowed)
                    let ids = { (items: Set<Int>) in items.map { trained.itemIDs.id(at: $0) } }
                    // A fresh model answers by the scan; `asked` has been asked before and orders.
                    for (model, path) in [(EncoreModel(trained), "first question"), (asked, "later question")] {
                        let got = try model.recommendations(for: userID, count: count, includingPlayed: includingPlayed,
                                                            excluding: ids(excluded), among: allowed.map(ids))
                        let context = "user \(user), count \(count), played \(includingPlayed), filtered \(filtered), \(path)"
                        XCTAssertEqual(got.map(\.itemID), want.map { trained.itemIDs.id(at: $0.0) }, context)
                        XCTAssertEqual(got.map(\.score.bitPattern), want.map(\.1.bitPattern), context)
                    }
                }
            }
        }
    }

    /// A model asked from many threads at once — the first question racing the ordering — gives
    /// every thread the plain definition's list.
    func testQuestionsFromManyThreadsAtOnce() throws {
        let trained = try Self.makeModel()
        let model = EncoreModel(trained)
        let users = Array(0..<trained.userCount)
        let want = users.map { expected(trained, user: $0, count: 10, includingPlayed: false, excluded: [], allowed: nil).map { trained.itemIDs.id(at: $0.0) } }
        let got = ResultSlots(count: users.count)
        DispatchQueue.concurrentPerform(iterations: users.count) { user in
            got.set(user, (try? model.recommendations(for: trained.userIDs.id(at: user)))?.map(\.itemID))
        }
        for user in users { XCTAssertEqual(got.value(user), want[user], "user \(user)") }
    }

    func testAFiltersMaskIsItsPermitsItemByItem() {
        var random = RandomSource(seed: 9)
        for _ in 0..<50 {
            let items = 1 + Int(random.nextUniform() * 300)
            // Lists may name items past the end (the mask has no place for them).
            let excluded = Set((0..<Int(random.nextUniform() * 30)).map { _ in Int(random.nextUniform() * Double(items + 10)) })
            let allowed = random.nextUniform() < 0.5 ? nil : Set((0..<Int(random.nextUniform() * 60)).map { _ in Int(random.nextUniform() * Double(items + 10)) })
            let filter = CandidateFilter(excluded: excluded, allowed: allowed)
            XCTAssertEqual(filter.mask(itemCount: items), (0..<items).map { !excluded.contains($0) && (allowed?.contains($0) ?? true) })
        }
    }
}

/// One list per thread's question, set from any thread.
private final class ResultSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [[String]?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ value: [String]?) {
        lock.lock()
        slots[index] = value
        lock.unlock()
    }

    func value(_ index: Int) -> [String]? {
        lock.lock()
        defer { lock.unlock() }
        return slots[index]
    }
}
