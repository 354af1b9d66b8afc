/// What a reader saw: how many rows it used and how many it skipped, with the first few reasons.
public struct ReadReport: Equatable, Sendable {
    /// Data rows turned into observations.
    public var rowsRead = 0
    /// Rows skipped as invalid (only with `skipInvalid`).
    public var rowsSkipped = 0
    /// The first few skip messages, each naming file and line.
    public var skipExamples: [String] = []
    /// User and item IDs that had spaces or tabs around them, trimmed (unless `keepIDWhitespace`).
    public var idsTrimmed = 0
    /// The first few trimmed IDs as written, each as "FILE:LINE: 'text'".
    public var trimExamples: [String] = []
    /// Whether the first line was taken as a header.
    public var hadHeader = false

    /// An empty report.
    public init() {}
}
