/// The EBML and Matroska element IDs the WebM writer and reader use (RFC 8794 §11.2 for the
/// EBML header, the Matroska element specification for the rest). An ID is written as its
/// bytes, marker bits included: `0x1A45DFA3` is the four bytes `1A 45 DF A3`.
public enum MatroskaElementID {
    /// EBML header (master, RFC 8794 §11.2.1).
    public static let ebml: UInt32 = 0x1A45_DFA3
    /// EBMLVersion (uint).
    public static let ebmlVersion: UInt32 = 0x4286
    /// EBMLReadVersion (uint).
    public static let ebmlReadVersion: UInt32 = 0x42F7
    /// EBMLMaxIDLength (uint).
    public static let ebmlMaxIDLength: UInt32 = 0x42F2
    /// EBMLMaxSizeLength (uint).
    public static let ebmlMaxSizeLength: UInt32 = 0x42F3
    /// DocType (string): "webm" or "matroska".
    public static let docType: UInt32 = 0x4282
    /// DocTypeVersion (uint).
    public static let docTypeVersion: UInt32 = 0x4287
    /// DocTypeReadVersion (uint).
    public static let docTypeReadVersion: UInt32 = 0x4285
    /// Void (binary): padding that readers skip.
    public static let void: UInt32 = 0xEC
    /// CRC-32 (binary).
    public static let crc32: UInt32 = 0xBF

    /// Segment (master): everything after the EBML header.
    public static let segment: UInt32 = 0x1853_8067
    /// SeekHead (master): where the other top-level elements are.
    public static let seekHead: UInt32 = 0x114D_9B74
    /// Seek (master) in SeekHead.
    public static let seek: UInt32 = 0x4DBB
    /// SeekID (binary): the ID of the element a Seek points to.
    public static let seekID: UInt32 = 0x53AB
    /// SeekPosition (uint): its offset from the start of the Segment's data.
    public static let seekPosition: UInt32 = 0x53AC

    /// Info (master): segment information.
    public static let info: UInt32 = 0x1549_A966
    /// TimestampScale (uint): nanoseconds per timestamp tick.
    public static let timestampScale: UInt32 = 0x2A_D7B1
    /// Duration (float): in timestamp ticks.
    public static let duration: UInt32 = 0x4489
    /// MuxingApp (UTF-8).
    public static let muxingApp: UInt32 = 0x4D80
    /// WritingApp (UTF-8).
    public static let writingApp: UInt32 = 0x5741

    /// Tracks (master).
    public static let tracks: UInt32 = 0x1654_AE6B
    /// TrackEntry (master).
    public static let trackEntry: UInt32 = 0xAE
    /// TrackNumber (uint): the number blocks refer to.
    public static let trackNumber: UInt32 = 0xD7
    /// TrackUID (uint).
    public static let trackUID: UInt32 = 0x73C5
    /// TrackType (uint): 1 video, 2 audio.
    public static let trackType: UInt32 = 0x83
    /// FlagLacing (uint).
    public static let flagLacing: UInt32 = 0x9C
    /// DefaultDuration (uint): nanoseconds per frame.
    public static let defaultDuration: UInt32 = 0x23_E383
    /// CodecID (string), e.g. "V_VP8", "A_OPUS".
    public static let codecID: UInt32 = 0x86
    /// CodecPrivate (binary), e.g. OpusHead.
    public static let codecPrivate: UInt32 = 0x63A2
    /// CodecDelay (uint): nanoseconds the decoder drops at the start.
    public static let codecDelay: UInt32 = 0x56AA
    /// SeekPreRoll (uint): nanoseconds to decode before a seek target.
    public static let seekPreRoll: UInt32 = 0x56BB
    /// Video (master) in TrackEntry.
    public static let video: UInt32 = 0xE0
    /// PixelWidth (uint).
    public static let pixelWidth: UInt32 = 0xB0
    /// PixelHeight (uint).
    public static let pixelHeight: UInt32 = 0xBA
    /// Audio (master) in TrackEntry.
    public static let audio: UInt32 = 0xE1
    /// SamplingFrequency (float).
    public static let samplingFrequency: UInt32 = 0xB5
    /// Channels (uint).
    public static let channels: UInt32 = 0x9F

    /// Cluster (master): blocks that share a timestamp base.
    public static let cluster: UInt32 = 0x1F43_B675
    /// Timestamp (uint) of a Cluster, in ticks.
    public static let clusterTimestamp: UInt32 = 0xE7
    /// SimpleBlock (binary).
    public static let simpleBlock: UInt32 = 0xA3
    /// BlockGroup (master).
    public static let blockGroup: UInt32 = 0xA0
    /// Block (binary) in BlockGroup.
    public static let block: UInt32 = 0xA1
    /// BlockDuration (uint) in BlockGroup, in ticks.
    public static let blockDuration: UInt32 = 0x9B
    /// ReferenceBlock (int) in BlockGroup: present when the block is not a key frame.
    public static let referenceBlock: UInt32 = 0xFB

    /// Cues (master): the seek index.
    public static let cues: UInt32 = 0x1C53_BB6B
    /// CuePoint (master).
    public static let cuePoint: UInt32 = 0xBB
    /// CueTime (uint), in ticks.
    public static let cueTime: UInt32 = 0xB3
    /// CueTrackPositions (master).
    public static let cueTrackPositions: UInt32 = 0xB7
    /// CueTrack (uint).
    public static let cueTrack: UInt32 = 0xF7
    /// CueClusterPosition (uint): the Cluster's offset from the start of the Segment's data.
    public static let cueClusterPosition: UInt32 = 0xF1
    /// CueRelativePosition (uint): the block's offset from the start of the Cluster's data.
    public static let cueRelativePosition: UInt32 = 0xF0
}
