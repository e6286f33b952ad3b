// Media for pion-room: -send-ivf FILE sends a VP8 IVF file's frames on a video track at the
// file's frame rate once connected ("SENT <frames>" when done); -record-ivf FILE writes the
// first VP8 track received into an IVF file ("TRACK <codec>" when it arrives, "RECORDED
// <frames>" after -record-seconds, then DONE).
package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v3"
	"github.com/pion/webrtc/v3/pkg/media"
	"github.com/pion/webrtc/v3/pkg/media/ivfreader"
	"github.com/pion/webrtc/v3/pkg/media/ivfwriter"
)

type mediaOptions struct {
	sendIVF       string
	recordIVF     string
	recordSeconds int
}

// newMediaAPI is an API with Pion's default codecs and interceptors (NACK, RTCP reports).
func newMediaAPI(settings webrtc.SettingEngine) *webrtc.API {
	engine := &webrtc.MediaEngine{}
	if err := engine.RegisterDefaultCodecs(); err != nil {
		fail("register codecs: " + err.Error())
	}
	registry := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(engine, registry); err != nil {
		fail("register interceptors: " + err.Error())
	}
	return webrtc.NewAPI(webrtc.WithSettingEngine(settings), webrtc.WithMediaEngine(engine), webrtc.WithInterceptorRegistry(registry))
}

// addMedia adds what the options ask for to a new connection, before its first description.
func (m *member) addMedia(offering bool) {
	if m.media.sendIVF != "" {
		track, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "video", "pion")
		if err != nil {
			fail("new track: " + err.Error())
		}
		sender, err := m.pc.AddTrack(track)
		if err != nil {
			fail("add track: " + err.Error())
		}
		go func() { // read RTCP so that interceptors (NACK responses) run
			buffer := make([]byte, 1500)
			for {
				if _, _, err := sender.Read(buffer); err != nil {
					return
				}
			}
		}()
		m.videoTrack = track
	}
	if m.media.recordIVF != "" {
		if offering && m.media.sendIVF == "" {
			if _, err := m.pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo,
				webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
				fail("add transceiver: " + err.Error())
			}
		}
		m.pc.OnTrack(func(track *webrtc.TrackRemote, _ *webrtc.RTPReceiver) { m.record(track) })
	}
}

// sendFile plays the IVF file on the video track in real time.
func (m *member) sendFile() {
	file, err := os.Open(m.media.sendIVF)
	if err != nil {
		m.done <- "FAIL open: " + err.Error()
		return
	}
	defer file.Close()
	reader, header, err := ivfreader.NewWith(file)
	if err != nil {
		m.done <- "FAIL ivf: " + err.Error()
		return
	}
	interval := time.Second * time.Duration(header.TimebaseNumerator) / time.Duration(header.TimebaseDenominator)
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	frames := 0
	for ; true; <-ticker.C {
		frame, _, err := reader.ParseNextFrame()
		if err == io.EOF {
			break
		}
		if err != nil {
			m.done <- "FAIL ivf frame: " + err.Error()
			return
		}
		if err := m.videoTrack.WriteSample(media.Sample{Data: frame, Duration: interval}); err != nil {
			m.done <- "FAIL write sample: " + err.Error()
			return
		}
		frames++
	}
	fmt.Printf("SENT %d\n", frames)
	if m.media.recordIVF == "" {
		time.Sleep(time.Second) // let the last frames and retransmissions arrive
		m.done <- "DONE"
	}
}

// record writes the first VP8 track into the IVF file for -record-seconds.
func (m *member) record(track *webrtc.TrackRemote) {
	codec := track.Codec().MimeType
	fmt.Printf("TRACK %s\n", codec)
	if !strings.EqualFold(codec, webrtc.MimeTypeVP8) || m.recording {
		return
	}
	m.recording = true
	writer, err := ivfwriter.New(m.media.recordIVF)
	if err != nil {
		m.done <- "FAIL ivf writer: " + err.Error()
		return
	}
	deadline := time.Now().Add(time.Duration(m.media.recordSeconds) * time.Second)
	frames := 0
	for time.Now().Before(deadline) {
		_ = track.SetReadDeadline(deadline)
		packet, _, err := track.ReadRTP()
		if err != nil {
			break
		}
		if err := writer.WriteRTP(packet); err != nil {
			m.done <- "FAIL write rtp: " + err.Error()
			return
		}
		if packet.Marker {
			frames++
		}
	}
	if err := writer.Close(); err != nil {
		m.done <- "FAIL ivf close: " + err.Error()
		return
	}
	fmt.Printf("RECORDED %d\n", frames)
	m.done <- "DONE"
}
