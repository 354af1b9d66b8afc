/// The elements of an immutable array that lives either in a Swift array or in a mapped file
/// (`FileMapping`), which it keeps alive: how `SparseMatrix` holds a model file's training
/// matrix without copying it. It reads like an array — `count`, subscript, iteration,
/// `withUnsafeBufferPointer` — so code written against arrays compiles unchanged.
package struct MappableArray<Element>: RandomAccessCollection, @unchecked Sendable {
    private enum Storage {
        case array([Element])
        /// Elements inside a mapping, which the second value keeps alive.
        case mapped(UnsafeBufferPointer<Element>, FileMapping)
    }

    private let storage: Storage

    /// The elements of `array` (not copied).
    package init(_ array: [Element]) { storage = .array(array) }

    package var startIndex: Int { 0 }
    package var endIndex: Int {
        switch storage {
        case .array(let array): array.count
        case .mapped(let buffer, _): buffer.count
        }
    }

    package subscript(position: Int) -> Element {
        switch storage {
        case .array(let array): return array[position]
        case .mapped(let buffer, _):
            precondition(position >= 0 && position < buffer.count, "index out of range")
            return buffer[position]
        }
    }

    /// Calls `body` with the elements as one contiguous buffer.
    package func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Element>) throws -> R) rethrows -> R {
        switch storage {
        case .array(let array): try array.withUnsafeBufferPointer(body)
        case .mapped(let buffer, _): try body(buffer)
        }
    }

    /// The elements' buffer, so that generic code that asks (`Array(_:)`) copies them in bulk
    /// rather than through the subscript one at a time.
    package func withContiguousStorageIfAvailable<R>(_ body: (UnsafeBufferPointer<Element>) throws -> R) rethrows -> R? {
        try withUnsafeBufferPointer(body)
    }

    /// The elements as a Swift array: the array itself when they are one (not copied; unique
    /// again once the matrix holding it is gone, so it can be changed in place), else a copy.
    package var array: [Element] {
        switch storage {
        case .array(let array): array
        case .mapped(let buffer, _): Array(buffer)
        }
    }

    /// The raw bytes of the elements.
    package func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBufferPointer { try body(UnsafeRawBufferPointer($0)) }
    }

    /// Whether the elements sit on a mapped file rather than in memory of their own.
    package var isMapped: Bool {
        if case .mapped = storage { return true }
        return false
    }
}

extension MappableArray where Element: BitwiseCopyable {
    /// `count` elements at `start`, inside `mapping`; the caller has checked bounds and alignment.
    package init(mappedAt start: UnsafePointer<Element>, count: Int, in mapping: FileMapping) {
        storage = .mapped(UnsafeBufferPointer(start: start, count: count), mapping)
    }
}

extension MappableArray: ExpressibleByArrayLiteral {
    package init(arrayLiteral elements: Element...) { self.init(elements) }
}

extension MappableArray: Equatable where Element: Equatable {
    package static func == (lhs: MappableArray, rhs: MappableArray) -> Bool { lhs.elementsEqual(rhs) }
}

/// A Swift array or a `MappableArray`: what `SparseMatrix`'s initializers take for each of its
/// three arrays, so that a caller may hand over arrays, a matrix's own arrays, or a mix.
package protocol MappableArrayConvertible<Element> {
    associatedtype Element
    /// The elements as a `MappableArray` (an array is not copied).
    var asMappableArray: MappableArray<Element> { get }
}

extension Array: MappableArrayConvertible {
    package var asMappableArray: MappableArray<Element> { MappableArray(self) }
}

extension MappableArray: MappableArrayConvertible {
    package var asMappableArray: MappableArray<Element> { self }
}
