//go:build linux

// Command load is a load generator for `segel serve`: concurrent sign and
// verify requests over loopback, bounded by a request count and a time
// limit, reporting throughput, latency percentiles, errors and the
// server's peak memory.
//
// By default it builds segel, makes a development PKI and a configuration
// in a temporary folder, starts `segel serve` as a child process on
// 127.0.0.1, runs the load, and stops the server with SIGTERM:
//
//	go run ./bench/load -n 2000 -c 8
//
// With -addr it loads a server that is already running (loopback only);
// signing then needs -token and -key, otherwise only verify requests are
// sent.
//
// The exit status is 1 when any request failed. Linux only (it reads
// /proc for the server's memory and CPU time).
package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"segel/internal/devca"
	"segel/keystore"
	"segel/server"
)

type options struct {
	addr, token, key, pdf, serverBin string
	n, c                             int
	duration                         time.Duration
	signShare                        float64
	keyType                          string
	jsonOut                          bool
	slow, maxConcurrent              int
}

func main() {
	var o options
	flag.StringVar(&o.addr, "addr", "", "load this running server (http://127.0.0.1:PORT) instead of starting one")
	flag.StringVar(&o.token, "token", "", "bearer token for signing (with -addr)")
	flag.StringVar(&o.key, "key", "", "key name for signing (with -addr)")
	flag.StringVar(&o.pdf, "pdf", "testdata/pks.pdf", "the PDF to sign (its first empty field is not used: a new field is added)")
	flag.StringVar(&o.serverBin, "server-bin", "", "segel binary to start (default: go build ./cmd/segel)")
	flag.IntVar(&o.n, "n", 2000, "total number of requests")
	flag.IntVar(&o.c, "c", 8, "concurrent clients")
	flag.DurationVar(&o.duration, "duration", 2*time.Minute, "stop sending after this long even if -n is not reached")
	flag.Float64Var(&o.signShare, "sign", 0.5, "share of requests that sign (the rest verify)")
	flag.StringVar(&o.keyType, "key-type", "rsa-2048", "key type of the generated signing key (rsa-2048, rsa-3072, ecdsa-p256, ...)")
	flag.BoolVar(&o.jsonOut, "json", false, "print the result as JSON")
	flag.IntVar(&o.slow, "slow", 0, "this many anonymous clients trickle uploads to /v1/verify (one byte every 500 ms) during the run, reconnecting when cut")
	flag.IntVar(&o.maxConcurrent, "max-concurrent", 0, "limits.max_concurrent of the started server (default 2×c)")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

// child is a segel serve process started by this program.
type child struct {
	dir  string
	cmd  *exec.Cmd
	addr string
	done chan struct{}
	err  error
	logs *bytes.Buffer
	mu   sync.Mutex
}

func run(o options) error {
	if o.n < 1 || o.c < 1 || o.duration <= 0 || o.signShare < 0 || o.signShare > 1 {
		return errors.New("-n and -c must be positive, -duration positive, -sign within 0..1")
	}
	pdf, err := os.ReadFile(o.pdf)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var ch *child
	base := o.addr
	if base == "" {
		ch, err = startServer(ctx, &o)
		if err != nil {
			return err
		}
		defer ch.kill()
		base = "http://" + ch.addr
	} else if err := loopbackOnly(base); err != nil {
		return err
	}
	client := &http.Client{
		Timeout:   2 * time.Minute,
		Transport: &http.Transport{MaxIdleConnsPerHost: o.c, MaxConnsPerHost: o.c, DisableCompression: true},
	}
	canSign := o.token != "" && o.key != ""
	if !canSign {
		o.signShare = 0
	}

	// A signed document for the verify requests.
	signedDoc := pdf
	if canSign {
		code, body, err := doSign(ctx, client, base, o.token, o.key, pdf)
		if err != nil || code != 200 {
			return fmt.Errorf("warm-up signing: %d %v %.200s", code, err, body)
		}
		signedDoc = body
	}

	slowCtx, stopSlow := context.WithCancel(ctx)
	var slowCuts atomic.Int64
	var slowWG sync.WaitGroup
	for range o.slow {
		slowWG.Go(func() { trickle(slowCtx, base, &slowCuts) })
	}
	if o.slow > 0 {
		time.Sleep(2 * time.Second) // let them occupy whatever they can
	}
	res := load(ctx, client, base, o, pdf, signedDoc)
	stopSlow()
	slowWG.Wait()
	if o.slow > 0 {
		res.SlowClients, res.SlowCuts = o.slow, slowCuts.Load()
	}

	var hwm, rss int64
	var cpu time.Duration
	if ch != nil {
		hwm, rss = procMem(ch.cmd.Process.Pid)
		cpu = procCPU(ch.cmd.Process.Pid)
		t0 := time.Now()
		ch.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-ch.done:
			if ch.err != nil {
				res.Notes = append(res.Notes, "server exit: "+ch.err.Error())
			}
			res.ShutdownMS = float64(time.Since(t0).Microseconds()) / 1000
		case <-time.After(90 * time.Second):
			res.Notes = append(res.Notes, "server did not stop within 90 s of SIGTERM")
		}
	}
	res.ServerPeakRSSMiB = float64(hwm) / 1024
	res.ServerRSSAtEndMiB = float64(rss) / 1024
	res.ServerCPUSeconds = cpu.Seconds()
	res.Machine = fmt.Sprintf("%s/%s, %d CPUs, %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpuModel())
	res.PDFBytes = len(pdf)
	res.Concurrency = o.c
	if o.jsonOut {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		enc.Encode(res)
	} else {
		res.print(os.Stdout)
	}
	if res.Errors > 0 {
		return fmt.Errorf("%d requests failed", res.Errors)
	}
	return nil
}

// loopbackOnly refuses addresses that are not on this machine's loopback.
func loopbackOnly(base string) error {
	u, err := url.Parse(base)
	if err != nil {
		return err
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("-addr %s: only loopback addresses (127.0.0.0/8, ::1, localhost) may be loaded", base)
}

// startServer builds segel if needed, writes a PKI and a configuration,
// and starts `segel serve` on 127.0.0.1 with a free port.
func startServer(ctx context.Context, o *options) (_ *child, err error) {
	dir, err := os.MkdirTemp("", "segel-load-")
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(dir)
		}
	}()
	bin := o.serverBin
	if bin == "" {
		bin = filepath.Join(dir, "segel")
		build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/segel")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return nil, fmt.Errorf("go build ./cmd/segel (run from the repository root): %w", err)
		}
	}
	kt, err := keystore.ParseKeyType(o.keyType)
	if err != nil {
		return nil, err
	}
	ca, err := devca.New(devca.Options{})
	if err != nil {
		return nil, err
	}
	id, err := ca.Issue(devca.LeafRequest{CommonName: "Penanda Tangan Uji Beban", Organization: "segel load test", KeyType: kt})
	if err != nil {
		return nil, err
	}
	if err := id.WriteP12(filepath.Join(dir, "signer.p12"), "load-test", false, true); err != nil {
		return nil, err
	}
	os.WriteFile(filepath.Join(dir, "signer.pass"), []byte("load-test\n"), 0o600)
	if err := ca.WriteRootPEM(filepath.Join(dir, "root.pem")); err != nil {
		return nil, err
	}
	tok, hash, err := server.NewToken()
	if err != nil {
		return nil, err
	}
	o.token, o.key = tok, "signer"
	cfg := fmt.Sprintf(`listen: 127.0.0.1:0
keys:
  signer:
    ref: file:signer.p12
    password_file: signer.pass
trust:
  default: [root.pem]
identities:
  - name: load
    token_sha256: %s
    keys: [signer]
audit:
  file: audit.jsonl
limits:
  max_concurrent: %d
`, hash, cmp.Or(o.maxConcurrent, 2*o.c))
	cfgPath := filepath.Join(dir, "segel-serve.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	// The access log stays on (at info, as in production); this program
	// reads it only for the "listening" line.
	cmd := exec.Command(bin, "serve", "--config", cfgPath)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{dir: dir, cmd: cmd, done: make(chan struct{}), logs: &bytes.Buffer{}}
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Bytes()
			var rec struct {
				Msg, Addr, Level string
			}
			if json.Unmarshal(line, &rec) == nil {
				if rec.Msg == "listening" {
					addrc <- rec.Addr
				}
				if rec.Msg == "request" {
					continue
				}
			}
			c.mu.Lock()
			if c.logs.Len() < 1<<20 {
				c.logs.Write(line)
				c.logs.WriteByte('\n')
			}
			c.mu.Unlock()
		}
	}()
	go func() { c.err = cmd.Wait(); close(c.done) }()
	select {
	case c.addr = <-addrc:
	case <-c.done:
		return nil, fmt.Errorf("segel serve exited: %v\n%s", c.err, c.logs.String())
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		return nil, errors.New("segel serve did not start listening within 30 s")
	}
	fmt.Fprintf(os.Stderr, "load: segel serve (pid %d) on %s, files in %s\n", cmd.Process.Pid, c.addr, dir)
	return c, nil
}

// kill stops the server if it still runs and removes its folder.
func (c *child) kill() {
	select {
	case <-c.done:
	default:
		c.cmd.Process.Kill()
		<-c.done
	}
	os.RemoveAll(c.dir)
}

func doSign(ctx context.Context, client *http.Client, base, token, key string, pdf []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", base+"/v1/sign?key="+url.QueryEscape(key)+"&reason=Uji+beban", bytes.NewReader(pdf))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/pdf")
	req.Header.Set("Authorization", "Bearer "+token)
	return send(client, req)
}

func doVerify(ctx context.Context, client *http.Client, base string, pdf []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", base+"/v1/verify", bytes.NewReader(pdf))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/pdf")
	return send(client, req)
}

func send(client *http.Client, req *http.Request) (int, []byte, error) {
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}

// result is what a run measured.
type result struct {
	Requests          int64              `json:"requests"`
	Errors            int64              `json:"errors"`
	ErrorSamples      []string           `json:"error_samples,omitempty"`
	WallSeconds       float64            `json:"wall_seconds"`
	Throughput        float64            `json:"requests_per_second"`
	Ops               map[string]*opStat `json:"ops"`
	Concurrency       int                `json:"concurrency"`
	PDFBytes          int                `json:"pdf_bytes"`
	ServerPeakRSSMiB  float64            `json:"server_peak_rss_mib,omitempty"`
	ServerRSSAtEndMiB float64            `json:"server_rss_at_end_mib,omitempty"`
	ServerCPUSeconds  float64            `json:"server_cpu_seconds,omitempty"`
	ShutdownMS        float64            `json:"shutdown_ms,omitempty"`
	Machine           string             `json:"machine"`
	StoppedBy         string             `json:"stopped_by"`
	Notes             []string           `json:"notes,omitempty"`
	// SlowClients trickled uploads during the run; the server cut their
	// connections SlowCuts times.
	SlowClients int   `json:"slow_clients,omitempty"`
	SlowCuts    int64 `json:"slow_cuts,omitempty"`
}

type opStat struct {
	Count      int     `json:"count"`
	Errors     int     `json:"errors"`
	Busy       int     `json:"busy_429"`
	Throughput float64 `json:"per_second"`
	P50        float64 `json:"p50_ms"`
	P90        float64 `json:"p90_ms"`
	P99        float64 `json:"p99_ms"`
	Max        float64 `json:"max_ms"`
	lat        []time.Duration
}

// load runs the workers until n requests were sent or the time is up.
func load(ctx context.Context, client *http.Client, base string, o options, pdf, signed []byte) *result {
	ctx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	res := &result{Ops: map[string]*opStat{"sign": {}, "verify": {}}, StoppedBy: "count"}
	var next atomic.Int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	signEvery := 0.0
	if o.signShare > 0 {
		signEvery = 1 / o.signShare
	}
	for range o.c {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(o.n) || ctx.Err() != nil {
					return
				}
				op := "verify"
				// Spread the signing requests evenly over the sequence.
				if signEvery > 0 && math.Floor(float64(i+1)/signEvery) > math.Floor(float64(i)/signEvery) {
					op = "sign"
				}
				t0 := time.Now()
				var code int
				var body []byte
				var err error
				if op == "sign" {
					code, body, err = doSign(ctx, client, base, o.token, o.key, pdf)
				} else {
					code, body, err = doVerify(ctx, client, base, signed)
				}
				d := time.Since(t0)
				if ctx.Err() != nil && err != nil {
					return // the time limit, not a server error
				}
				bad := err != nil || code != 200
				if !bad && op == "verify" && !bytes.Contains(body, []byte(`"indication":"TOTAL_PASSED"`)) && o.signShare > 0 {
					bad, err = true, errors.New("verification was not TOTAL_PASSED")
				}
				if !bad && op == "sign" && !bytes.HasPrefix(body, pdf) {
					bad, err = true, errors.New("the signed PDF does not start with the input")
				}
				mu.Lock()
				st := res.Ops[op]
				st.Count++
				st.lat = append(st.lat, d)
				res.Requests++
				if code == http.StatusTooManyRequests {
					st.Busy++
				}
				if bad {
					st.Errors++
					res.Errors++
					if len(res.ErrorSamples) < 5 {
						msg := fmt.Sprintf("%s: HTTP %d %v %.200s", op, code, err, body)
						res.ErrorSamples = append(res.ErrorSamples, msg)
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if ctx.Err() != nil && res.Requests < int64(o.n) {
		res.StoppedBy = "time limit"
	}
	wall := time.Since(start)
	res.WallSeconds = wall.Seconds()
	res.Throughput = float64(res.Requests) / wall.Seconds()
	for name, st := range res.Ops {
		if st.Count == 0 {
			delete(res.Ops, name)
			continue
		}
		slices.Sort(st.lat)
		st.Throughput = float64(st.Count) / wall.Seconds()
		st.P50, st.P90, st.P99 = pct(st.lat, 50), pct(st.lat, 90), pct(st.lat, 99)
		st.Max = ms(st.lat[len(st.lat)-1])
	}
	return res
}

func pct(sorted []time.Duration, p float64) float64 {
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return ms(sorted[max(0, min(i, len(sorted)-1))])
}

func ms(d time.Duration) float64 { return math.Round(float64(d.Microseconds())/10) / 100 }

func (r *result) print(w io.Writer) {
	fmt.Fprintf(w, "machine:     %s\n", r.Machine)
	fmt.Fprintf(w, "load:        %d requests, %d concurrent clients, %d-byte PDF, stopped by %s\n", r.Requests, r.Concurrency, r.PDFBytes, r.StoppedBy)
	fmt.Fprintf(w, "wall time:   %.2f s, throughput %.1f requests/s\n", r.WallSeconds, r.Throughput)
	fmt.Fprintf(w, "%-8s %7s %7s %7s %9s %9s %9s %9s %9s\n", "op", "count", "errors", "429", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms")
	names := make([]string, 0, len(r.Ops))
	for n := range r.Ops {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		s := r.Ops[n]
		fmt.Fprintf(w, "%-8s %7d %7d %7d %9.1f %9.2f %9.2f %9.2f %9.2f\n", n, s.Count, s.Errors, s.Busy, s.Throughput, s.P50, s.P90, s.P99, s.Max)
	}
	if r.SlowClients > 0 {
		fmt.Fprintf(w, "slow:        %d anonymous trickling uploads; the server cut them %d times\n", r.SlowClients, r.SlowCuts)
	}
	fmt.Fprintf(w, "errors:      %d\n", r.Errors)
	for _, e := range r.ErrorSamples {
		fmt.Fprintf(w, "  %s\n", e)
	}
	if r.ServerPeakRSSMiB > 0 {
		fmt.Fprintf(w, "server:      peak RSS (VmHWM) %.1f MiB, RSS at end %.1f MiB, CPU %.1f s, SIGTERM to exit %.0f ms\n",
			r.ServerPeakRSSMiB, r.ServerRSSAtEndMiB, r.ServerCPUSeconds, r.ShutdownMS)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note:        %s\n", n)
	}
}

// trickle keeps one slow anonymous upload to /v1/verify open: it
// announces a 1 MB body and sends one byte every 500 ms. When the server
// cuts the connection (as it should, after limits.body_timeout) it counts
// the cut and starts again, until ctx ends.
func trickle(ctx context.Context, base string, cuts *atomic.Int64) {
	u, err := url.Parse(base)
	if err != nil {
		return
	}
	for ctx.Err() == nil {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", u.Host)
		if err != nil {
			return
		}
		fmt.Fprintf(conn, "POST /v1/verify HTTP/1.1\r\nHost: %s\r\nContent-Type: application/pdf\r\nContent-Length: 1000000\r\n\r\n%%PDF-1.7\n", u.Host)
		tick := time.NewTicker(500 * time.Millisecond)
		for alive := true; alive; {
			select {
			case <-ctx.Done():
				alive = false
			case <-tick.C:
				if _, err := conn.Write([]byte{' '}); err != nil {
					cuts.Add(1)
					alive = false
				}
			}
		}
		tick.Stop()
		conn.Close()
	}
}

// procMem reads VmHWM and VmRSS (KiB) of a process.
func procMem(pid int) (hwm, rss int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmHWM:":
			hwm = v
		case "VmRSS:":
			rss = v
		}
	}
	return hwm, rss
}

// procCPU reads the user+system CPU time of a process.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		s = s[i+2:]
	}
	f := strings.Fields(s)
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ is 100 on Linux
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}
