import Encore
import EncoreCLI

/// The EASE flags of `evaluate` (and the fixed ones of `tune --model ease`).
struct EASEOptions {
    /// λ added to the diagonal of XᵀX.
    var regularization: Double
    /// What X holds for a played pair.
    var input: EASEInput
    /// The arithmetic of the inverse.
    var precision: EASEPrecision

    /// The default λ for each input, from the tuned Last.fm 2K runs in docs/evaluation.md: the
    /// log input's entries are several times the binary ones, so its λ is larger.
    static func defaultRegularization(_ input: EASEInput) -> Double { input == .binary ? 100 : 2000 }

    static let help = """
      EASE options (--model ease: a dense items × items inverse, refused when it does not fit in memory):
        --ease-regularization L        λ (default 2000 with --ease-input log, 100 with binary)
        --ease-input binary|log        X holds 1 or log(1 + plays) for a played pair (default log)
        --ease-precision float|double  arithmetic of the inverse (default float)
    """

    init(_ arguments: CommandLineArguments) throws {
        input = try arguments.choice("--ease-input", default: .log)
        regularization = Double(try arguments.float("--ease-regularization", default: Float(EASEOptions.defaultRegularization(input)), in: .above(0)))
        precision = try arguments.choice("--ease-precision", default: .float)
    }

    /// EASE on `train`; the library's messages name `regularization`, the CLI's flag is --ease-regularization.
    func fit(_ train: SparseMatrix, threads: Int) throws -> EASERecommender {
        do {
            return try EASERecommender(train, regularization: regularization, input: input, precision: precision, threads: threads)
        } catch let EncoreError.invalidParameter(name, value, requirement) where name == "regularization" {
            throw UsageError("--ease-regularization must \(requirement) (got \(value))")
        }
    }

    /// The model's name in tables and JSON.
    var label: String { "ease (\(input.rawValue))" }
}
