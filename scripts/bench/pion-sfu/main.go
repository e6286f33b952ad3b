// Pion SFU forwarder for the SFU benchmark (issue 15 item 6, scripts/bench-sfu.sh), Pion WebRTC v3
// as Debian packages it (golang-github-pion-webrtc.v3-dev). Shaped like Pion's broadcast example:
// the publisher's one video track is read as RTP from its TrackRemote and written, packet by
// packet, to one TrackLocalStaticRTP that every subscriber's PeerConnection carries (Pion fans a
// written packet out to every binding, rewriting SSRC and payload type); a PLI goes to the
// publisher every 3 s; default codecs and interceptors (NACK, RTCP reports, TWCC) as
// webrtc.NewPeerConnection has them; one UDP socket per PeerConnection.
//
// One difference from the example: the server offers to each subscriber (AddTrack, then
// CreateOffer) instead of answering its offer, so it speaks the same JSON lines as SwiftRTC's
// `swiftrtc-bench sfu-server` and the same SwiftRTC publisher and subscribers serve both:
// the publisher's offer is read from PUB_OFFERS and answered on PUB_ANSWERS, then COUNT offers
// are written to SUB_OFFERS and their answers read from SUB_ANSWERS. It serves until killed;
// its CPU time is read from /proc by the subscriber process.
//
// Usage: pion-sfu PUB_OFFERS PUB_ANSWERS SUB_OFFERS SUB_ANSWERS COUNT
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/pion/ice/v2"
	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v3"
)

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "pion-sfu:", err)
		os.Exit(1)
	}
}

// readDescription reads one JSON session description from a line.
func readDescription(lines *bufio.Scanner, what string) webrtc.SessionDescription {
	if !lines.Scan() {
		must(fmt.Errorf("the other side closed before %s", what))
	}
	var d webrtc.SessionDescription
	must(json.Unmarshal(lines.Bytes(), &d))
	return d
}

func writeDescription(w io.Writer, d *webrtc.SessionDescription) {
	line, err := json.Marshal(d)
	must(err)
	_, err = w.Write(append(line, '\n'))
	must(err)
}

// drainRTCP reads what a sender receives, so the interceptors (NACK responder, reports) run.
func drainRTCP(sender *webrtc.RTPSender) {
	buf := make([]byte, 1500)
	for {
		if _, _, err := sender.Read(buf); err != nil {
			return
		}
	}
}

func main() {
	if len(os.Args) != 6 {
		fmt.Fprintln(os.Stderr, "usage: pion-sfu PUB_OFFERS PUB_ANSWERS SUB_OFFERS SUB_ANSWERS COUNT")
		os.Exit(2)
	}
	count, err := strconv.Atoi(os.Args[5])
	must(err)

	// Loopback, IPv4 only (the SwiftRTC server binds 127.0.0.1 too).
	var s webrtc.SettingEngine
	s.SetIncludeLoopbackCandidate(true)
	s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	s.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	var m webrtc.MediaEngine
	must(m.RegisterDefaultCodecs())
	var registry interceptor.Registry
	must(webrtc.RegisterDefaultInterceptors(&m, &registry))
	api := webrtc.NewAPI(webrtc.WithMediaEngine(&m), webrtc.WithInterceptorRegistry(&registry), webrtc.WithSettingEngine(s))

	// The publisher.
	pubIn, err := os.Open(os.Args[1])
	must(err)
	pubLines := bufio.NewScanner(pubIn)
	pubLines.Buffer(make([]byte, 1<<20), 1<<20)
	pubOut, err := os.OpenFile(os.Args[2], os.O_WRONLY, 0)
	must(err)
	offer := readDescription(pubLines, "offering")
	publisher, err := api.NewPeerConnection(webrtc.Configuration{})
	must(err)
	_, err = publisher.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo)
	must(err)
	forwarded := make(chan *webrtc.TrackLocalStaticRTP, 1)
	publisher.OnTrack(func(remote *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		go func() {
			for range time.Tick(3 * time.Second) {
				_ = publisher.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(remote.SSRC())}})
			}
		}()
		local, err := webrtc.NewTrackLocalStaticRTP(remote.Codec().RTPCodecCapability, "video", "bench")
		must(err)
		forwarded <- local
		buf := make([]byte, 1500)
		for {
			n, _, err := remote.Read(buf)
			if err != nil {
				return
			}
			// No subscriber bound yet is not an error.
			if _, err := local.Write(buf[:n]); err != nil && !errors.Is(err, io.ErrClosedPipe) {
				must(err)
			}
		}
	})
	must(publisher.SetRemoteDescription(offer))
	answer, err := publisher.CreateAnswer(nil)
	must(err)
	gathered := webrtc.GatheringCompletePromise(publisher)
	must(publisher.SetLocalDescription(answer))
	<-gathered
	writeDescription(pubOut, publisher.LocalDescription())
	local := <-forwarded

	// The subscribers: the server offers each one the forwarded track.
	subOut, err := os.OpenFile(os.Args[3], os.O_WRONLY, 0)
	must(err)
	subIn, err := os.Open(os.Args[4])
	must(err)
	subLines := bufio.NewScanner(subIn)
	subLines.Buffer(make([]byte, 1<<20), 1<<20)
	for i := 0; i < count; i++ {
		pc, err := api.NewPeerConnection(webrtc.Configuration{})
		must(err)
		sender, err := pc.AddTrack(local)
		must(err)
		go drainRTCP(sender)
		offer, err := pc.CreateOffer(nil)
		must(err)
		gathered := webrtc.GatheringCompletePromise(pc)
		must(pc.SetLocalDescription(offer))
		<-gathered
		writeDescription(subOut, pc.LocalDescription())
		must(pc.SetRemoteDescription(readDescription(subLines, fmt.Sprintf("answer %d", i))))
	}
	fmt.Fprintf(os.Stderr, "pion-sfu: %d subscribers negotiated\n", count)
	select {}
}
