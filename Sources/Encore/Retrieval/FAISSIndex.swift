import CFAISS
import Foundation

/// One FAISS inner-product index, owned (freed when dropped). FAISS's searches only read the
/// index and take their parameters per call, so one index is searched from many threads at
/// once; training and adding happen before it is shared (`ApproximateIndex.build`).
package final class FAISSIndex: @unchecked Sendable {
    private let handle: OpaquePointer
    /// The FAISS factory description it was made from ("IVF1126,Flat").
    package let description: String

    /// True when this build of Encore has FAISS (Package.swift leaves it out where
    /// libfaiss-dev is not installed).
    package static var isAvailable: Bool { encore_faiss_available() != 0 }

    /// What to do where FAISS is missing, in the words every index command uses.
    package static let missingMessage = "this Encore was built without FAISS, which the index needs: install it with scripts/setup (or apt-get install libfaiss-dev) and rebuild"

    /// An empty index of `dimension` from a FAISS factory description.
    package init(dimension: Int, description: String) throws {
        guard FAISSIndex.isAvailable else { throw EncoreError.invalidArgument(FAISSIndex.missingMessage) }
        var error = [CChar](repeating: 0, count: 512)
        guard let made = encore_faiss_create(Int32(dimension), description, &error, error.count) else {
            throw EncoreError.invalidArgument("FAISS cannot make an index '\(description)': \(String(cString: error))")
        }
        handle = made
        self.description = description
    }

    /// An index from FAISS's serialized bytes; `description` is what it was made from. With
    /// `releasingMappedPages` (only for bytes of a read-only file mapping) the pages read are let
    /// go behind the reading (`FileMapping.release`).
    package init(serialized bytes: UnsafeRawBufferPointer, description: String, releasingMappedPages: Bool = false) throws {
        guard FAISSIndex.isAvailable else { throw EncoreError.invalidArgument(FAISSIndex.missingMessage) }
        var error = [CChar](repeating: 0, count: 512)
        guard let base = bytes.baseAddress,
              let read = encore_faiss_deserialize(base.assumingMemoryBound(to: UInt8.self), bytes.count, releasingMappedPages ? 1 : 0, &error, error.count)
        else { throw EncoreError.invalidArgument("FAISS cannot read the index: \(String(cString: error))") }
        handle = read
        self.description = description
    }

    deinit { encore_faiss_free(handle) }

    /// Vectors held.
    package var count: Int { Int(encore_faiss_count(handle)) }

    /// Their dimension.
    package var dimension: Int { Int(encore_faiss_dimension(handle)) }

    /// Threads FAISS's training and adding use (its OpenMP loops).
    package static func setThreads(_ threads: Int) { encore_faiss_set_threads(Int32(threads)) }

    /// Trains on `count` contiguous vectors (a no-op for indexes that need none).
    package func train(_ vectors: UnsafePointer<Float>, count: Int) throws {
        try call("train") { encore_faiss_train(handle, Int64(count), vectors, $0, $1) }
    }

    /// Adds `count` contiguous vectors, numbered after those held.
    package func add(_ vectors: UnsafePointer<Float>, count: Int) throws {
        try call("add vectors to") { encore_faiss_add(handle, Int64(count), vectors, $0, $1) }
    }

    /// For an IVF index, the list each of `count` contiguous vectors belongs in; nil for other kinds.
    package func assign(_ vectors: UnsafePointer<Float>, count: Int) throws -> [Int64]? {
        var lists = [Int64](repeating: -1, count: count)
        var error = [CChar](repeating: 0, count: 512)
        let status = encore_faiss_assign(handle, Int64(count), vectors, &lists, &error, error.count)
        if status == -1 && error[0] == 0 { return nil }
        guard status == 0 else { throw EncoreError.invalidArgument("FAISS could not assign vectors to the index's lists: \(String(cString: error))") }
        return lists
    }

    /// Orders an IVF-flat index's lists longest vector first (nothing for other kinds).
    package func sortListsByLength() { encore_faiss_sort_lists_by_length(handle) }

    /// Makes room in an IVF index's lists for `counts[list]` more entries each (nothing for other kinds).
    package func reserve(_ counts: [Int64]) { encore_faiss_reserve(handle, counts, Int64(counts.count)) }

    /// Adds `count` contiguous vectors to an IVF index in the lists `assign` chose, numbered after those held.
    package func add(_ vectors: UnsafePointer<Float>, count: Int, lists: UnsafePointer<Int64>) throws {
        try call("add vectors to") { encore_faiss_add_assigned(handle, Int64(count), vectors, lists, $0, $1) }
    }

    /// The `k` best (label, inner product) pairs for each of `count` contiguous queries, as
    /// `count × k` labels (−1 where the search found fewer) and scores. `breadth` is the number
    /// of inverted lists an IVF index looks in (nprobe). `threads` is how many
    /// OpenMP threads this call may use (1 for a server thread answering one request).
    package func search(_ queries: UnsafePointer<Float>, count: Int, k: Int, breadth: Int, threads: Int = 1) throws -> (labels: [Int64], scores: [Float]) {
        var labels = [Int64](repeating: -1, count: count * k)
        var scores = [Float](repeating: -.infinity, count: count * k)
        try call("search") { error, capacity in
            encore_faiss_search(handle, Int64(count), queries, Int64(k), Int32(breadth), Int32(threads), &scores, &labels, error, capacity)
        }
        return (labels, scores)
    }

    /// For an IVF-flat index, its number of inverted lists; nil for other kinds.
    package var flatListCount: Int? {
        let count = encore_faiss_flat_list_count(handle)
        return count >= 0 ? Int(count) : nil
    }

    /// The `probes` lists an IVF-flat search of each of `count` queries looks in (`count ×
    /// probes`, -1 where fewer).
    package func probe(_ queries: UnsafePointer<Float>, count: Int, probes: Int, threads: Int = 1) throws -> [Int64] {
        var lists = [Int64](repeating: -1, count: count * probes)
        try call("probe") { encore_faiss_probe(handle, Int64(count), queries, Int32(probes), Int32(threads), &lists, $0, $1) }
        return lists
    }

    /// One list of an IVF-flat index: its labels and its vectors (rows of `dimension`), valid
    /// while the index lives.
    package func flatList(_ list: Int) -> (count: Int, labels: UnsafePointer<Int64>?, vectors: UnsafePointer<Float>?) {
        var labels: UnsafePointer<Int64>? = nil
        var vectors: UnsafePointer<Float>? = nil
        let count = encore_faiss_flat_list(handle, Int64(list), &labels, &vectors)
        return (Int(count), labels, vectors)
    }

    /// Bytes the index takes in FAISS's serialized form (FAISS writes it out to count it, keeping nothing).
    package func serializedLength() throws -> Int {
        var length = 0
        try call("measure") { encore_faiss_write(handle, nil, nil, &length, $0, $1) }
        return length
    }

    /// Hands the index in FAISS's serialized form to `sink` run by run (one inverted list at a
    /// time, not a copy of the whole index); an error `sink` throws stops the writing and is
    /// rethrown. Returns the bytes written.
    @discardableResult
    package func write(to sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Int {
        try withoutActuallyEscaping(sink) { sink in
            let box = SinkBox(sink)
            var length = 0
            let context = Unmanaged.passUnretained(box).toOpaque()
            do {
                try call("write") { encore_faiss_write(handle, { context, bytes, length in
                    let box = Unmanaged<SinkBox>.fromOpaque(context!).takeUnretainedValue()
                    do { try box.sink(UnsafeRawBufferPointer(start: bytes, count: length)) } catch { box.failure = error; return 1 }
                    return 0
                }, context, &length, $0, $1) }
            } catch {
                throw box.failure ?? error
            }
            return length
        }
    }

    /// The sink of `write` and the error it threw, for the C callback.
    private final class SinkBox {
        let sink: (UnsafeRawBufferPointer) throws -> Void
        var failure: Error?
        init(_ sink: @escaping (UnsafeRawBufferPointer) throws -> Void) { self.sink = sink }
    }

    private func call(_ what: String, _ body: (UnsafeMutablePointer<CChar>, Int) -> Int32) throws {
        var error = [CChar](repeating: 0, count: 512)
        let status = error.withUnsafeMutableBufferPointer { body($0.baseAddress!, $0.count) }
        guard status == 0 else { throw EncoreError.invalidArgument("FAISS could not \(what) the index: \(String(cString: error))") }
    }
}
