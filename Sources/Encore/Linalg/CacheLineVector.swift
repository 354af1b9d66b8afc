/// A SIMD vector of one 64-byte cache line — sixteen Floats or eight Doubles — with a fast sum
/// of its lanes: the unit VectorKernels' generic kernels work in.
public protocol CacheLineVector: SIMD where Scalar: BinaryFloatingPoint {
    /// The sum of the lanes, by halving.
    var laneSum: Scalar { get }
}

extension SIMD16: CacheLineVector where Scalar == Float {
    /// The sum of the lanes, by halving.
    @inline(__always) public var laneSum: Float { VectorKernels.horizontalSum(self) }
}

extension SIMD8: CacheLineVector where Scalar == Double {
    /// The sum of the lanes, by halving.
    @inline(__always) public var laneSum: Double { VectorKernels.horizontalSum(self) }
}
