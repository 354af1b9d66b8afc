/// How a distributed half-step gets each process what it needs to solve its own rows — the three
/// strategies of Spotify's "Music Recommendations at Scale with Spark".
package enum DistributionStrategy: String, CaseIterable, Sendable {
    /// Every process receives every vector of the other side each half-step (the Hadoop-era way).
    case broadcast
    /// Ratings sit in a P × P grid; the process holding a cell computes partial normal equations
    /// (Σ c₁ y yᵀ, Σ c p y) for the rows it touches and ships them to the rows' owners, which sum
    /// them and solve.
    case fullGridify = "full-gridify"
    /// Each process keeps its rows' ratings grouped by the other side's blocks and receives, per
    /// half-step, exactly the vectors its rows need, on a routing computed once (Spark's way).
    case halfGridify = "half-gridify"
}
