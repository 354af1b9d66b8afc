import Foundation
import Synchronization

/// A value worked out on first use and then kept for good: how an immutable value (a trained
/// model) carries what it derives from its parts without computing it all up front. The first
/// caller computes the value under a lock, later callers get that same value, so every caller
/// sees one value, as if it were a `let` set at construction.
///
/// Once the value is there, reading it takes no lock: a flag set with release ordering after the
/// value is stored, read with acquire ordering before it is used. A lock on every read made the
/// server's radio collapse at 64 connections (9–95 stations a second against 120–140 at two):
/// each station read the item lengths a few thousand times, and Swift's `Mutex` on Linux is a
/// priority-inheritance futex, whose contended path goes through the kernel every time.
/// `@unchecked Sendable`: the value is written once, under the lock, before the flag is set, and
/// never again; the value itself must be `Sendable`.
package final class ComputedOnce<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private let ready = Atomic<Bool>(false)
    /// Written once, under `lock`, before `ready` is set.
    private var stored: Value?

    /// An empty slot.
    package init() {}

    /// The value, made by `make` on the first call; `make` must give the same answer every time
    /// (it is a function of immutable inputs) and must not ask this slot for its value.
    package func value(_ make: () -> Value) -> Value {
        if ready.load(ordering: .acquiring) { return stored.unsafelyUnwrapped }
        lock.lock()
        defer { lock.unlock() }
        if let stored { return stored }
        let made = make()
        stored = made
        ready.store(true, ordering: .releasing)
        return made
    }
}
