import XCTest
@testable import Encore

/// Large blocks are aligned and advised for huge pages; small ones are left as they were. The
/// kernel's own account (/proc/self/smaps) says whether a block's mapping may get huge pages.
final class LargePagesTests: XCTestCase {
    func testLargeMatricesAreAlignedZeroedAndEligibleForHugePages() throws {
        let matrix = DenseMatrix(rows: 40_000, columns: 64)  // 10 MB
        XCTAssertEqual(Int(bitPattern: matrix.storage) % LargePages.size, 0, "a large block starts on a huge page")
        XCTAssertTrue((0..<(matrix.rows * matrix.stride)).allSatisfy { matrix.storage[$0] == 0 })
        let small = DenseMatrix(rows: 10, columns: 64)
        XCTAssertEqual(Int(bitPattern: small.storage) % 64, 0, "every block starts on a cache line")
        try XCTSkipUnless(LargePagesTests.kernelOffersHugePages, "transparent huge pages are off on this machine")
        XCTAssertEqual(LargePagesTests.hugePageEligibility(of: UnsafeRawPointer(matrix.storage)), true)
    }

    func testZeroedArraysAreEligibleToo() throws {
        let table: [UInt64] = LargePages.zeroedArray(count: 1 << 20)  // 8 MB
        XCTAssertEqual(table.count, 1 << 20)
        XCTAssertTrue(table.allSatisfy { $0 == 0 })
        try XCTSkipUnless(LargePagesTests.kernelOffersHugePages, "transparent huge pages are off on this machine")
        table.withUnsafeBytes { bytes in
            // The first whole 2 MiB page inside the array (its start may fall before one).
            let inside = (Int(bitPattern: bytes.baseAddress!) + LargePages.size - 1) / LargePages.size * LargePages.size
            XCTAssertEqual(LargePagesTests.hugePageEligibility(of: UnsafeRawPointer(bitPattern: inside)!), true)
        }
    }

    /// Whether the kernel gives huge pages at all (to everything, or where asked).
    private static var kernelOffersHugePages: Bool {
        guard let setting = try? String(contentsOfFile: "/sys/kernel/mm/transparent_hugepage/enabled", encoding: .utf8) else { return false }
        return !setting.contains("[never]")
    }

    /// The THPeligible line of the mapping of /proc/self/smaps that holds `address`.
    private static func hugePageEligibility(of address: UnsafeRawPointer) -> Bool? {
        // Read to the end by hand: /proc files report a size of 0, which some readers trust.
        guard let handle = FileHandle(forReadingAtPath: "/proc/self/smaps"), let data = try? handle.readToEnd() else { return nil }
        let smaps = String(decoding: data, as: UTF8.self)
        let target = UInt(bitPattern: Int(bitPattern: address))
        var inside = false
        for line in smaps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if let range = fields.first, range.contains("-"), !range.hasSuffix(":") {
                let bounds = range.split(separator: "-").compactMap { UInt($0, radix: 16) }
                inside = bounds.count == 2 && bounds[0] <= target && target < bounds[1]
            } else if inside, fields.first == "THPeligible:" {
                return fields.last == "1"
            }
        }
        return nil
    }
}
