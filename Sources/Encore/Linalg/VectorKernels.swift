/// Small SIMD kernels over Float32 runs; they allocate nothing and are the inner loops of
/// training and retrieval.
public enum VectorKernels {
    /// Σ a[i]·b[i] over `n` elements.
    @inline(__always)
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc0 = SIMD16<Float>(), acc1 = SIMD16<Float>()
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        var i = 0
        while i + 32 <= n {
            // addingProduct compiles to fused multiply-adds; `+=` of a product does not.
            acc0 = acc0.addingProduct(ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self),
                                      rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self))
            acc1 = acc1.addingProduct(ra.loadUnaligned(fromByteOffset: (i + 16) * 4, as: SIMD16<Float>.self),
                                      rb.loadUnaligned(fromByteOffset: (i + 16) * 4, as: SIMD16<Float>.self))
            i += 32
        }
        if i + 16 <= n {
            acc0 = acc0.addingProduct(ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self),
                                      rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self))
            i += 16
        }
        var sum = (acc0 + acc1).sum()
        while i < n { sum += a[i] * b[i]; i += 1 }
        return sum
    }

    /// y[i] += alpha·x[i] over `n` elements.
    @inline(__always)
    public static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        let rx = UnsafeRawPointer(x), ry = UnsafeMutableRawPointer(y)
        let a = SIMD16<Float>(repeating: alpha)
        var i = 0
        while i + 16 <= n {
            let v = ry.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
                .addingProduct(a, rx.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self))
            ry.storeBytes(of: v, toByteOffset: i * 4, as: SIMD16<Float>.self)
            i += 16
        }
        while i < n { y[i] += alpha * x[i]; i += 1 }
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
        for j in 0..<n { axpy(v[j], g + j * n, out, n) }
    }

    /// x[i] *= alpha over `n` elements.
    @inline(__always)
    public static func scale(_ x: UnsafeMutablePointer<Float>, _ alpha: Float, _ n: Int) {
        for i in 0..<n { x[i] *= alpha }
    }
}
