import Foundation

/// Turns field bytes into numbers, with a fast path for plain decimals and a clear reason when
/// the text is not a usable value.
enum FieldParsing {
    /// Why a weight cell was refused.
    enum WeightProblem: Error {
        case missing, notANumber, nan, infinite, negative
    }

    /// Parses a weight: a finite, non-negative number that fits in Float32.
    static func weight(_ field: UnsafeBufferPointer<UInt8>) -> Result<Float, WeightProblem> {
        let trimmed = trim(field)
        guard trimmed.count > 0 else { return .failure(.missing) }
        let value: Double
        if let plain = plainDecimal(trimmed) {
            value = plain
        } else {
            guard let parsed = strtodWhole(trimmed) else { return .failure(.notANumber) }
            value = parsed
        }
        if value.isNaN { return .failure(.nan) }
        if value.isInfinite || abs(value) > Double(Float.greatestFiniteMagnitude) { return .failure(.infinite) }
        if value < 0 { return .failure(.negative) }
        return .success(Float(value))
    }

    /// A human reason for a refused weight.
    static func describe(_ problem: WeightProblem, text: String) -> String {
        switch problem {
        case .missing: return "the weight field is empty"
        case .notANumber: return "weight '\(text)' is not a number"
        case .nan: return "weight '\(text)' is NaN"
        case .infinite: return "weight '\(text)' is infinite or too large for a 32-bit float"
        case .negative: return "weight '\(text)' is negative"
        }
    }

    /// Parses a timestamp: integer or fractional Unix seconds, or ISO 8601
    /// `YYYY-MM-DD[T ]HH:MM:SS[Z]`.
    static func timestamp(_ field: UnsafeBufferPointer<UInt8>) -> Int64? {
        let trimmed = trim(field)
        guard trimmed.count > 0 else { return nil }
        if let plain = plainDecimal(trimmed) { return Int64(plain.rounded(.down)) }
        return iso8601(trimmed)
    }

    /// True when the cell reads as a number (used to tell a header line from data).
    static func isNumber(_ field: UnsafeBufferPointer<UInt8>) -> Bool {
        let trimmed = trim(field)
        return trimmed.count > 0 && (plainDecimal(trimmed) != nil || strtodWhole(trimmed) != nil)
    }

    private static func trim(_ field: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        var start = 0, end = field.count
        while start < end && (field[start] == 32 || field[start] == 9) { start += 1 }
        while end > start && (field[end - 1] == 32 || field[end - 1] == 9) { end -= 1 }
        return UnsafeBufferPointer(rebasing: field[start..<end])
    }

    /// Digits with at most one decimal point and at most 15 significant digits, parsed exactly
    /// enough for play counts; nil for anything else (signs, exponents, words).
    @inline(__always) private static func plainDecimal(_ bytes: UnsafeBufferPointer<UInt8>) -> Double? {
        guard bytes.count <= 15 else { return nil }
        var integer: Int64 = 0
        var fractionDigits = 0
        var seenPoint = false
        var digits = 0
        for byte in bytes {
            if byte >= 48 && byte <= 57 {
                integer = integer * 10 + Int64(byte - 48)
                digits += 1
                if seenPoint { fractionDigits += 1 }
            } else if byte == 46 && !seenPoint {
                seenPoint = true
            } else {
                return nil
            }
        }
        guard digits > 0 else { return nil }
        if fractionDigits == 0 { return Double(integer) }
        return Double(integer) / pow(10, Double(fractionDigits))
    }

    private static func strtodWhole(_ bytes: UnsafeBufferPointer<UInt8>) -> Double? {
        guard bytes.count < 64 else { return nil }
        var buffer = [CChar](repeating: 0, count: bytes.count + 1)
        for (index, byte) in bytes.enumerated() { buffer[index] = CChar(bitPattern: byte) }
        return buffer.withUnsafeMutableBufferPointer { cString -> Double? in
            var end: UnsafeMutablePointer<CChar>?
            let value = strtod(cString.baseAddress!, &end)
            guard let end, end == cString.baseAddress! + bytes.count, bytes.count > 0 else { return nil }
            return value
        }
    }

    private static func iso8601(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard bytes.count >= 19 else { return nil }
        func number(_ from: Int, _ length: Int) -> Int? {
            var value = 0
            for index in from..<(from + length) {
                let byte = bytes[index]
                guard byte >= 48 && byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        guard bytes[4] == 45, bytes[7] == 45, bytes[10] == 84 || bytes[10] == 32, bytes[13] == 58, bytes[16] == 58,
              let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
              let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
              (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        // Days from the civil date (Howard Hinnant's algorithm), so no calendar object per row.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
    }
}
