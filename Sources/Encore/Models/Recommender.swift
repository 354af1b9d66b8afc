/// Anything that can score every item for a known user: ALS and the baselines. Retrieval
/// (top-N, exclusion of seen items, batch recommendation) is written once against this.
package protocol Recommender {
    /// Number of users the model knows.
    var userCount: Int { get }
    /// Number of items the model can recommend.
    var itemCount: Int { get }
    /// Writes the score of every item for `user` into `scores` (`itemCount` values; higher is better).
    func scoreItems(forUser user: Int, into scores: UnsafeMutableBufferPointer<Float>)
}
