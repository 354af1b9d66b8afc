/// Facts about the Encore library itself.
///
/// (A namespace of its own rather than a type named `Encore`: a type with its module's name
/// would stop users from writing `Encore.Recommendation` to tell Encore's type from their own.)
public enum EncoreLibrary {
    /// The release this source is, as a semantic version ("0.2.0"): the git tag it is published
    /// under and what `encore --version` prints.
    public static let version = "0.2.0"
}
