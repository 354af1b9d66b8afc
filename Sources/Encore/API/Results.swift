/// One observation to train on: a listener played an item this many times (or for this many
/// seconds, or clicked it this often — any non-negative weight; more means surer).
public struct Play: Hashable, Sendable, Codable {
    /// The listener's own ID, any string.
    public var userID: String
    /// The item's own ID (an artist, a track, …), any string.
    public var itemID: String
    /// How much: a play count or any other finite weight ≥ 0. Repeated (user, item) plays are summed.
    public var count: Float

    /// A play of `item` by `user`, `count` times.
    public init(user: String, item: String, count: Float = 1) {
        userID = user
        itemID = item
        self.count = count
    }
}

/// One ranked item: a recommendation, a similar item or a fold-in result.
public struct Recommendation: Hashable, Sendable, Codable {
    /// The item's own ID.
    public let itemID: String
    /// The item's display name, when the model has one for it.
    public let name: String?
    /// Higher is better. For a listener, the predicted preference (about 0 to 1, not a
    /// probability); for similar items, the cosine of the two item vectors (at most 1).
    public let score: Float
}

/// One pick of a radio station.
public struct StationPick: Hashable, Sendable, Codable {
    /// The item's own ID.
    public let itemID: String
    /// The item's display name, when the model has one for it.
    public let name: String?
    /// Its relevance to the seeds (and listener): cosine-based, 1 at best.
    public let score: Float
    /// Why it is on the station, e.g. "near Metallica (cosine 0.91)".
    public let reason: String
}

/// Why a listener gets an item: the score split exactly into the shares of the items they played.
public struct Explanation: Hashable, Sendable, Codable {
    /// One played item's share of the score.
    public struct Contribution: Hashable, Sendable, Codable {
        /// The played item's own ID.
        public let itemID: String
        /// The played item's display name, when the model has one for it.
        public let name: String?
        /// Its share of the score (negative when it pulls the score down).
        public let contribution: Float
        /// The tags it shares with the explained item, strongest first (at most three; empty
        /// when the model has no tags).
        public let sharedTags: [String]
    }

    /// The listener explained.
    public let userID: String
    /// The item whose score is explained.
    public let itemID: String
    /// That item's display name, when the model has one for it.
    public let name: String?
    /// The listener's played items, largest contribution first.
    public let contributions: [Contribution]
    /// The sum of the contributions: the score of an exact solve for this listener.
    public let score: Float
    /// The score the model itself gives; equal to `score` (to rounding) for models trained with
    /// the exact `.cholesky` solver, a little off for `.cg`.
    public let modelScore: Float
    /// The explanation in a listener's words, when the model has tags and one of the largest
    /// contributions shares some: "because you play Slowdive — both tagged shoegaze, dream pop".
    public let because: String?
}

/// What training reports after each iteration.
public struct TrainingProgress: Hashable, Sendable {
    /// This iteration, counting from 1.
    public let iteration: Int
    /// How many iterations training runs in all.
    public let iterations: Int
    /// The training objective after this iteration; it should fall from one iteration to the next.
    public let loss: Double
    /// Wall-clock seconds this iteration took.
    public let seconds: Double
}
