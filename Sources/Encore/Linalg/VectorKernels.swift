/// Small SIMD kernels over Float32 runs; they allocate nothing and are the inner loops of
/// training and retrieval.
public enum VectorKernels {
    /// Σ a[i]·b[i] over `n` elements.
    @inline(__always)
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        dot(a, b, n, in: SIMD16<Float>.self)
    }

    /// Σ a[i]·b[i] over `n` Double elements.
    @inline(__always)
    public static func dot(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ n: Int) -> Double {
        dot(a, b, n, in: SIMD8<Double>.self)
    }

    /// y[i] += alpha·x[i] over `n` elements.
    @inline(__always)
    public static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        axpy(alpha, x, y, n, in: SIMD16<Float>.self)
    }

    /// y[i] += alpha·x[i] over `n` Double elements.
    @inline(__always)
    public static func axpy(_ alpha: Double, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, _ n: Int) {
        axpy(alpha, x, y, n, in: SIMD8<Double>.self)
    }

    /// q[p] = rows[p]·v for `count` rows of `length` values stored one after another. Eight rows
    /// at a time when `length` is a multiple of 16: each slice of v is loaded once for the eight,
    /// eight independent chains of multiply-adds keep both FMA pipes busy, and the eight sums
    /// are reduced together (`laneSums`) instead of one by one: less than half the time of four
    /// rows with separate reductions at k = 64 with AVX-512 (0.9 against 2.0 ns a row). A row's
    /// sum is added in the same order in an eight-row block as in a four-row one (one
    /// accumulator, then its lanes by halving).
    @inline(__always)
    public static func rowDots(
        _ rows: UnsafePointer<Float>, count: Int, length: Int, _ v: UnsafePointer<Float>, into q: UnsafeMutablePointer<Float>
    ) {
        typealias V = SIMD16<Float>
        var p = 0
        if length % 16 == 0 {
            let raw = UnsafeRawPointer(rows), rawV = UnsafeRawPointer(v), rawQ = UnsafeMutableRawPointer(q), stride = length * 4
            while p + 8 <= count {
                var a0 = V(), a1 = V(), a2 = V(), a3 = V(), a4 = V(), a5 = V(), a6 = V(), a7 = V()
                let base = p * stride
                var offset = 0
                while offset < stride {
                    let x = rawV.loadUnaligned(fromByteOffset: offset, as: V.self)
                    a0 = a0.addingProduct(raw.loadUnaligned(fromByteOffset: base + offset, as: V.self), x)
                    a1 = a1.addingProduct(raw.loadUnaligned(fromByteOffset: base + stride + offset, as: V.self), x)
                    a2 = a2.addingProduct(raw.loadUnaligned(fromByteOffset: base + 2 * stride + offset, as: V.self), x)
                    a3 = a3.addingProduct(raw.loadUnaligned(fromByteOffset: base + 3 * stride + offset, as: V.self), x)
                    a4 = a4.addingProduct(raw.loadUnaligned(fromByteOffset: base + 4 * stride + offset, as: V.self), x)
                    a5 = a5.addingProduct(raw.loadUnaligned(fromByteOffset: base + 5 * stride + offset, as: V.self), x)
                    a6 = a6.addingProduct(raw.loadUnaligned(fromByteOffset: base + 6 * stride + offset, as: V.self), x)
                    a7 = a7.addingProduct(raw.loadUnaligned(fromByteOffset: base + 7 * stride + offset, as: V.self), x)
                    offset += 64
                }
                rawQ.storeBytes(of: laneSums(a0, a1, a2, a3, a4, a5, a6, a7), toByteOffset: p * 4, as: SIMD8<Float>.self)
                p += 8
            }
        }
        if p < count {
            rowDots(rows + p * length, count: count - p, length: length, v, into: q + p, in: SIMD16<Float>.self)
        }
    }

    /// The lane sums of eight vectors, [a0.sum, …, a7.sum], each added in `horizontalSum`'s
    /// order (halves, then quarters, eighths, pairs), but by shuffles that serve two or four
    /// vectors at once.
    @inline(__always)
    static func laneSums(
        _ a0: SIMD16<Float>, _ a1: SIMD16<Float>, _ a2: SIMD16<Float>, _ a3: SIMD16<Float>,
        _ a4: SIMD16<Float>, _ a5: SIMD16<Float>, _ a6: SIMD16<Float>, _ a7: SIMD16<Float>
    ) -> SIMD8<Float> {
        let fours0 = SIMD16(lowHalf: quarterSums(halfSums(a0, a1)), highHalf: quarterSums(halfSums(a2, a3)))
        let fours1 = SIMD16(lowHalf: quarterSums(halfSums(a4, a5)), highHalf: quarterSums(halfSums(a6, a7)))
        let twos = SIMD16(lowHalf: eighthSums(fours0), highHalf: eighthSums(fours1))
        return twos.evenHalf + twos.oddHalf
    }

    /// [a.lowHalf + a.highHalf | b.lowHalf + b.highHalf]: each vector's eight half sums.
    @inline(__always)
    static func halfSums(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> {
        SIMD16(lowHalf: a.lowHalf + a.highHalf, highHalf: b.lowHalf + b.highHalf)
    }

    /// [a8 | b8] → [a4 | b4]: each run of eight summed into four, its low quarter plus its high.
    @inline(__always)
    static func quarterSums(_ x: SIMD16<Float>) -> SIMD8<Float> {
        SIMD8(lowHalf: x.lowHalf.lowHalf, highHalf: x.highHalf.lowHalf) + SIMD8(lowHalf: x.lowHalf.highHalf, highHalf: x.highHalf.highHalf)
    }

    /// [a4 | b4 | c4 | d4] → [a2 | b2 | c2 | d2]: each run of four's first pair plus its second,
    /// the pairs moved as 64-bit units.
    @inline(__always)
    static func eighthSums(_ x: SIMD16<Float>) -> SIMD8<Float> {
        let pairs = unsafeBitCast(x, to: SIMD8<UInt64>.self)
        return unsafeBitCast(pairs.evenHalf, to: SIMD8<Float>.self) + unsafeBitCast(pairs.oddHalf, to: SIMD8<Float>.self)
    }

    /// The same for Double rows, four at a time when `length` is a multiple of 8.
    @inline(__always)
    public static func rowDots(
        _ rows: UnsafePointer<Double>, count: Int, length: Int, _ v: UnsafePointer<Double>, into q: UnsafeMutablePointer<Double>
    ) {
        rowDots(rows, count: count, length: length, v, into: q, in: SIMD8<Double>.self)
    }

    // The kernels above, written once for a vector V of one 64-byte cache line of Float or
    // Double; always inlined into the typed entry points, so each is compiled for its type.

    @inline(__always)
    static func dot<V: CacheLineVector>(_ a: UnsafePointer<V.Scalar>, _ b: UnsafePointer<V.Scalar>, _ n: Int, in _: V.Type) -> V.Scalar {
        var acc0 = V(), acc1 = V()
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b), width = V.scalarCount, size = MemoryLayout<V.Scalar>.stride
        var i = 0
        while i + 2 * width <= n {
            // addingProduct compiles to fused multiply-adds; `+=` of a product does not.
            acc0 = acc0.addingProduct(ra.loadUnaligned(fromByteOffset: i * size, as: V.self), rb.loadUnaligned(fromByteOffset: i * size, as: V.self))
            acc1 = acc1.addingProduct(ra.loadUnaligned(fromByteOffset: (i + width) * size, as: V.self),
                                      rb.loadUnaligned(fromByteOffset: (i + width) * size, as: V.self))
            i += 2 * width
        }
        if i + width <= n {
            acc0 = acc0.addingProduct(ra.loadUnaligned(fromByteOffset: i * size, as: V.self), rb.loadUnaligned(fromByteOffset: i * size, as: V.self))
            i += width
        }
        var sum = (acc0 + acc1).laneSum
        while i < n { sum += a[i] * b[i]; i += 1 }
        return sum
    }

    @inline(__always)
    static func axpy<V: CacheLineVector>(_ alpha: V.Scalar, _ x: UnsafePointer<V.Scalar>, _ y: UnsafeMutablePointer<V.Scalar>, _ n: Int, in _: V.Type) {
        let rx = UnsafeRawPointer(x), ry = UnsafeMutableRawPointer(y), width = V.scalarCount, size = MemoryLayout<V.Scalar>.stride
        let a = V(repeating: alpha)
        var i = 0
        while i + width <= n {
            let v = ry.loadUnaligned(fromByteOffset: i * size, as: V.self).addingProduct(a, rx.loadUnaligned(fromByteOffset: i * size, as: V.self))
            ry.storeBytes(of: v, toByteOffset: i * size, as: V.self)
            i += width
        }
        while i < n { y[i] += alpha * x[i]; i += 1 }
    }

    @inline(__always)
    static func rowDots<V: CacheLineVector>(
        _ rows: UnsafePointer<V.Scalar>, count: Int, length: Int, _ v: UnsafePointer<V.Scalar>, into q: UnsafeMutablePointer<V.Scalar>, in _: V.Type
    ) {
        var p = 0
        if length % V.scalarCount == 0 {
            let raw = UnsafeRawPointer(rows), rawV = UnsafeRawPointer(v), stride = length * MemoryLayout<V.Scalar>.stride
            while p + 4 <= count {
                var a0 = V(), a1 = V(), a2 = V(), a3 = V()
                let base = p * stride
                var offset = 0
                while offset < stride {
                    let x = rawV.loadUnaligned(fromByteOffset: offset, as: V.self)
                    a0 = a0.addingProduct(raw.loadUnaligned(fromByteOffset: base + offset, as: V.self), x)
                    a1 = a1.addingProduct(raw.loadUnaligned(fromByteOffset: base + stride + offset, as: V.self), x)
                    a2 = a2.addingProduct(raw.loadUnaligned(fromByteOffset: base + 2 * stride + offset, as: V.self), x)
                    a3 = a3.addingProduct(raw.loadUnaligned(fromByteOffset: base + 3 * stride + offset, as: V.self), x)
                    offset += 64
                }
                q[p] = a0.laneSum
                q[p + 1] = a1.laneSum
                q[p + 2] = a2.laneSum
                q[p + 3] = a3.laneSum
                p += 4
            }
        }
        while p < count {
            q[p] = dot(rows + p * length, v, length, in: V.self)
            p += 1
        }
    }

    /// The sum of a vector's lanes by halving it four times: the standard library's `sum()` is
    /// not inlined and adds the sixteen lanes one at a time, which at k = 64 costs as much as
    /// the dot product it ends.
    @inline(__always)
    public static func horizontalSum(_ v: SIMD16<Float>) -> Float {
        let eight = v.lowHalf + v.highHalf
        let four = eight.lowHalf + eight.highHalf
        let two = four.lowHalf + four.highHalf
        return two[0] + two[1]
    }

    /// out = alpha·x + G·v for a symmetric n×n row-major G, summed column by column so that no
    /// horizontal reduction is needed (64 dot products each ending in a reduction cost more
    /// than the multiply-adds themselves at k = 64).
    @inline(__always)
    public static func symmetricMultiply(
        _ g: UnsafePointer<Float>, _ v: UnsafePointer<Float>, plus alpha: Float, times x: UnsafePointer<Float>,
        into out: UnsafeMutablePointer<Float>, _ n: Int
    ) {
        for i in 0..<n { out[i] = alpha * x[i] }
        accumulateRows(g, count: n, length: n, weights: v, into: out)
    }

    /// out += Σ_p w[p]·rows[p] for `count` rows of `length` values stored one after another.
    /// Sixty-four (else sixteen) columns at a time, with accumulators held in registers across
    /// all rows, so `out` is loaded and stored once per block of columns rather than once per
    /// row (a chain of store-to-load waits in the row-by-row axpy); for sixty-four columns, even
    /// and odd rows have a set each, so that one row's multiply-adds need not wait on the last's.
    @inline(__always)
    public static func accumulateRows(
        _ rows: UnsafePointer<Float>, count: Int, length: Int, weights w: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>
    ) {
        let raw = UnsafeRawPointer(rows), rawOut = UnsafeMutableRawPointer(out)
        let stride = length * 4
        var c = 0
        // One broadcast of a row's weight serves four vectors of sixteen columns (k = 128 ran
        // 5–8% faster than with one per sixteen).
        while c + 64 <= length {
            var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
            // Odd rows go to a second set, so that two chains of multiply-adds run side by side.
            var b0 = SIMD16<Float>(), b1 = SIMD16<Float>(), b2 = SIMD16<Float>(), b3 = SIMD16<Float>()
            var offset = c * 4
            var p = 0
            while p + 2 <= count {
                let weight = SIMD16<Float>(repeating: w[p]), next = SIMD16<Float>(repeating: w[p + 1])
                a0 = a0.addingProduct(weight, raw.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self))
                a1 = a1.addingProduct(weight, raw.loadUnaligned(fromByteOffset: offset + 64, as: SIMD16<Float>.self))
                a2 = a2.addingProduct(weight, raw.loadUnaligned(fromByteOffset: offset + 128, as: SIMD16<Float>.self))
                a3 = a3.addingProduct(weight, raw.loadUnaligned(fromByteOffset: offset + 192, as: SIMD16<Float>.self))
                b0 = b0.addingProduct(next, raw.loadUnaligned(fromByteOffset: offset + stride, as: SIMD16<Float>.self))
                b1 = b1.addingProduct(next, raw.loadUnaligned(fromByteOffset: offset + stride + 64, as: SIMD16<Float>.self))
                b2 = b2.addingProduct(next, raw.loadUnaligned(fromByteOffset: offset + stride + 128, as: SIMD16<Float>.self))
                b3 = b3.addingProduct(next, raw.loadUnaligned(fromByteOffset: offset + stride + 192, as: SIMD16<Float>.self))
                offset += 2 * stride
                p += 2
            }
            if p < count {
                let weight = SIMD16<Float>(repeating: w[p])
                a0 = a0.addingProduct(weight, raw.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self))
                a1 = a1.addingProduct(weight, raw.loadUnaligned(fromByteOffset: offset + 64, as: SIMD16<Float>.self))
                a2 = a2.addingProduct(weight, raw.loadUnaligned(fromByteOffset: offset + 128, as: SIMD16<Float>.self))
                a3 = a3.addingProduct(weight, raw.loadUnaligned(fromByteOffset: offset + 192, as: SIMD16<Float>.self))
            }
            a0 += b0
            a1 += b1
            a2 += b2
            a3 += b3
            let at = c * 4
            rawOut.storeBytes(of: rawOut.loadUnaligned(fromByteOffset: at, as: SIMD16<Float>.self) + a0, toByteOffset: at, as: SIMD16<Float>.self)
            rawOut.storeBytes(of: rawOut.loadUnaligned(fromByteOffset: at + 64, as: SIMD16<Float>.self) + a1, toByteOffset: at + 64, as: SIMD16<Float>.self)
            rawOut.storeBytes(of: rawOut.loadUnaligned(fromByteOffset: at + 128, as: SIMD16<Float>.self) + a2, toByteOffset: at + 128, as: SIMD16<Float>.self)
            rawOut.storeBytes(of: rawOut.loadUnaligned(fromByteOffset: at + 192, as: SIMD16<Float>.self) + a3, toByteOffset: at + 192, as: SIMD16<Float>.self)
            c += 64
        }
        while c + 16 <= length {
            var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
            var p = 0
            var offset = c * 4
            while p + 4 <= count {
                a0 = a0.addingProduct(SIMD16(repeating: w[p]), raw.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self))
                a1 = a1.addingProduct(SIMD16(repeating: w[p + 1]), raw.loadUnaligned(fromByteOffset: offset + stride, as: SIMD16<Float>.self))
                a2 = a2.addingProduct(SIMD16(repeating: w[p + 2]), raw.loadUnaligned(fromByteOffset: offset + 2 * stride, as: SIMD16<Float>.self))
                a3 = a3.addingProduct(SIMD16(repeating: w[p + 3]), raw.loadUnaligned(fromByteOffset: offset + 3 * stride, as: SIMD16<Float>.self))
                p += 4
                offset += 4 * stride
            }
            while p < count {
                a0 = a0.addingProduct(SIMD16(repeating: w[p]), raw.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self))
                p += 1
                offset += stride
            }
            let total = rawOut.loadUnaligned(fromByteOffset: c * 4, as: SIMD16<Float>.self) + ((a0 + a1) + (a2 + a3))
            rawOut.storeBytes(of: total, toByteOffset: c * 4, as: SIMD16<Float>.self)
            c += 16
        }
        while c < length {
            var sum: Float = 0
            for p in 0..<count { sum += w[p] * rows[p * length + c] }
            out[c] += sum
            c += 1
        }
    }

    /// to[i] = from[i] over `n` elements, inline: the per-call overhead of memmove is as large as
    /// copying one factor row, and gathers copy one row per observed entry.
    @inline(__always)
    public static func copy(_ from: UnsafePointer<Float>, to: UnsafeMutablePointer<Float>, _ n: Int) {
        let source = UnsafeRawPointer(from), target = UnsafeMutableRawPointer(to)
        var i = 0
        while i + 16 <= n {
            target.storeBytes(of: source.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self), toByteOffset: i * 4, as: SIMD16<Float>.self)
            i += 16
        }
        while i < n { to[i] = from[i]; i += 1 }
    }

    /// Copies `n` elements like `copy` and returns their dot product with `v`, computed from the
    /// registers the copy passes through: a gather waits on memory for each row it copies, and
    /// this puts that wait to use.
    @inline(__always)
    public static func copyAndDot(_ from: UnsafePointer<Float>, to: UnsafeMutablePointer<Float>, _ v: UnsafePointer<Float>, _ n: Int) -> Float {
        let source = UnsafeRawPointer(from), target = UnsafeMutableRawPointer(to), rawV = UnsafeRawPointer(v)
        var acc0 = SIMD16<Float>(), acc1 = SIMD16<Float>()
        var i = 0
        while i + 32 <= n {
            let a = source.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            let b = source.loadUnaligned(fromByteOffset: (i + 16) * 4, as: SIMD16<Float>.self)
            target.storeBytes(of: a, toByteOffset: i * 4, as: SIMD16<Float>.self)
            target.storeBytes(of: b, toByteOffset: (i + 16) * 4, as: SIMD16<Float>.self)
            acc0 = acc0.addingProduct(a, rawV.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self))
            acc1 = acc1.addingProduct(b, rawV.loadUnaligned(fromByteOffset: (i + 16) * 4, as: SIMD16<Float>.self))
            i += 32
        }
        if i + 16 <= n {
            let a = source.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            target.storeBytes(of: a, toByteOffset: i * 4, as: SIMD16<Float>.self)
            acc0 = acc0.addingProduct(a, rawV.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self))
            i += 16
        }
        var sum = horizontalSum(acc0 + acc1)
        while i < n { to[i] = from[i]; sum += from[i] * v[i]; i += 1 }
        return sum
    }

    /// r = b − (d + ridge)∘x − Σ_p w_p (y_p·x) y_p over `count` Float rows y_p of `length` values
    /// stored one after another, every product and sum in Double: the residual of a row's normal
    /// equations (G diagonal as `d`) for a solution found in Float.
    public static func residual(
        _ b: UnsafePointer<Double>, diagonal d: UnsafePointer<Double>, ridge: Double, rows: UnsafePointer<Float>, weights w: UnsafePointer<Float>,
        count: Int, length: Int, _ x: UnsafePointer<Double>, into r: UnsafeMutablePointer<Double>
    ) {
        for j in 0..<length { r[j] = b[j] - (d[j] + ridge) * x[j] }
        let rawRows = UnsafeRawPointer(rows), rawX = UnsafeRawPointer(x), rawR = UnsafeMutableRawPointer(r)
        let vectorized = length / 8 * 8
        for p in 0..<count where w[p] != 0 {
            let row = p * length
            var acc = SIMD8<Double>()
            var j = 0
            while j < vectorized {
                let y = SIMD8<Double>(rawRows.loadUnaligned(fromByteOffset: (row + j) * 4, as: SIMD8<Float>.self))
                acc = acc.addingProduct(y, rawX.loadUnaligned(fromByteOffset: j * 8, as: SIMD8<Double>.self))
                j += 8
            }
            var score = horizontalSum(acc)
            while j < length { score += Double(rows[row + j]) * x[j]; j += 1 }
            let weight = SIMD8<Double>(repeating: -Double(w[p]) * score)
            j = 0
            while j < vectorized {
                let y = SIMD8<Double>(rawRows.loadUnaligned(fromByteOffset: (row + j) * 4, as: SIMD8<Float>.self))
                let updated = rawR.loadUnaligned(fromByteOffset: j * 8, as: SIMD8<Double>.self).addingProduct(weight, y)
                rawR.storeBytes(of: updated, toByteOffset: j * 8, as: SIMD8<Double>.self)
                j += 8
            }
            while j < length { r[j] -= Double(w[p]) * score * Double(rows[row + j]); j += 1 }
        }
    }

    /// The sum of a Double vector's lanes by halving it.
    @inline(__always)
    public static func horizontalSum(_ v: SIMD8<Double>) -> Double {
        let four = v.lowHalf + v.highHalf, two = four.lowHalf + four.highHalf
        return two[0] + two[1]
    }

    /// x[i] *= alpha over `n` elements.
    @inline(__always)
    public static func scale(_ x: UnsafeMutablePointer<Float>, _ alpha: Float, _ n: Int) {
        for i in 0..<n { x[i] *= alpha }
    }
}
