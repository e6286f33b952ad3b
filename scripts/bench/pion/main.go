// Pion <-> Pion data-channel benchmark (Pion WebRTC v3 as Debian packages it:
// golang-github-pion-webrtc.v3-dev), the second reference point for SwiftRTC's own. Prints the same
// result lines as the Swift and aiortc benchmarks: offer->open median of RUNS connections and bulk
// throughput for TOTAL bytes sent in 16 KiB and 64 KiB messages. Channels are detached (Pion's
// io.ReadWriter API) so a 64 KiB message fits the read buffer: Pion's callback API reads into a
// 65535-byte buffer and cannot receive a 65536-byte message. Loopback only (run inside
// `unshare --net`, see scripts/bench.sh). Usage: pion-bench [RUNS] [TOTAL_BYTES]
// or pion-bench memory [PAIRS] [CYCLES]: RSS per idle connected PeerConnection and RSS over
// connect/close cycles, as swiftrtc-bench memory measures them (see MemoryBenchmark.swift); Go's
// garbage is collected (runtime.GC) before each RSS reading.
// Two processes (scripts/bench.sh two-process): pion-bench dc-recv OFFERS ANSWERS and
// pion-bench dc-send OFFERS ANSWERS SIZE TOTAL, as swiftrtc-bench dc-recv/dc-send (see
// TwoProcessBenchmark.swift): signaling as JSON lines through two named pipes, the receiver
// answers `done CPU SHA256` once it has TOTAL bytes.
package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strconv"
	"syscall"
	"time"

	"github.com/pion/datachannel"
	"github.com/pion/ice/v2"
	"github.com/pion/webrtc/v3"
)

func newAPI() *webrtc.API {
	var s webrtc.SettingEngine
	s.SetIncludeLoopbackCandidate(true)
	s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	s.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6})
	s.DetachDataChannels()
	return webrtc.NewAPI(webrtc.WithSettingEngine(s))
}

type pair struct {
	a, b *webrtc.PeerConnection
	tx   *webrtc.DataChannel
	txIO datachannel.ReadWriteCloser
	rxIO datachannel.ReadWriteCloser
	ms   float64
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "pion-bench:", err)
		os.Exit(1)
	}
}

func detachOnOpen(d *webrtc.DataChannel, out chan<- datachannel.ReadWriteCloser) {
	d.OnOpen(func() {
		raw, err := d.Detach()
		must(err)
		out <- raw
	})
}

func connect(api *webrtc.API) pair {
	a, err := api.NewPeerConnection(webrtc.Configuration{})
	must(err)
	b, err := api.NewPeerConnection(webrtc.Configuration{})
	must(err)
	rxc := make(chan datachannel.ReadWriteCloser, 1)
	b.OnDataChannel(func(d *webrtc.DataChannel) { detachOnOpen(d, rxc) })
	start := time.Now()
	txc := make(chan datachannel.ReadWriteCloser, 1)
	tx, err := a.CreateDataChannel("bench", nil)
	must(err)
	detachOnOpen(tx, txc)
	offer, err := a.CreateOffer(nil)
	must(err)
	ga := webrtc.GatheringCompletePromise(a)
	must(a.SetLocalDescription(offer))
	<-ga
	must(b.SetRemoteDescription(*a.LocalDescription()))
	answer, err := b.CreateAnswer(nil)
	must(err)
	gb := webrtc.GatheringCompletePromise(b)
	must(b.SetLocalDescription(answer))
	<-gb
	must(a.SetRemoteDescription(*b.LocalDescription()))
	var txIO datachannel.ReadWriteCloser
	select {
	case txIO = <-txc:
	case <-time.After(30 * time.Second):
		must(fmt.Errorf("the channel did not open within 30 s"))
	}
	ms := float64(time.Since(start).Microseconds()) / 1000
	return pair{a, b, tx, txIO, <-rxc, ms}
}

func cpuSeconds() float64 {
	var r syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &r)
	return float64(r.Utime.Sec+r.Stime.Sec) + float64(r.Utime.Usec+r.Stime.Usec)/1e6
}

func bulk(api *webrtc.API, size, total int) (float64, float64, bool) {
	p := connect(api)
	type result struct {
		at     time.Time
		digest []byte
		n      int
	}
	done := make(chan result, 1)
	go func() {
		h := sha256.New()
		buf := make([]byte, 1<<20)
		received := 0
		for received < total {
			n, err := p.rxIO.Read(buf)
			if err != nil && err != io.EOF {
				must(fmt.Errorf("read: %v", err))
			}
			h.Write(buf[:n])
			received += n
			if err == io.EOF {
				break
			}
		}
		done <- result{time.Now(), h.Sum(nil), received}
	}()
	payload := make([]byte, size)
	for i := range payload {
		payload[i] = byte(i % 251)
	}
	// The digest the receiver must report, computed before the clock starts (the payload is
	// the same every message), as in the SwiftRTC and aiortc benchmarks.
	expected := sha256.New()
	for sent := 0; sent < total; sent += size {
		expected.Write(payload)
	}
	low := make(chan struct{}, 1)
	p.tx.SetBufferedAmountLowThreshold(1 << 20)
	p.tx.OnBufferedAmountLow(func() {
		select {
		case low <- struct{}{}:
		default:
		}
	})
	cpu0 := cpuSeconds()
	t0 := time.Now()
	for sent := 0; sent < total; sent += size {
		for p.tx.BufferedAmount() > 4<<20 {
			select {
			case <-low:
			case <-time.After(10 * time.Millisecond):
			}
		}
		_, err := p.txIO.Write(payload)
		must(err)
	}
	var r result
	select {
	case r = <-done:
	case <-time.After(300 * time.Second):
		must(fmt.Errorf("bulk %d KiB: not all data arrived within 300 s", size>>10))
	}
	cpu := cpuSeconds() - cpu0
	ok := r.n == total && bytes.Equal(r.digest, expected.Sum(nil))
	p.a.Close()
	p.b.Close()
	return float64(total) * 8 / r.at.Sub(t0).Seconds() / 1e6, cpu, ok
}

func rssKiB() int {
	runtime.GC()
	status, err := os.ReadFile("/proc/self/status")
	must(err)
	for _, line := range bytes.Split(status, []byte("\n")) {
		if bytes.HasPrefix(line, []byte("VmRSS:")) {
			fields := bytes.Fields(line)
			n, _ := strconv.Atoi(string(fields[1]))
			return n
		}
	}
	return -1
}

func closePair(p pair) {
	p.a.Close()
	p.b.Close()
}

func memory(api *webrtc.API, pairs, cycles int) {
	for i := 0; i < 50; i++ {
		closePair(connect(api))
	}
	warm := rssKiB()
	marks := ""
	quarter := cycles / 4
	if quarter < 1 {
		quarter = 1
	}
	for i := 1; i <= cycles; i++ {
		closePair(connect(api))
		if i%quarter == 0 {
			marks += fmt.Sprintf(" %d", rssKiB())
		}
	}
	end := rssKiB()
	fmt.Printf("pion cycles: %d connect/close cycles: RSS %d KiB after warm-up -> %d KiB (%+.1f %%) [%s KiB]\n",
		cycles, warm, end, float64(end-warm)*100/float64(warm), marks[1:])
	before := rssKiB()
	held := make([]pair, 0, pairs)
	for i := 0; i < pairs; i++ {
		held = append(held, connect(api))
	}
	time.Sleep(2 * time.Second)
	after := rssKiB()
	fmt.Printf("pion memory: %d idle pairs: RSS %d KiB -> %d KiB = %.1f KiB per idle connected PeerConnection\n",
		pairs, before, after, float64(after-before)/float64(2*pairs))
	for _, p := range held {
		closePair(p)
	}
}

func readLine(r *bufio.Reader) string {
	line, err := r.ReadString('\n')
	if err != nil && line == "" {
		must(fmt.Errorf("signaling pipe closed: %v", err))
	}
	return string(bytes.TrimRight([]byte(line), "\n"))
}

func writeDescription(w *os.File, d *webrtc.SessionDescription) {
	j, err := json.Marshal(d)
	must(err)
	_, err = w.Write(append(j, '\n'))
	must(err)
}

func readDescription(r *bufio.Reader) webrtc.SessionDescription {
	var d webrtc.SessionDescription
	must(json.Unmarshal([]byte(readLine(r)), &d))
	return d
}

func twoProcessReceive(offers, answers string) {
	in, err := os.Open(offers)
	must(err)
	out, err := os.OpenFile(answers, os.O_WRONLY, 0)
	must(err)
	r := bufio.NewReaderSize(in, 1<<20)
	total, err := strconv.Atoi(readLine(r))
	must(err)
	offer := readDescription(r)
	pc, err := newAPI().NewPeerConnection(webrtc.Configuration{})
	must(err)
	rxc := make(chan datachannel.ReadWriteCloser, 1)
	pc.OnDataChannel(func(d *webrtc.DataChannel) { detachOnOpen(d, rxc) })
	must(pc.SetRemoteDescription(offer))
	answer, err := pc.CreateAnswer(nil)
	must(err)
	g := webrtc.GatheringCompletePromise(pc)
	must(pc.SetLocalDescription(answer))
	<-g
	writeDescription(out, pc.LocalDescription())
	rx := <-rxc
	cpu0 := cpuSeconds()
	h := sha256.New()
	buf := make([]byte, 1<<20)
	for received := 0; received < total; {
		n, err := rx.Read(buf)
		if err != nil && err != io.EOF {
			must(fmt.Errorf("read: %v", err))
		}
		h.Write(buf[:n])
		received += n
		if err == io.EOF {
			break
		}
	}
	fmt.Fprintf(out, "done %.3f %s\n", cpuSeconds()-cpu0, hex.EncodeToString(h.Sum(nil)))
	for {
		if _, err := r.ReadString('\n'); err != nil {
			break
		}
	}
	pc.Close()
}

func twoProcessSend(offers, answers string, size, total int) {
	out, err := os.OpenFile(offers, os.O_WRONLY, 0)
	must(err)
	in, err := os.Open(answers)
	must(err)
	r := bufio.NewReaderSize(in, 1<<20)
	pc, err := newAPI().NewPeerConnection(webrtc.Configuration{})
	must(err)
	txc := make(chan datachannel.ReadWriteCloser, 1)
	tx, err := pc.CreateDataChannel("bench", nil)
	must(err)
	detachOnOpen(tx, txc)
	offer, err := pc.CreateOffer(nil)
	must(err)
	g := webrtc.GatheringCompletePromise(pc)
	must(pc.SetLocalDescription(offer))
	<-g
	fmt.Fprintf(out, "%d\n", total)
	writeDescription(out, pc.LocalDescription())
	must(pc.SetRemoteDescription(readDescription(r)))
	txIO := <-txc
	payload := make([]byte, size)
	for i := range payload {
		payload[i] = byte(i % 251)
	}
	// The digest the receiver must report, computed before the clock starts (the payload is
	// the same every message), as in the SwiftRTC and aiortc benchmarks.
	expected := sha256.New()
	for sent := 0; sent < total; sent += size {
		expected.Write(payload)
	}
	low := make(chan struct{}, 1)
	tx.SetBufferedAmountLowThreshold(1 << 20)
	tx.OnBufferedAmountLow(func() {
		select {
		case low <- struct{}{}:
		default:
		}
	})
	cpu0 := cpuSeconds()
	t0 := time.Now()
	for sent := 0; sent < total; sent += size {
		for tx.BufferedAmount() > 4<<20 {
			select {
			case <-low:
			case <-time.After(10 * time.Millisecond):
			}
		}
		_, err := txIO.Write(payload)
		must(err)
	}
	fields := bytes.Fields([]byte(readLine(r)))
	elapsed := time.Since(t0).Seconds()
	cpu := cpuSeconds() - cpu0
	if len(fields) != 3 || string(fields[0]) != "done" {
		must(fmt.Errorf("unexpected line from the receiver"))
	}
	receiverCPU, err := strconv.ParseFloat(string(fields[1]), 64)
	must(err)
	match := "match"
	if string(fields[2]) != hex.EncodeToString(expected.Sum(nil)) {
		match = "MISMATCH"
	}
	fmt.Printf("pion two-process bulk %d KiB messages: %.1f Mbit/s, %.2f + %.2f CPU-s (sender + receiver) for %d MiB = %.2f CPU-s per GiB, sha256 %s\n",
		size>>10, float64(total)*8/elapsed/1e6, cpu, receiverCPU, total>>20, (cpu+receiverCPU)*float64(1<<30)/float64(total), match)
	out.Close()
	pc.Close()
}

func main() {
	if len(os.Args) > 3 && os.Args[1] == "dc-recv" {
		twoProcessReceive(os.Args[2], os.Args[3])
		return
	}
	if len(os.Args) > 5 && os.Args[1] == "dc-send" {
		size, _ := strconv.Atoi(os.Args[4])
		total, _ := strconv.Atoi(os.Args[5])
		twoProcessSend(os.Args[2], os.Args[3], size, total)
		return
	}
	if len(os.Args) > 1 && os.Args[1] == "memory" {
		pairs, cycles := 1000, 1000
		if len(os.Args) > 2 {
			pairs, _ = strconv.Atoi(os.Args[2])
		}
		if len(os.Args) > 3 {
			cycles, _ = strconv.Atoi(os.Args[3])
		}
		memory(newAPI(), pairs, cycles)
		return
	}
	if len(os.Args) > 2 && os.Args[1] == "open-samples" {
		// offer->open of RUNS connections after the warm-up, every time printed (scripts/bench.sh
		// runs it in rounds alternating with SwiftRTC's).
		runs, _ := strconv.Atoi(os.Args[2])
		api := newAPI()
		for i := 0; i < 20; i++ {
			p := connect(api)
			p.a.Close()
			p.b.Close()
		}
		fmt.Print("pion offer->open samples (ms):")
		for i := 0; i < runs; i++ {
			p := connect(api)
			fmt.Printf(" %.3f", p.ms)
			p.a.Close()
			p.b.Close()
		}
		fmt.Println()
		return
	}
	runs, total := 20, 50<<20
	if len(os.Args) > 1 {
		runs, _ = strconv.Atoi(os.Args[1])
	}
	if len(os.Args) > 2 {
		total, _ = strconv.Atoi(os.Args[2])
	}
	api := newAPI()
	// Warm-up, untimed, as in the SwiftRTC and aiortc benchmarks: 20 connections first.
	for i := 0; i < 20; i++ {
		p := connect(api)
		p.a.Close()
		p.b.Close()
	}
	times := make([]float64, 0, runs)
	for i := 0; i < runs; i++ {
		p := connect(api)
		times = append(times, p.ms)
		p.a.Close()
		p.b.Close()
	}
	sort.Float64s(times)
	fmt.Printf("pion offer->open: median %.1f ms over %d connections, p95 %.1f ms, max %.1f ms\n",
		times[len(times)/2], runs, times[(len(times)*95+99)/100-1], times[len(times)-1])
	for _, size := range []int{16 << 10, 64 << 10} {
		mbit, cpu, ok := bulk(api, size, total)
		match := "match"
		if !ok {
			match = "MISMATCH"
		}
		fmt.Printf("pion bulk %d KiB messages: %.1f Mbit/s, %.2f CPU-s for %d MiB, sha256 %s\n", size>>10, mbit, cpu, total>>20, match)
	}
}
