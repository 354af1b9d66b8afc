import Foundation

/// Draws a `LearningCurve` as SVG by hand (it is simple XML): two series on twin y-axes.
struct CurveChart {
    let title: String
    let curve: LearningCurve
    private let width = 760.0, height = 440.0
    private let left = 100.0, right = 100.0, top = 60.0, bottom = 70.0

    var svg: String {
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let iterations = curve.points.map { Double($0.iteration) }
        let losses = curve.points.map(\.loss), metrics = curve.points.map(\.metric)
        let xRange = (iterations.min() ?? 0, max((iterations.max() ?? 1), (iterations.min() ?? 0) + 1))
        let lossRange = CurveChart.paddedRange(losses), metricRange = CurveChart.paddedRange(metrics)
        func x(_ value: Double) -> Double { left + (value - xRange.0) / (xRange.1 - xRange.0) * plotWidth }
        func y(_ value: Double, _ range: (Double, Double)) -> Double { top + plotHeight - (value - range.0) / (range.1 - range.0) * plotHeight }
        func f(_ value: Double) -> String { String(format: "%.1f", value) }
        var out = """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="Helvetica, Arial, sans-serif" font-size="13">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(f(width / 2))" y="30" text-anchor="middle" font-size="16" font-weight="bold">\(CurveChart.escape(title))</text>
        <rect x="\(f(left))" y="\(f(top))" width="\(f(plotWidth))" height="\(f(plotHeight))" fill="none" stroke="#444"/>

        """
        // Grid lines and tick labels: five on each y axis, one per iteration (thinned) on x.
        for tick in 0...4 {
            let fraction = Double(tick) / 4
            let yPosition = top + plotHeight - fraction * plotHeight
            out += "<line x1=\"\(f(left))\" y1=\"\(f(yPosition))\" x2=\"\(f(left + plotWidth))\" y2=\"\(f(yPosition))\" stroke=\"#ddd\"/>\n"
            let lossValue = lossRange.0 + fraction * (lossRange.1 - lossRange.0)
            let metricValue = metricRange.0 + fraction * (metricRange.1 - metricRange.0)
            out += "<text x=\"\(f(left - 8))\" y=\"\(f(yPosition + 4))\" text-anchor=\"end\" fill=\"#1f77b4\">\(CurveChart.format(lossValue))</text>\n"
            out += "<text x=\"\(f(left + plotWidth + 8))\" y=\"\(f(yPosition + 4))\" fill=\"#d62728\">\(CurveChart.format(metricValue))</text>\n"
        }
        let step = max(1, Int((xRange.1 - xRange.0) / 10))
        for iteration in stride(from: Int(xRange.0), through: Int(xRange.1), by: step) {
            out += "<text x=\"\(f(x(Double(iteration))))\" y=\"\(f(top + plotHeight + 20))\" text-anchor=\"middle\">\(iteration)</text>\n"
        }
        out += "<text x=\"\(f(left + plotWidth / 2))\" y=\"\(f(height - 25))\" text-anchor=\"middle\">iteration</text>\n"
        out += "<text transform=\"translate(18 \(f(top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\" fill=\"#1f77b4\">training loss</text>\n"
        out += "<text transform=\"translate(\(f(width - 18)) \(f(top + plotHeight / 2))) rotate(90)\" text-anchor=\"middle\" fill=\"#d62728\">held-out \(CurveChart.escape(curve.metric.label(k: curve.k)))</text>\n"
        func polyline(_ values: [Double], _ range: (Double, Double), _ color: String, dashed: Bool) -> String {
            let points = zip(iterations, values).map { "\(f(x($0))),\(f(y($1, range)))" }.joined(separator: " ")
            var line = "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2.5\"\(dashed ? " stroke-dasharray=\"7 4\"" : "") points=\"\(points)\"/>\n"
            for (i, v) in zip(iterations, values) { line += "<circle cx=\"\(f(x(i)))\" cy=\"\(f(y(v, range)))\" r=\"3\" fill=\"\(color)\"/>\n" }
            return line
        }
        out += polyline(losses, lossRange, "#1f77b4", dashed: false)
        out += polyline(metrics, metricRange, "#d62728", dashed: true)
        // Legend at the right, halfway down: a falling loss and a rising metric both keep
        // clear of that corner of a convergence plot.
        let legendX = left + plotWidth - 200, legendY = top + plotHeight * 0.45
        out += "<rect x=\"\(f(legendX))\" y=\"\(f(legendY))\" width=\"190\" height=\"48\" fill=\"white\" stroke=\"#999\"/>\n"
        out += "<line x1=\"\(f(legendX + 10))\" y1=\"\(f(legendY + 16))\" x2=\"\(f(legendX + 40))\" y2=\"\(f(legendY + 16))\" stroke=\"#1f77b4\" stroke-width=\"2.5\"/>\n"
        out += "<text x=\"\(f(legendX + 48))\" y=\"\(f(legendY + 20))\">training loss (left)</text>\n"
        out += "<line x1=\"\(f(legendX + 10))\" y1=\"\(f(legendY + 36))\" x2=\"\(f(legendX + 40))\" y2=\"\(f(legendY + 36))\" stroke=\"#d62728\" stroke-width=\"2.5\" stroke-dasharray=\"7 4\"/>\n"
        out += "<text x=\"\(f(legendX + 48))\" y=\"\(f(legendY + 40))\">\(CurveChart.escape(curve.metric.label(k: curve.k))) (right)</text>\n"
        return out + "</svg>\n"
    }

    /// The data range widened by 5% each side (or by 1 when flat), so lines never sit on the frame.
    static func paddedRange(_ values: [Double]) -> (Double, Double) {
        guard let low = values.min(), let high = values.max() else { return (0, 1) }
        let span = high - low
        return span > 0 ? (low - 0.05 * span, high + 0.05 * span) : (low - 1, high + 1)
    }

    static func format(_ value: Double) -> String {
        let magnitude = abs(value)
        if magnitude >= 1e5 || (magnitude < 1e-3 && magnitude > 0) { return String(format: "%.3g", value) }
        return magnitude >= 100 ? String(format: "%.0f", value) : String(format: "%.4g", value)
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
