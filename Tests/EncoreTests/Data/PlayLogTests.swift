import XCTest
@testable import Encore

/// The play log: its builder against sums done by hand, its file against the documented layout
/// and against damage, windowed reading against one pass, and training from it against training
/// from the same rows as text.
final class PlayLogTests: XCTestCase {
    /// Rows with repeats (some pairs three times), in a shuffled order.
    private func rowsWithRepeats(users: Int = 40, items: Int = 30, seed: UInt64 = 7) -> [(user: Int, item: Int, weight: Float)] {
        var random = RandomSource(seed: seed, stream: 1, row: 0)
        var rows: [(user: Int, item: Int, weight: Float)] = []
        for _ in 0..<600 {
            let user = Int(random.next() % UInt64(users)), item = Int(random.next() % UInt64(items))
            rows.append((user, item, Float(random.next() % 50) / 4))
        }
        rows += rows.prefix(80).map { ($0.user, $0.item, 0.5) }
        rows.shuffle(using: &random)
        return rows
    }

    private func interactions(_ rows: [(user: Int, item: Int, weight: Float)], users: Int = 40, items: Int = 30) throws -> Interactions {
        try Interactions(userIDs: IDIndex(ids: (0..<users).map { "u\($0)" }), itemIDs: IDIndex(ids: (0..<items).map { "i\($0)" }),
                         users: rows.map { UInt32($0.user) }, items: rows.map { UInt32($0.item) }, weights: rows.map(\.weight))
    }

    func testBuilderSumsRepeatsAsADenseSumByHandAndTransposes() throws {
        let rows = rowsWithRepeats()
        var dense = [[Double]](repeating: [Double](repeating: 0, count: 30), count: 40)
        var seen = Set<[Int]>()
        for row in rows { dense[row.user][row.item] += Double(row.weight); seen.insert([row.user, row.item]) }
        var data = try interactions(rows)
        let log = PlayLog(taking: &data)
        XCTAssertEqual(data.count, 0, "the rows are let go once built")
        XCTAssertEqual(log.sourceRows, rows.count)
        XCTAssertEqual(log.userItems.nonZeroCount, seen.count)
        for user in 0..<40 {
            let columns = Array(log.userItems.columns(ofRow: user))
            XCTAssertEqual(columns, columns.sorted(), "row \(user) is sorted")
            XCTAssertEqual(columns.map(Int.init), (0..<30).filter { seen.contains([user, $0]) })
            for item in 0..<30 {
                XCTAssertEqual(log.userItems.value(row: user, column: item), Float(dense[user][item]))
                XCTAssertEqual(log.itemUsers.value(row: item, column: user), Float(dense[user][item]))
            }
        }
        XCTAssertEqual(log.itemUsers.nonZeroCount, seen.count)
    }

    /// The rows are scattered on as many threads as are given, each taking a run of rows: the
    /// matrix must be the hand-made sums whatever the number, with repeats summed in file order
    /// (a pair's repeats fall into different threads' runs here).
    func testBuilderGivesTheHandMadeSumsOnAnyNumberOfThreads() throws {
        let rows = rowsWithRepeats()
        var dense = [[Double]](repeating: [Double](repeating: 0, count: 30), count: 40)
        var seen = Set<[Int]>()
        for row in rows { dense[row.user][row.item] += Double(row.weight); seen.insert([row.user, row.item]) }
        for threads in [1, 2, 3, 5] {
            var data = try interactions(rows)
            let matrix = PlayMatrixBuilder.userItems(taking: &data, threads: threads)
            XCTAssertEqual(matrix.nonZeroCount, seen.count, "\(threads) threads")
            for user in 0..<40 {
                XCTAssertEqual(Array(matrix.columns(ofRow: user)).map(Int.init), (0..<30).filter { seen.contains([user, $0]) }, "\(threads) threads, row \(user)")
                for item in 0..<30 {
                    XCTAssertEqual(matrix.value(row: user, column: item), Float(dense[user][item]), "\(threads) threads, (\(user), \(item))")
                }
            }
        }
    }

    func testFileRoundTripsAndFollowsTheDocumentedLayout() throws {
        var data = try interactions(rowsWithRepeats())
        data.itemNames = (0..<30).map { $0 % 3 == 0 ? "" : "Artist é\($0)" }
        let log = PlayLog(taking: &data)
        let path = try TestSupport.temporaryDirectory(self).appendingPathComponent("plays.encore-data").path
        try PlayLogFile.write(log, to: path)
        XCTAssertTrue(PlayLogFile.isPlayLog(path: path))
        let back = try PlayLogFile.read(path: path)
        XCTAssertEqual(back.userIDs, log.userIDs)
        XCTAssertEqual(back.itemIDs, log.itemIDs)
        XCTAssertEqual(back.itemNames, log.itemNames)
        XCTAssertEqual(back.userItems, log.userItems)
        XCTAssertEqual(back.itemUsers, log.itemUsers)
        XCTAssertEqual(back.sourceRows, log.sourceRows)
        XCTAssertTrue(back.userItems.values.isMapped && back.itemUsers.values.isMapped, "the weights stay in the file, mapped")

        // docs/data-formats.md: magic, version, flags, four counts, the section count, then the
        // table of (offset, bytes, checksum); section 7 is the users × items columns as UInt32.
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        func u64(_ at: Int) -> Int { (0..<8).reduce(0) { $0 | Int(bytes[at + $1]) << (8 * $1) } }
        XCTAssertEqual(Array(bytes[0..<8]), Array("ENCPLAYS".utf8))
        XCTAssertEqual(bytes[8], 1)
        XCTAssertEqual(bytes[12], 1, "flag: has item names")
        XCTAssertEqual([u64(16), u64(24), u64(32), u64(40), u64(48)], [40, 30, log.userItems.nonZeroCount, log.sourceRows, 12])
        let columnsAt = u64(64 + 7 * 24), columnsBytes = u64(64 + 7 * 24 + 8)
        XCTAssertEqual(columnsAt % 64, 0)
        XCTAssertEqual(columnsBytes, 4 * log.userItems.nonZeroCount)
        let columns = (0..<log.userItems.nonZeroCount).map { p in (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[columnsAt + 4 * p + $1]) << (8 * $1) } }
        XCTAssertEqual(columns, log.userItems.indices.array)
        let firstID = u64(64 + 1 * 24)
        XCTAssertEqual(String(decoding: bytes[firstID..<firstID + 2], as: UTF8.self), log.userIDs.id(at: 0))
    }

    func testDamagedTruncatedAndForeignFilesAreRefusedNamingTheFile() throws {
        var data = try interactions(rowsWithRepeats())
        let directory = try TestSupport.temporaryDirectory(self)
        let path = directory.appendingPathComponent("plays.encore-data").path
        try PlayLogFile.write(PlayLog(taking: &data), to: path)
        let good = try Data(contentsOf: URL(fileURLWithPath: path))
        func refusal(_ bytes: Data) -> String {
            let damaged = directory.appendingPathComponent("damaged.encore-data").path
            XCTAssertTrue(FileManager.default.createFile(atPath: damaged, contents: bytes))
            do {
                _ = try PlayLogFile.read(path: damaged)
                return "read"
            } catch {
                XCTAssertTrue("\(error)".contains("damaged.encore-data"), "\(error)")
                return "\(error)"
            }
        }
        var flipped = good
        flipped[good.count - 3] ^= 0x10
        XCTAssertTrue(refusal(flipped).contains("checksum differs"))
        XCTAssertTrue(refusal(good.prefix(good.count - 100)).contains("truncated"))
        var header = good
        header[20] ^= 1
        XCTAssertTrue(refusal(header).contains("header is damaged"))
        var version = good
        version[8] = 9
        XCTAssertTrue(refusal(version).contains("version 9"))
        XCTAssertTrue(refusal(Data("user\titem\t1\n".utf8)).contains("ENCPLAYS"))
        XCTAssertFalse(PlayLogFile.isPlayLog(path: try TestSupport.write("a\tb\t1\n", to: "t.tsv", in: directory)))
    }

    func testWindowedReadEqualsOnePassAndNamesTheSameLine() throws {
        var text = "user\titem\tplays\n"
        for row in rowsWithRepeats() { text += "user \(row.user)\titem \(row.item)\t\(row.weight)\n" }
        try Array(text.utf8).withUnsafeBufferPointer { bytes in
            let (whole, _) = try DelimitedReader.parseInOnePass(bytes, fileName: "t.tsv", options: DelimitedReadOptions())
            for (slices, size) in [(2, 100), (3, 37), (2, 5000), (1, 50)] {
                var reports: [IngestProgress] = []
                let (windowed, _) = try WindowedRead(bytes: bytes, fileName: "t.tsv", slices: slices, bytesPerSlice: size) { reports.append($0) }
                    .run(options: DelimitedReadOptions())
                XCTAssertEqual(windowed.userIDs, whole.userIDs)
                XCTAssertEqual(windowed.itemIDs, whole.itemIDs)
                XCTAssertEqual([windowed.users, windowed.items], [whole.users, whole.items])
                XCTAssertEqual(windowed.weights, whole.weights)
                XCTAssertEqual(reports.last?.rowsRead, whole.count)
                XCTAssertEqual(reports.last?.bytesRead, bytes.count)
            }
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let bad = (lines[..<500] + ["user 1\titem 2\tmany"] + lines[500...]).joined(separator: "\n")
        try Array(bad.utf8).withUnsafeBufferPointer { bytes in
            XCTAssertThrowsError(try WindowedRead(bytes: bytes, fileName: "t.tsv", slices: 2, bytesPerSlice: 64, progress: nil).run(options: DelimitedReadOptions())) {
                XCTAssertTrue("\($0)".hasPrefix("t.tsv:501:"), "\($0)")
            }
        }
    }

    /// A stream read in windows smaller than a line (the window grows), as large as the text,
    /// and between: the rows, IDs and a bad row's line number of one pass.
    func testStreamedReadEqualsOnePassAndNamesTheSameLine() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        var text = "user\titem\tplays\n"
        for row in rowsWithRepeats() { text += "user \(row.user)\titem \(row.item)\t\(row.weight)\n" }
        let path = try TestSupport.write(text, to: "t.tsv", in: directory)
        func streamed(_ slices: Int, _ size: Int, progress: ((IngestProgress) -> Void)? = nil) throws -> (Interactions, ReadReport) {
            let descriptor = open(path, O_RDONLY)
            defer { close(descriptor) }
            return try StreamedRead(descriptor: descriptor, fileName: "t.tsv", slices: slices, bytesPerSlice: size, progress: progress)
                .run(options: DelimitedReadOptions())
        }
        let (whole, _) = try Array(text.utf8).withUnsafeBufferPointer { try DelimitedReader.parseInOnePass($0, fileName: "t.tsv", options: DelimitedReadOptions()) }
        for (slices, size) in [(2, 100), (3, 37), (2, 5000), (1, 5), (2, 1 << 20)] {
            var reports: [IngestProgress] = []
            let (read, _) = try streamed(slices, size) { reports.append($0) }
            XCTAssertEqual(read.userIDs, whole.userIDs)
            XCTAssertEqual(read.itemIDs, whole.itemIDs)
            XCTAssertEqual([read.users, read.items], [whole.users, whole.items])
            XCTAssertEqual(read.weights, whole.weights)
            XCTAssertEqual(reports.last?.rowsRead, whole.count)
            XCTAssertEqual(reports.last?.bytesRead, text.utf8.count)
            XCTAssertEqual(reports.last?.totalBytes, 0)
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let bad = (lines[..<500] + ["user 1\titem 2\tmany"] + lines[500...]).joined(separator: "\n")
        _ = try TestSupport.write(bad, to: "t.tsv", in: directory)
        XCTAssertThrowsError(try streamed(2, 64)) { XCTAssertTrue("\($0)".hasPrefix("t.tsv:501:"), "\($0)") }
        XCTAssertTrue(StreamedRead.isStream("-"))
        XCTAssertFalse(StreamedRead.isStream(path))
        XCTAssertFalse(PlayLogFile.isPlayLog(path: "-"))
    }

    func testTrainingFromTheFileGivesByteEqualFactorsToTrainingFromText() throws {
        let directory = try TestSupport.temporaryDirectory(self)
        var text = ""
        for row in rowsWithRepeats(users: 60, items: 45, seed: 3) { text += "listener \(row.user),artist \(row.item),\(row.weight)\n" }
        let textPath = try TestSupport.write(text, to: "plays.csv", in: directory)
        let (rows, _) = try DelimitedReader.read(path: textPath, options: DelimitedReadOptions())
        var configuration = ALSConfiguration()
        configuration.factors = 6
        configuration.iterations = 4
        var underflowing = configuration
        underflowing.confidence = .linear
        underflowing.alpha = .leastNonzeroMagnitude  // α·r rounds to 0 for r < 1: the weights must be kept as they are
        for (solver, configuration) in [(ALSSolverKind.cg, configuration), (.cholesky, configuration), (.cg, underflowing)] {
            var configuration = configuration
            configuration.solver = solver
            // Today's path from text: the rows, the matrix built by SparseMatrix, the transpose in fit.
            let fromText = try TrainedModel.train(rows, configuration: configuration, threads: 2)
            var copy = rows
            let logPath = directory.appendingPathComponent("plays.encore-data").path
            try PlayLogFile.write(PlayLog(taking: &copy), to: logPath)
            var log = try PlayLogFile.read(path: logPath)
            let (userItems, itemUsers) = log.takeMatrices()
            XCTAssertEqual(log.userItems.nonZeroCount + log.itemUsers.nonZeroCount, 0, "handed over")
            let fromLog = try TrainedModel.train(log.idTables, matrix: consume userItems, transpose: consume itemUsers, configuration: configuration, threads: 2)
            XCTAssertEqual(fromLog.userIDs, fromText.userIDs)
            XCTAssertEqual(fromLog.itemIDs, fromText.itemIDs)
            XCTAssertEqual(fromLog.interactions, fromText.interactions)
            XCTAssertEqual(fromLog.factors.userFactors.packed().map(\.bitPattern), fromText.factors.userFactors.packed().map(\.bitPattern), "\(solver), α \(configuration.alpha)")
            XCTAssertEqual(fromLog.factors.itemFactors.packed().map(\.bitPattern), fromText.factors.itemFactors.packed().map(\.bitPattern), "\(solver)")
        }
    }
}
