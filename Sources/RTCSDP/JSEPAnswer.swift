/// An answer built by ``JSEP/answer(to:transceivers:transport:capabilities:options:sessionID:previousVersion:)``:
/// the description and the offered m-sections it rejected.
public struct JSEPAnswer: Hashable, Sendable {
    /// The answer.
    public var description: SDPDocument
    /// The rejected m-sections, in m-line order.
    public var rejections: [JSEPRejection]

    /// Creates an answer value.
    public init(description: SDPDocument, rejections: [JSEPRejection]) {
        self.description = description
        self.rejections = rejections
    }
}
