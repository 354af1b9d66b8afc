import Synchronization

/// A value worked out on first use and then kept for good: how an immutable value (a trained
/// model) carries what it derives from its parts without computing it all up front. The first
/// caller computes the value under a lock, later callers get that same value, so every caller
/// sees one value, as if it were a `let` set at construction. Checked `Sendable`: the lock is a
/// `Mutex` and the value itself must be `Sendable`.
package final class ComputedOnce<Value: Sendable>: Sendable {
    private let slot = Mutex<Value?>(nil)

    /// An empty slot.
    package init() {}

    /// The value, made by `make` on the first call; `make` must give the same answer every time
    /// (it is a function of immutable inputs) and must not ask this slot for its value.
    package func value(_ make: () -> Value) -> Value {
        slot.withLock { stored in
            if let stored { return stored }
            let made = make()
            stored = made
            return made
        }
    }
}
