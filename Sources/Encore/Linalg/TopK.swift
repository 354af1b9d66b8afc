/// One scored item: its dense index and score.
package struct ScoredItem: Equatable, Sendable {
    /// Dense item (or user) index.
    package var index: Int
    /// Its score; larger is better.
    package var score: Float

    /// A scored entry.
    package init(index: Int, score: Float) {
        self.index = index
        self.score = score
    }
}

/// Keeps the best `k` of a stream of scores with a bounded min-heap; ties go to the lower
/// index so results never depend on scan order.
package struct TopK {
    /// How many entries are kept.
    package let k: Int
    private var heap: [ScoredItem] = []

    /// A selector keeping the best `k` entries.
    package init(k: Int) {
        self.k = max(0, k)
        heap.reserveCapacity(self.k)
    }

    /// True when `a` ranks below `b` (lower score, or equal score and higher index).
    @inline(__always) static func worse(_ a: ScoredItem, _ b: ScoredItem) -> Bool {
        a.score < b.score || (a.score == b.score && a.index > b.index)
    }

    /// The lowest score kept, or -infinity while fewer than `k` entries are held.
    @inline(__always) package var threshold: Float { heap.count < k ? -.infinity : heap[0].score }

    /// Offers one entry.
    @inline(__always) package mutating func offer(index: Int, score: Float) {
        guard k > 0, !score.isNaN else { return }
        let entry = ScoredItem(index: index, score: score)
        if heap.count < k {
            heap.append(entry)
            var child = heap.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                if TopK.worse(heap[child], heap[parent]) { heap.swapAt(child, parent); child = parent } else { break }
            }
        } else if TopK.worse(heap[0], entry) {
            heap[0] = entry
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var smallest = parent
                if left < heap.count && TopK.worse(heap[left], heap[smallest]) { smallest = left }
                if right < heap.count && TopK.worse(heap[right], heap[smallest]) { smallest = right }
                if smallest == parent { break }
                heap.swapAt(parent, smallest)
                parent = smallest
            }
        }
    }

    /// The kept entries, best first.
    package func sorted() -> [ScoredItem] { heap.sorted { TopK.worse($1, $0) } }

    /// Empties the selector for reuse.
    package mutating func reset() { heap.removeAll(keepingCapacity: true) }
}

/// The first `count` of a stream under any strict order `before`, kept sorted: for the name
/// searches, whose orders (edit distance, then text; listeners, then name) are not a float score.
/// Most of a long stream is turned away by one comparison with the last kept element.
struct FirstInOrder<Element> {
    /// How many elements are kept.
    let count: Int
    /// Whether the first argument comes before the second.
    let before: (Element, Element) -> Bool
    /// The elements kept, first first.
    private(set) var elements: [Element] = []

    init(count: Int, before: @escaping (Element, Element) -> Bool) {
        self.count = max(0, count)
        self.before = before
        elements.reserveCapacity(self.count + 1)
    }

    /// The last element kept once `count` are kept; nil before that (anything may enter).
    var lastKept: Element? { elements.count == count ? elements.last : nil }

    /// Keeps `element` if it comes before the last kept one or there is room.
    mutating func offer(_ element: Element) {
        if let lastKept, !before(element, lastKept) { return }
        var low = 0, high = elements.count
        while low < high {
            let middle = (low + high) / 2
            if before(elements[middle], element) { low = middle + 1 } else { high = middle }
        }
        elements.insert(element, at: low)
        if elements.count > count { elements.removeLast() }
    }
}
