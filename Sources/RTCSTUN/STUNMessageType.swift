/// A STUN method (RFC 8489 §5, §18.2): the 12-bit operation a message belongs to.
public struct STUNMethod: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The 12-bit method number.
    public var rawValue: UInt16

    /// Creates a method from its number (only the low 12 bits are used on the wire).
    public init(rawValue: UInt16) { self.rawValue = rawValue & 0x0fff }

    /// Binding (RFC 8489 §18.2).
    public static let binding = STUNMethod(rawValue: 0x001)
    /// Allocate (RFC 8656 §17).
    public static let allocate = STUNMethod(rawValue: 0x003)
    /// Refresh (RFC 8656 §17).
    public static let refresh = STUNMethod(rawValue: 0x004)
    /// Send (RFC 8656 §17).
    public static let send = STUNMethod(rawValue: 0x006)
    /// Data (RFC 8656 §17).
    public static let data = STUNMethod(rawValue: 0x007)
    /// CreatePermission (RFC 8656 §17).
    public static let createPermission = STUNMethod(rawValue: 0x008)
    /// ChannelBind (RFC 8656 §17).
    public static let channelBind = STUNMethod(rawValue: 0x009)

    /// A readable name, e.g. `Binding` or `0x0abc`.
    public var description: String {
        switch self {
        case .binding: return "Binding"
        case .allocate: return "Allocate"
        case .refresh: return "Refresh"
        case .send: return "Send"
        case .data: return "Data"
        case .createPermission: return "CreatePermission"
        case .channelBind: return "ChannelBind"
        default: return "0x" + String(rawValue, radix: 16)
        }
    }
}

/// The class of a STUN message (RFC 8489 §5): request, indication, success or error response.
public enum STUNClass: UInt8, Sendable, Hashable {
    /// A request (C1C0 = 0b00).
    case request = 0
    /// An indication (C1C0 = 0b01).
    case indication = 1
    /// A success response (C1C0 = 0b10).
    case successResponse = 2
    /// An error response (C1C0 = 0b11).
    case errorResponse = 3
}

/// The 14-bit message type of RFC 8489 §5: a method and a class, with the class bits
/// interleaved between the method bits (`M11..M7 C1 M6..M4 C0 M3..M0`).
public struct STUNMessageType: Hashable, Sendable, CustomStringConvertible {
    /// The method.
    public var method: STUNMethod
    /// The class.
    public var messageClass: STUNClass

    /// Creates a message type.
    public init(method: STUNMethod, messageClass: STUNClass) {
        self.method = method
        self.messageClass = messageClass
    }

    /// Decodes the 16-bit type field (RFC 8489 §5). The two top bits must be zero; callers
    /// check that before (they mark a non-STUN packet).
    public init(rawValue: UInt16) {
        let m = (rawValue & 0x000f) | ((rawValue >> 1) & 0x0070) | ((rawValue >> 2) & 0x0f80)
        let c = ((rawValue >> 4) & 0x1) | ((rawValue >> 7) & 0x2)
        method = STUNMethod(rawValue: m)
        messageClass = STUNClass(rawValue: UInt8(c))!
    }

    /// The 16-bit type field (RFC 8489 §5).
    public var rawValue: UInt16 {
        let m = method.rawValue
        let c = UInt16(messageClass.rawValue)
        return (m & 0x000f) | ((m & 0x0070) << 1) | ((m & 0x0f80) << 2) | ((c & 0x1) << 4) | ((c & 0x2) << 7)
    }

    /// Binding request (0x0001).
    public static let bindingRequest = STUNMessageType(method: .binding, messageClass: .request)
    /// Binding success response (0x0101).
    public static let bindingSuccess = STUNMessageType(method: .binding, messageClass: .successResponse)
    /// Binding error response (0x0111).
    public static let bindingError = STUNMessageType(method: .binding, messageClass: .errorResponse)
    /// Binding indication (0x0011), used for keep-alives (RFC 8445 §11).
    public static let bindingIndication = STUNMessageType(method: .binding, messageClass: .indication)

    /// E.g. `Binding request`.
    public var description: String { "\(method) \(messageClass)" }
}
