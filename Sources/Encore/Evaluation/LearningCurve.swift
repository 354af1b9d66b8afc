/// Loss and a held-out metric after every ALS iteration, for seeing when training has converged.
package struct LearningCurve: Sendable {
    /// One point of the curve.
    package struct Point: Sendable, Equatable {
        /// 1-based iteration.
        package var iteration: Int
        /// The training objective after the iteration.
        package var loss: Double
        /// The held-out metric after the iteration.
        package var metric: Double
    }

    /// The metric plotted.
    package let metric: EvaluationMetric
    /// The cut-off of that metric.
    package let k: Int
    /// The points, by iteration.
    package let points: [Point]

    /// Trains ALS on the split's training part and scores `metric` on its test part after each
    /// iteration. `progress` gets each point as it is measured.
    package init(
        split: TrainTestSplit, configuration: ALSConfiguration, metric: EvaluationMetric, k: Int,
        threads: Int = Parallel.defaultThreadCount, progress: ((Point) -> Void)? = nil
    ) throws {
        let evaluator = try Evaluator(split: split, k: k, threads: threads)
        var points: [Point] = []
        _ = try ImplicitALS(configuration: configuration, threads: threads).fit(evaluator.train, progress: { report in
            let current = FactorModel(userFactors: report.userFactors, itemFactors: report.itemFactors)
            let point = Point(iteration: report.iteration, loss: report.loss, metric: evaluator.evaluate(current).value(of: metric))
            points.append(point)
            progress?(point)
        })
        self.metric = metric
        self.k = k
        self.points = points
    }

    /// The curve as CSV: `iteration,loss,<metric>`.
    package var csv: String {
        "iteration,loss,\(metric.rawValue)\n" + points.map { "\($0.iteration),\($0.loss),\($0.metric)\n" }.joined()
    }

    /// The curve as a standalone SVG line chart: iterations across, loss on the left axis,
    /// the metric on the right axis, with a legend.
    package var svg: String { CurveChart(title: "Implicit ALS: training loss and held-out \(metric.label(k: k))", curve: self).svg }
}
