// pion-room: a Pion WebRTC v3 member of a SwiftRTC signaling room (docs/signaling-protocol.md),
// used by the interop tests as an independent peer. It joins ROOM as PEER; when the server lists
// members it offers to the first one with a "chat" data channel (the joiner offers), otherwise it
// answers the first offer it gets. It trickles candidates both ways, sends COUNT messages on the
// channel once it opens and expects every one echoed back (or, with -echo, echoes what arrives
// and ends when the peer leaves the room). Lines on stdout: "JOINED <members>", "OPEN <label>",
// "ECHOED <n>", "DONE", or "FAIL <reason>" and exit status 1. Media (media.go): -send-ivf FILE
// sends a VP8 file, -record-ivf FILE records the VP8 track received.
// Usage: pion-room -signal ws://127.0.0.1:8080/ws -room R -peer P [-count N] [-echo] [-timeout S]
//        [-send-ivf F] [-record-ivf F -record-seconds S]
package main

import (
	"flag"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/webrtc/v3"
)

type message struct {
	Type      string                     `json:"type"`
	PeerID    string                     `json:"peer_id,omitempty"`
	RoomID    string                     `json:"room_id,omitempty"`
	Target    string                     `json:"target,omitempty"`
	From      string                     `json:"from,omitempty"`
	Peers     []string                   `json:"peers,omitempty"`
	Offer     *webrtc.SessionDescription `json:"offer,omitempty"`
	Answer    *webrtc.SessionDescription `json:"answer,omitempty"`
	Candidate *webrtc.ICECandidateInit   `json:"candidate,omitempty"`
	Code      string                     `json:"code,omitempty"`
	Message   string                     `json:"message,omitempty"`
}

type member struct {
	ws      *websocket.Conn
	wsMu    sync.Mutex
	pc      *webrtc.PeerConnection
	remote  string
	pending []webrtc.ICECandidateInit
	hasDesc bool
	count   int
	echo    bool
	api     *webrtc.API
	done    chan string

	media      mediaOptions
	videoTrack *webrtc.TrackLocalStaticSample
	recording  bool
	sending    bool
}

func fail(reason string) {
	fmt.Printf("FAIL %s\n", reason)
	os.Exit(1)
}

func (m *member) send(msg message) {
	m.wsMu.Lock()
	defer m.wsMu.Unlock()
	if err := m.ws.WriteJSON(msg); err != nil {
		fail("signaling write: " + err.Error())
	}
}

func (m *member) newPeerConnection(remote string, offering bool) {
	pc, err := m.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		fail("new peer connection: " + err.Error())
	}
	m.pc, m.remote = pc, remote
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c == nil {
			return
		}
		init := c.ToJSON()
		m.send(message{Type: "ice_candidate", Target: remote, Candidate: &init})
	})
	m.addMedia(offering)
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		fmt.Printf("STATE %s\n", s.String())
		if s == webrtc.PeerConnectionStateConnected && m.videoTrack != nil && !m.sending {
			m.sending = true
			go m.sendFile()
		}
		if s == webrtc.PeerConnectionStateFailed {
			m.done <- "FAIL connection failed"
		}
	})
	pc.OnDataChannel(func(d *webrtc.DataChannel) { m.useChannel(d) })
}

func (m *member) useChannel(d *webrtc.DataChannel) {
	var mu sync.Mutex
	echoed := 0
	d.OnOpen(func() {
		fmt.Printf("OPEN %s\n", d.Label())
		if m.echo {
			return
		}
		for i := 0; i < m.count; i++ {
			if err := d.SendText(fmt.Sprintf("pion %d", i)); err != nil {
				m.done <- "FAIL send: " + err.Error()
				return
			}
		}
	})
	d.OnMessage(func(msg webrtc.DataChannelMessage) {
		mu.Lock()
		defer mu.Unlock()
		if m.echo {
			var err error
			if msg.IsString {
				err = d.SendText(string(msg.Data))
			} else {
				err = d.Send(msg.Data)
			}
			if err != nil {
				m.done <- "FAIL echo send: " + err.Error()
				return
			}
			echoed++
			if echoed == m.count {
				fmt.Printf("ECHOED %d\n", echoed)
				// Stay until the peer has read the echoes (it closes or leaves the room).
			}
			return
		}
		if string(msg.Data) != fmt.Sprintf("pion %d", echoed) {
			m.done <- fmt.Sprintf("FAIL echo %d was %q", echoed, string(msg.Data))
			return
		}
		echoed++
		if echoed == m.count {
			fmt.Printf("ECHOED %d\n", echoed)
			m.done <- "DONE"
		}
	})
}

func (m *member) applyPending() {
	m.hasDesc = true
	for _, c := range m.pending {
		if err := m.pc.AddICECandidate(c); err != nil {
			fmt.Printf("WARN candidate: %v\n", err)
		}
	}
	m.pending = nil
}

func main() {
	signal := flag.String("signal", "ws://127.0.0.1:8080/ws", "signaling server WebSocket URL")
	room := flag.String("room", "pion", "room id")
	peer := flag.String("peer", "pion", "peer id")
	count := flag.Int("count", 10, "messages to send and expect echoed")
	echo := flag.Bool("echo", false, "echo messages instead of sending")
	timeout := flag.Int("timeout", 30, "seconds before giving up")
	loopback := flag.Bool("loopback", false, "gather loopback candidates too (a loopback-only host)")
	var media mediaOptions
	flag.StringVar(&media.sendIVF, "send-ivf", "", "send this VP8 IVF file on a video track")
	flag.StringVar(&media.recordIVF, "record-ivf", "", "record the VP8 track received into this IVF file")
	flag.IntVar(&media.recordSeconds, "record-seconds", 8, "how long to record")
	flag.Parse()

	var settings webrtc.SettingEngine
	settings.SetIncludeLoopbackCandidate(*loopback)

	ws, _, err := websocket.DefaultDialer.Dial(*signal, nil)
	if err != nil {
		fail("signaling dial: " + err.Error())
	}
	m := &member{ws: ws, count: *count, echo: *echo, done: make(chan string, 4), media: media,
		api: webrtc.NewAPI(webrtc.WithSettingEngine(settings))}
	if media.sendIVF != "" || media.recordIVF != "" {
		m.api = newMediaAPI(settings)
	}
	m.send(message{Type: "join", PeerID: *peer, RoomID: *room})

	var pcMu sync.Mutex
	go func() {
		for {
			var msg message
			if err := ws.ReadJSON(&msg); err != nil {
				m.done <- "FAIL signaling read: " + err.Error()
				return
			}
			if os.Getenv("PION_ROOM_DEBUG") != "" {
				fmt.Printf("SIGNAL %s from %s\n", msg.Type, msg.From)
			}
			pcMu.Lock()
			switch msg.Type {
			case "room_peers":
				fmt.Printf("JOINED %d\n", len(msg.Peers))
				if len(msg.Peers) > 0 && m.pc == nil {
					m.newPeerConnection(msg.Peers[0], true)
					d, err := m.pc.CreateDataChannel("chat", nil)
					if err != nil {
						fail("create channel: " + err.Error())
					}
					m.useChannel(d)
					offer, err := m.pc.CreateOffer(nil)
					if err != nil {
						fail("create offer: " + err.Error())
					}
					if err := m.pc.SetLocalDescription(offer); err != nil {
						fail("set local offer: " + err.Error())
					}
					m.send(message{Type: "offer", Target: m.remote, Offer: &offer})
				}
			case "offer":
				if m.pc == nil {
					m.newPeerConnection(msg.From, false)
				}
				if err := m.pc.SetRemoteDescription(*msg.Offer); err != nil {
					fail("set remote offer: " + err.Error())
				}
				answer, err := m.pc.CreateAnswer(nil)
				if err != nil {
					fail("create answer: " + err.Error())
				}
				if err := m.pc.SetLocalDescription(answer); err != nil {
					fail("set local answer: " + err.Error())
				}
				m.send(message{Type: "answer", Target: msg.From, Answer: &answer})
				m.applyPending()
			case "answer":
				if err := m.pc.SetRemoteDescription(*msg.Answer); err != nil {
					fail("set remote answer: " + err.Error())
				}
				m.applyPending()
			case "ice_candidate":
				if msg.Candidate != nil && msg.Candidate.Candidate != "" {
					if m.hasDesc {
						if err := m.pc.AddICECandidate(*msg.Candidate); err != nil {
							fmt.Printf("WARN candidate: %v\n", err)
						}
					} else {
						m.pending = append(m.pending, *msg.Candidate)
					}
				}
			case "peer_left":
				if m.echo && msg.PeerID == m.remote {
					m.done <- "DONE"
				}
			case "error":
				m.done <- "FAIL signaling error " + msg.Code + ": " + msg.Message
			}
			pcMu.Unlock()
		}
	}()

	select {
	case result := <-m.done:
		fmt.Println(result)
		if result != "DONE" {
			os.Exit(1)
		}
	case <-time.After(time.Duration(*timeout) * time.Second):
		fail(fmt.Sprintf("timeout after %d s", *timeout))
	}
	pcMu.Lock()
	if m.pc != nil {
		_ = m.pc.Close()
	}
	pcMu.Unlock()
	_ = ws.Close()
}
