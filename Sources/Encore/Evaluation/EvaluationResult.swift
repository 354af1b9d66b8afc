/// The scores of one model on one test set, averaged over the test users.
package struct EvaluationResult: Codable, Equatable, Sendable {
    /// The cut-off of the top-k metrics.
    package var k: Int
    /// Users scored (those with held-out items and training rows).
    package var users: Int
    /// Mean precision@k.
    package var precision: Double
    /// Mean recall@k.
    package var recall: Double
    /// Mean average precision@k.
    package var map: Double
    /// Mean NDCG@k.
    package var ndcg: Double
    /// Mean per-user AUC over all candidate items.
    package var auc: Double
    /// Expected percentile ranking of held-out plays (Hu et al. 2008): 0 is perfect, 0.5 random.
    package var meanPercentileRank: Double
    /// Share of the catalogue that appears in at least one user's top k.
    package var coverage: Double

    /// The value of the metric named `name` (`precision`, `recall`, `map`, `ndcg`, `auc`, `mpr`,
    /// `coverage`), oriented so that larger is better (MPR is returned as 1 − MPR).
    package func value(of metric: EvaluationMetric) -> Double {
        switch metric {
        case .precision: return precision
        case .recall: return recall
        case .map: return map
        case .ndcg: return ndcg
        case .auc: return auc
        case .mpr: return 1 - meanPercentileRank
        case .coverage: return coverage
        }
    }
}

/// A metric a tuner can optimise or a curve can plot.
package enum EvaluationMetric: String, Codable, Sendable, CaseIterable {
    /// Precision@k.
    case precision
    /// Recall@k.
    case recall
    /// MAP@k.
    case map
    /// NDCG@k.
    case ndcg
    /// AUC.
    case auc
    /// Mean percentile rank (optimised as 1 − MPR).
    case mpr
    /// Catalogue coverage.
    case coverage

    /// A label for tables and charts.
    package func label(k: Int) -> String {
        switch self {
        case .precision: return "precision@\(k)"
        case .recall: return "recall@\(k)"
        case .map: return "MAP@\(k)"
        case .ndcg: return "NDCG@\(k)"
        case .auc: return "AUC"
        case .mpr: return "1 − MPR"
        case .coverage: return "coverage@\(k)"
        }
    }
}
