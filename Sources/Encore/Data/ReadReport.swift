/// What a reader saw: how many rows it used and how many it skipped, with the first few reasons.
package struct ReadReport: Equatable, Sendable {
    /// Data rows turned into observations.
    package var rowsRead = 0
    /// Rows skipped as invalid (only with `skipInvalid`).
    package var rowsSkipped = 0
    /// The first few skip messages, each naming file and line.
    package var skipExamples: [String] = []
    /// User and item IDs that had spaces or tabs around them, trimmed (unless `keepIDWhitespace`).
    package var idsTrimmed = 0
    /// The first few trimmed IDs as written, each as "FILE:LINE: 'text'".
    package var trimExamples: [String] = []
    /// Whether the first line was taken as a header.
    package var hadHeader = false

    /// An empty report.
    package init() {}
}
