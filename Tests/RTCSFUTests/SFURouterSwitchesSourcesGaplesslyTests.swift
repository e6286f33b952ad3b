import NIOCore
import RTCCore
import RTCRTP
import RTCSFU
import Testing

/// A switch of publisher or simulcast layer happens at a key frame of the new source, and the
/// subscriber sees one stream: no gap in sequence numbers, timestamps advancing with time.
@Suite struct SFURouterSwitchesSourcesGaplesslyTests {
    typealias F = SFUFixtures

    @Test func switchToAnotherPublisherAtItsKeyFrameKeepsOneContinuousStream() throws {
        var router = SFURouter()
        let alice = try router.publish(codec: .vp8, layers: [SFULayer(ssrc: 0xA11CE)])
        let bob = try router.publish(codec: .vp8, layers: [SFULayer(ssrc: 0xB0B)])
        let leg = try router.subscribe(to: SFUSource(track: alice), ssrc: 0x5EB, payloadType: 96, initialSequenceNumber: 100,
                                       initialTimestamp: 1_000, now: F.t0)
        _ = F.drain(&router)
        var now = F.t0
        var outputs: [SFURouterOutput] = []
        // 30 frames of Alice at 30 fps; Bob sends too, numbered and timed his own way.
        for k in 0..<60 {
            now = F.t0 + .milliseconds(Int64(k) * 33)
            if k == 30 {
                try router.switchSource(of: leg, to: SFUSource(track: bob), now: now)
                #expect(router.pendingSource(of: leg) == SFUSource(track: bob))
            }
            router.handleRTP(F.vp8(ssrc: 0xA11CE, sequenceNumber: 7_000 &+ UInt16(k), timestamp: 333 &+ UInt32(k) * 3_000,
                                   key: k == 0, tag: 1), now: now)
            // Bob's key frame comes at k = 40: until then Alice goes on.
            router.handleRTP(F.vp8(ssrc: 0xB0B, sequenceNumber: 65_500 &+ UInt16(k), timestamp: 4_000_000_000 &+ UInt32(k) * 3_000,
                                   key: k == 40, tag: 2), now: now + .milliseconds(1))
            outputs += F.drain(&router)
        }
        #expect(F.keyFrameRequests(outputs) == [SFUSource(track: bob)])
        let out = F.forwards(outputs, to: leg)
        // Alice's frames 0…40 (her 40th went out 1 ms before Bob's key frame), then Bob's 40…59.
        #expect(out.count == 61)
        #expect(out.prefix(41).allSatisfy { $0.payload.getInteger(at: 2, as: UInt8.self) == 1 })
        #expect(out.suffix(20).allSatisfy { $0.payload.getInteger(at: 2, as: UInt8.self) == 2 })
        #expect(out.map(\.header.sequenceNumber) == (0..<61).map { 100 + UInt16($0) })
        #expect(Set(out.map(\.header.ssrc)) == [0x5EB])
        // Alice's frames keep her spacing; the switch advances by the 1 ms (90 ticks) that passed;
        // Bob's frames keep his.
        #expect(out[40].header.timestamp == 1_000 + 40 * 3_000)
        #expect(out[41].header.timestamp == out[40].header.timestamp + 90)
        #expect(out[60].header.timestamp == out[41].header.timestamp + 19 * 3_000)
        #expect(router.currentSource(of: leg) == SFUSource(track: bob))
        #expect(router.pendingSource(of: leg) == nil)
        #expect(router.statistics(of: leg)?.sourceSwitches == 2)
    }

    @Test func layerSwitchWaitsForAKeyFrameOfTheChosenLayer() throws {
        var router = SFURouter()
        let track = try router.publish(codec: .vp8, layers: [SFULayer(ssrc: 1, rid: "q"), SFULayer(ssrc: 2, rid: "h"),
                                                             SFULayer(ssrc: 3, rid: "f")])
        let leg = try router.subscribe(to: SFUSource(track: track, layer: 0), ssrc: 99, payloadType: 96, now: F.t0)
        #expect(F.keyFrameRequests(F.drain(&router)) == [SFUSource(track: track, layer: 0)])
        var outputs: [SFURouterOutput] = []
        for k in 0..<20 {
            let now = F.t0 + .milliseconds(Int64(k) * 33)
            if k == 5 {
                try router.selectLayer(2, for: leg, now: now)
                #expect(F.keyFrameRequests(F.drain(&router)) == [SFUSource(track: track, layer: 2)])
            }
            for layer: UInt32 in 1...3 {
                router.handleRTP(F.vp8(ssrc: layer, sequenceNumber: UInt16(layer * 1_000) + UInt16(k), timestamp: UInt32(k) * 3_000,
                                       key: k == 0 || (layer == 3 && k == 12), tag: UInt8(layer)), now: now)
            }
            outputs += F.drain(&router)
        }
        let out = F.forwards(outputs, to: leg)
        // Layer 0's packets 0…12 (its 12th went out just before layer 2's key frame), then layer 2's 12…19.
        #expect(out.map { $0.payload.getInteger(at: 2, as: UInt8.self) } == Array(repeating: 1, count: 13) + Array(repeating: 3, count: 8))
        #expect(out.map(\.header.sequenceNumber) == (0..<21).map { UInt16($0) })
        #expect(router.currentSource(of: leg) == SFUSource(track: track, layer: 2))
        // Back down: the low layer's key frame was requested again.
        try router.selectLayer(0, for: leg, now: F.t0 + .seconds(1))
        #expect(F.keyFrameRequests(F.drain(&router)) == [SFUSource(track: track, layer: 0)])
    }

    /// Upstream loss and reordering, and a switch back and forth between two publishers every
    /// 50 packets: within each run the subscriber's numbers and timestamps are the publisher's
    /// shifted by one constant, each run starts one after the highest number sent before, and no
    /// number is used twice.
    @Test(arguments: [UInt64(1), 2, 3, 4, 5])
    func lossAndReorderAcrossSwitchesKeepNumberingConsistent(seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        var router = SFURouter()
        let sources = [try router.publish(codec: .vp8, layers: [SFULayer(ssrc: 10)]),
                       try router.publish(codec: .vp8, layers: [SFULayer(ssrc: 20)])]
        let leg = try router.subscribe(to: SFUSource(track: sources[0]), ssrc: 1, payloadType: 96,
                                       initialSequenceNumber: UInt16.random(in: 0...UInt16.max, using: &rng), now: F.t0)
        var sequence: [UInt16] = [UInt16.random(in: 0...UInt16.max, using: &rng), UInt16.random(in: 0...UInt16.max, using: &rng)]
        var timestamps: [UInt32] = [UInt32.random(in: 0...UInt32.max, using: &rng), UInt32.random(in: 0...UInt32.max, using: &rng)]
        var held: [(Int, RTPPacket)] = []
        var forwarded: [(source: Int, input: RTPPacket, output: RTPPacket)] = []
        var now = F.t0
        var active = 0
        for k in 0..<600 {
            now = now + .milliseconds(10)
            if k % 50 == 0, k > 0 {
                active = 1 - active
                try router.switchSource(of: leg, to: SFUSource(track: sources[active]), now: now)
            }
            var batch: [(Int, RTPPacket)] = []
            for s in 0..<2 {
                let key = k % 25 == 0
                let p = F.vp8(ssrc: s == 0 ? 10 : 20, sequenceNumber: sequence[s], timestamp: timestamps[s], key: key, tag: UInt8(s))
                sequence[s] &+= 1
                timestamps[s] &+= 900
                if Int.random(in: 0..<100, using: &rng) < 5 { continue }  // 5 % loss
                batch.append((s, p))
            }
            // Hold some packets back one step (reordering).
            let release = held
            held = []
            var due: [(Int, RTPPacket)] = []
            for item in batch {
                if Int.random(in: 0..<100, using: &rng) < 10 { held.append(item) } else { due.append(item) }
            }
            for item in due + release {
                router.handleRTP(item.1, now: now)
                for case .forward(_, let out) in F.drain(&router) { forwarded.append((item.0, item.1, out)) }
            }
        }
        #expect(forwarded.count > 400)
        // Split into runs by source; check each run's constant shift and the start of the next.
        var highest: Int64?
        var unwrap = 0 as Int64
        var last: UInt16?
        var seen = Set<Int64>()
        var runStart = 0
        for i in forwarded.indices {
            let f = forwarded[i]
            if let l = last { unwrap += Int64(Int16(bitPattern: f.output.header.sequenceNumber &- l)) }
            last = f.output.header.sequenceNumber
            #expect(seen.insert(unwrap).inserted, "number \(unwrap) used twice")
            if i == 0 || forwarded[i - 1].source != f.source {
                if let highest { #expect(unwrap == highest + 1, "a run starts right after the highest number so far") }
                runStart = i
            } else {
                let first = forwarded[runStart]
                #expect(f.output.header.sequenceNumber &- first.output.header.sequenceNumber
                        == f.input.header.sequenceNumber &- first.input.header.sequenceNumber)
                #expect(f.output.header.timestamp &- first.output.header.timestamp
                        == f.input.header.timestamp &- first.input.header.timestamp)
            }
            highest = max(highest ?? unwrap, unwrap)
        }
        #expect(Set(forwarded.map(\.source)) == [0, 1])
    }
}
