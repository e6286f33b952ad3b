// Pion media sender for the media benchmark (issue 13 item 6, scripts/bench-media.sh), Pion WebRTC
// v3 as Debian packages it (golang-github-pion-webrtc.v3-dev). Shaped like Pion's play-from-disk
// example: ivfreader + oggreader, one TrackLocalStaticSample per kind, WriteSample on a ticker at
// the frame duration; for the fan-out the same two tracks are added to COUNT peer connections
// (Pion's broadcast shape: WriteSample packetizes once and writes to every binding).
//
// Signaling is the same as SwiftRTC's `swiftrtc-bench media-send`: COUNT offers are read as JSON
// lines from OFFERS (a named pipe written by the receiver), COUNT answers and then "done" are
// written to ANSWERS. Prints `media pion COUNT: S s, C CPU-s, V video frames, A audio frames`
// where C is this process's user+system CPU time (getrusage) over the playing window only.
//
// Usage: pion-media OFFERS ANSWERS COUNT VIDEO.ivf AUDIO.ogg SECONDS
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/pion/ice/v2"
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v3"
	"github.com/pion/webrtc/v3/pkg/media"
	"github.com/pion/webrtc/v3/pkg/media/ivfreader"
	"github.com/pion/webrtc/v3/pkg/media/oggreader"
)

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "pion-media:", err)
		os.Exit(1)
	}
}

func cpuSeconds() float64 {
	var u syscall.Rusage
	must(syscall.Getrusage(syscall.RUSAGE_SELF, &u))
	return float64(u.Utime.Sec+u.Stime.Sec) + float64(u.Utime.Usec+u.Stime.Usec)/1e6
}

func main() {
	if len(os.Args) != 7 {
		fmt.Fprintln(os.Stderr, "usage: pion-media OFFERS ANSWERS COUNT VIDEO.ivf AUDIO.ogg SECONDS")
		os.Exit(2)
	}
	count, err := strconv.Atoi(os.Args[3])
	must(err)
	seconds, err := strconv.ParseFloat(os.Args[6], 64)
	must(err)
	window := time.Duration(seconds * float64(time.Second))

	var s webrtc.SettingEngine
	s.SetIncludeLoopbackCandidate(true)
	s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	s.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6})
	// What webrtc.NewPeerConnection (and so play-from-disk) uses: the default codecs and
	// interceptors (NACK responder, RTCP reports, TWCC header extension).
	var m webrtc.MediaEngine
	must(m.RegisterDefaultCodecs())
	var registry interceptor.Registry
	must(webrtc.RegisterDefaultInterceptors(&m, &registry))
	api := webrtc.NewAPI(webrtc.WithMediaEngine(&m), webrtc.WithInterceptorRegistry(&registry), webrtc.WithSettingEngine(s))

	videoTrack, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "video", "bench")
	must(err)
	audioTrack, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus}, "audio", "bench")
	must(err)

	offers, err := os.Open(os.Args[1])
	must(err)
	lines := bufio.NewScanner(offers)
	lines.Buffer(make([]byte, 1<<20), 1<<20)
	answers, err := os.OpenFile(os.Args[2], os.O_WRONLY, 0)
	must(err)

	var connected sync.WaitGroup
	pcs := []*webrtc.PeerConnection{}
	for i := 0; i < count; i++ {
		if !lines.Scan() {
			must(errors.New("the receiver closed before offering"))
		}
		var offer webrtc.SessionDescription
		must(json.Unmarshal(lines.Bytes(), &offer))
		pc, err := api.NewPeerConnection(webrtc.Configuration{})
		must(err)
		for _, track := range []*webrtc.TrackLocalStaticSample{videoTrack, audioTrack} {
			sender, err := pc.AddTrack(track)
			must(err)
			go func() { // RTCP must be read for the interceptors (NACK, reports) to run
				buf := make([]byte, 1500)
				for {
					if _, _, err := sender.Read(buf); err != nil {
						return
					}
				}
			}()
		}
		connected.Add(1)
		var once sync.Once
		pc.OnConnectionStateChange(func(state webrtc.PeerConnectionState) {
			if state == webrtc.PeerConnectionStateConnected {
				once.Do(connected.Done)
			}
		})
		must(pc.SetRemoteDescription(offer))
		answer, err := pc.CreateAnswer(nil)
		must(err)
		gathered := webrtc.GatheringCompletePromise(pc)
		must(pc.SetLocalDescription(answer))
		<-gathered
		line, err := json.Marshal(pc.LocalDescription())
		must(err)
		_, err = answers.Write(append(line, '\n'))
		must(err)
		pcs = append(pcs, pc)
	}
	connected.Wait()
	time.Sleep(time.Second) // DTLS done on both sides, SRTP keys in place

	videoFile, err := os.ReadFile(os.Args[4])
	must(err)
	audioFile, err := os.ReadFile(os.Args[5])
	must(err)
	cpu0 := cpuSeconds()
	start := time.Now()
	var wg sync.WaitGroup
	var videoFrames, audioFrames int
	wg.Add(2)
	go func() { // play-from-disk's video loop
		defer wg.Done()
		ivf, header, err := ivfreader.NewWith(bytes.NewReader(videoFile))
		must(err)
		duration := time.Duration(float64(header.TimebaseNumerator) / float64(header.TimebaseDenominator) * float64(time.Second))
		ticker := time.NewTicker(duration)
		defer ticker.Stop()
		for ; time.Since(start) < window; <-ticker.C {
			frame, _, err := ivf.ParseNextFrame()
			if errors.Is(err, io.EOF) {
				return
			}
			must(err)
			must(videoTrack.WriteSample(media.Sample{Data: frame, Duration: duration}))
			videoFrames++
		}
	}()
	go func() { // play-from-disk's audio loop (one Opus packet per Ogg page: ffmpeg -page_duration 20000)
		defer wg.Done()
		ogg, _, err := oggreader.NewWith(bytes.NewReader(audioFile))
		must(err)
		var lastGranule uint64
		ticker := time.NewTicker(20 * time.Millisecond)
		defer ticker.Stop()
		for ; time.Since(start) < window; <-ticker.C {
			page, header, err := ogg.ParseNextPage()
			if errors.Is(err, io.EOF) {
				return
			}
			must(err)
			if bytes.HasPrefix(page, []byte("OpusTags")) {
				continue
			}
			samples := header.GranulePosition - lastGranule
			lastGranule = header.GranulePosition
			must(audioTrack.WriteSample(media.Sample{Data: page, Duration: time.Duration(samples) * time.Second / 48000}))
			audioFrames++
		}
	}()
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	cpu := cpuSeconds() - cpu0
	_, err = answers.Write([]byte("done\n"))
	must(err)
	fmt.Printf("media pion %d: %.2f s, %.3f CPU-s, %d video frames, %d audio frames\n", count, elapsed, cpu, videoFrames, audioFrames)
	for lines.Scan() { // the receiver read its counters (it closed the offers pipe)
	}
	for _, pc := range pcs {
		_ = pc.Close()
	}
}
