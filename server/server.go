package server

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"segel/certfile"
	"segel/official"
	"segel/store"
	"segel/tsa"
	"segel/verify"
)

// Options are the server's dependencies that do not come from the
// configuration.
type Options struct {
	// Logger receives the JSON access log and events. Nil discards them.
	Logger *slog.Logger
	// LookupEnv reads the environment variables named by keys'
	// password_env (os.LookupEnv in the command). Nil reads none.
	LookupEnv func(string) (string, bool)
	// Official, when set, serves official mode: the signing page at
	// /official, every signature authorised by the official's own Vault
	// login (see official.go).
	Official *official.Service
}

// Server is the segel HTTP service. It is an http.Handler; [Server.Serve]
// runs it on a listener with the configured timeouts, TLS and graceful
// shutdown.
type Server struct {
	cfg       Config
	log       *slog.Logger
	m         *metrics
	keys      map[string]*keySlot
	trust     map[string]*x509.CertPool
	trustList []string
	ids       []*identity
	audit     *AuditLog
	tls       *tls.Config
	sem       chan struct{}
	semVerify chan struct{} // verify's own pool: verifying never makes signing busy
	mux       *http.ServeMux
	base      context.Context
	cancel    context.CancelFunc
	draining  atomic.Bool
	closeOnce sync.Once
	official  *officialState
	tsa       *tsaEndpoint // the time-stamping authority at /v1/tsa, or nil
	store     store.Store  // the document store, or nil
	// timestamper time-stamps signatures (B-T) and documents (B-LTA),
	// or nil.
	timestamper *tsa.Client
	// vcache keeps what verifying one document learns that holds for
	// others (chains to the trust sets, OCSP and CRL checks): the trust
	// sets' pools live as long as the server.
	vcache *verify.Cache
	// trustCerts are the trust sets' certificates: they complete chains
	// for B-LT and B-LTA.
	trustCerts []*x509.Certificate
	docRate    *rateLimiter // requests to /v/ per client address
	stamps     *stampAssets // configured stamp layouts and image

	// testHook, when set by tests, is called at named points of request
	// handling ("sign:input", "verify:input").
	testHook func(stage string)
}

// New checks cfg, loads the trust sets, TLS files and audit log, and
// returns a server ready to serve. Keys are opened on first use (and
// probed by /readyz), so a key backend that is down at start does not
// stop the service. ctx bounds nothing but is the parent of the context
// keys are opened with (its cancellation is ignored: keys live until
// Close).
func New(ctx context.Context, cfg *Config, opts Options) (*Server, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := cfg.withDefaults(runtime.NumCPU())
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		vcache:    verify.NewCache(),
		cfg:       c,
		log:       log,
		m:         newMetrics(),
		keys:      map[string]*keySlot{},
		trust:     map[string]*x509.CertPool{},
		ids:       newIdentities(c.Identities),
		sem:       make(chan struct{}, c.Limits.MaxConcurrent),
		semVerify: make(chan struct{}, c.Limits.MaxConcurrent),
	}
	s.base, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	fail := func(err error) (*Server, error) {
		s.Close()
		return nil, err
	}
	for name, files := range c.Trust {
		pool, err := loadPool(c.path, files)
		if err != nil {
			return fail(fmt.Errorf("server: trust set %q: %w", name, err))
		}
		s.trust[name] = pool
		for _, f := range files {
			if certs, err := certfile.Read(c.path(f)); err == nil {
				s.trustCerts = append(s.trustCerts, certs...)
			}
		}
	}
	s.trustList = slices.Sorted(maps.Keys(s.trust))
	for name, kc := range c.Keys {
		slot, err := newKeySlot(s.base, name, kc, &c, opts.LookupEnv, s.m, log)
		if err != nil {
			return fail(fmt.Errorf("server: %w", err))
		}
		s.keys[name] = slot
	}
	if c.TLS.CertFile != "" {
		t, err := c.tlsConfig()
		if err != nil {
			return fail(err)
		}
		s.tls = t
	}
	if c.Audit.File != "" {
		a, err := OpenAuditLog(c.path(c.Audit.File))
		if err != nil {
			return fail(err)
		}
		s.audit = a
		n, head := a.Head()
		log.Info("audit log opened", "file", c.path(c.Audit.File), "entries", n, "head", head)
	}
	if c.Documents != nil {
		st, err := store.Open(ctx, c.storeAddr())
		if err != nil {
			return fail(fmt.Errorf("server: documents: %w", err))
		}
		s.store = st
		s.docRate = &rateLimiter{n: cmp.Or(c.Documents.RatePerMinute, 30), seen: map[string][]time.Time{}}
	}
	stamps, err := c.loadStamps()
	if err != nil {
		return fail(fmt.Errorf("server: %w", err))
	}
	s.stamps = stamps
	if c.TSAClient != nil {
		if err := s.openTSAClient(opts.LookupEnv); err != nil {
			return fail(fmt.Errorf("server: %w", err))
		}
	}
	if c.TSA != nil {
		if err := s.openTSA(s.base, opts.LookupEnv); err != nil {
			return fail(fmt.Errorf("server: %w", err))
		}
	}
	if opts.Official != nil {
		s.official = &officialState{svc: opts.Official, doc: map[string]*pendingDoc{}}
	}
	s.routes()
	return s, nil
}

// tlsConfig loads the server certificate and the client CAs.
func (c *Config) tlsConfig() (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(c.path(c.TLS.CertFile), c.path(c.TLS.KeyFile))
	if err != nil {
		return nil, fmt.Errorf("server: tls: %w", err)
	}
	t := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	if c.TLS.ClientCAFile != "" {
		pool, err := loadPool(c.path, []string{c.TLS.ClientCAFile})
		if err != nil {
			return nil, fmt.Errorf("server: tls.client_ca_file: %w", err)
		}
		t.ClientCAs = pool
		t.ClientAuth = tls.VerifyClientCertIfGiven
	}
	return t, nil
}

// loadPool reads certificate files (PEM or DER, single certificates or
// bundles: see package certfile) into a pool.
func loadPool(resolve func(string) string, files []string) (*x509.CertPool, error) {
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = resolve(f)
	}
	return certfile.ReadPool(paths...)
}

func (s *Server) routes() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.handleHealthz)
	mux.HandleFunc("GET /readyz", s.handleReadyz)
	mux.Handle("GET /metrics", s.m.handler())
	mux.HandleFunc("GET /openapi.json", s.handleOpenAPI)
	mux.HandleFunc("POST /v1/sign", s.limited(s.handleSign, false))
	mux.HandleFunc("POST /v1/verify", s.limited(s.handleVerify, false))
	mux.HandleFunc("GET /v1/verify", s.handlePage)
	mux.HandleFunc("POST /v1/verify/page", s.limited(s.handlePagePost, true))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/v1/verify", http.StatusFound)
	})
	if s.official != nil {
		s.officialRoutes(mux)
	}
	if s.tsa != nil {
		mux.HandleFunc("POST /v1/tsa", s.handleTSA)
	}
	if s.store != nil {
		mux.HandleFunc("GET /v/{id}", s.handleDocPage)
		mux.HandleFunc("POST /v/{id}", s.limited(s.handleDocCompare, true))
		mux.HandleFunc("GET /v/{id}/file", s.handleDocFile)
	}
	s.mux = mux
}

// Close closes the keys and the audit log. Call it after Serve returned.
func (s *Server) Close() error {
	var err error
	s.closeOnce.Do(func() {
		for _, k := range s.keys {
			k.close()
		}
		if s.tsa != nil {
			s.tsa.key.Close()
		}
		if s.store != nil {
			s.store.Close()
		}
		if s.cancel != nil {
			s.cancel()
		}
		if s.audit != nil {
			err = s.audit.Close()
		}
	})
	return err
}

// ListenAndServe listens on the configured address and serves until ctx
// is done, then shuts down gracefully (see Serve).
func (s *Server) ListenAndServe(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	return s.Serve(ctx, ln)
}

// Serve serves HTTP (HTTPS when TLS is configured) on ln until ctx is
// done. Then it stops accepting connections, answers /readyz with 503,
// waits up to limits.shutdown_timeout for in-flight requests to finish,
// and returns nil (or an error if some had to be cut off).
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	l := s.cfg.Limits
	hs := &http.Server{
		Handler:           s,
		TLSConfig:         s.tls,
		ReadHeaderTimeout: l.ReadHeaderTimeout,
		ReadTimeout:       l.ReadTimeout,
		WriteTimeout:      l.WriteTimeout,
		IdleTimeout:       l.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() {
		if s.tls != nil {
			errc <- hs.ServeTLS(ln, "", "")
		} else {
			errc <- hs.Serve(ln)
		}
	}()
	s.log.Info("listening", "addr", ln.Addr().String(), "tls", s.tls != nil,
		"client_certificates", s.tls != nil && s.tls.ClientCAs != nil,
		"keys", slices.Sorted(maps.Keys(s.keys)), "trust_sets", s.trustList,
		"verify_public", s.cfg.VerifyPublic(), "max_concurrent", l.MaxConcurrent, "max_body", int64(l.MaxBody))
	select {
	case err := <-errc:
		return fmt.Errorf("server: %w", err)
	case <-ctx.Done():
	}
	s.draining.Store(true)
	s.log.Info("shutting down: finishing in-flight requests", "timeout", l.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.ShutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		hs.Close()
		return fmt.Errorf("server: shutdown: %w (requests still running were cut off)", err)
	}
	<-errc
	s.log.Info("stopped")
	return nil
}

// Handler returns the server as an http.Handler.
func (s *Server) Handler() http.Handler { return s }

// reqState is what one request's handling learns, for the access log,
// metrics and the panic handler.
type reqState struct {
	id       string
	identity string
	key      string
	signer   string // the signing certificate's common name
	level    string // the PAdES level of the signature made
	document string // the document store's ID of the document signed
	// documentNew: document is a new ID (the input is not a signed
	// version of a stored document).
	documentNew bool
	input       string // hex SHA-256 of the request body, once read
	audit       string // hash of the audit entry written
	code        string // error code sent
}

type stateKey struct{}

func state(r *http.Request) *reqState {
	if st, ok := r.Context().Value(stateKey{}).(*reqState); ok {
		return st
	}
	return &reqState{}
}

// respWriter records the status and size of a response.
type respWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *respWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *respWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

func (w *respWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// ServeHTTP implements http.Handler: request ID, security headers, panic
// recovery, metrics and the access log around the routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	st := &reqState{id: newRequestID()}
	r = r.WithContext(context.WithValue(r.Context(), stateKey{}, st))
	rw := &respWriter{ResponseWriter: w}
	h := rw.Header()
	h.Set("X-Request-Id", st.id)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("panic while handling a request", "request_id", st.id, "panic", fmt.Sprint(v),
				"input_sha256", st.input, "stack", string(debug.Stack()))
			if rw.status == 0 {
				extra := map[string]any{}
				if st.input != "" {
					extra["input_sha256"] = st.input
				}
				s.writeErrorExtra(rw, r, http.StatusInternalServerError, "internal", "internal error", extra)
			}
		}
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		status := rw.status
		if status == 0 {
			status = http.StatusOK
		}
		d := time.Since(start)
		s.m.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
		s.m.duration.WithLabelValues(route).Observe(d.Seconds())
		attrs := []slog.Attr{
			slog.String("request_id", st.id),
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.String("route", route),
			slog.Int("status", status),
			slog.Int64("bytes", rw.bytes),
			slog.Float64("duration_ms", float64(d.Microseconds())/1000),
			slog.String("remote", r.RemoteAddr),
		}
		for _, a := range [][2]string{{"identity", st.identity}, {"key", st.key}, {"input_sha256", st.input}, {"audit_hash", st.audit}, {"error", st.code}} {
			if a[1] != "" {
				attrs = append(attrs, slog.String(a[0], a[1]))
			}
		}
		s.log.LogAttrs(context.Background(), slog.LevelInfo, "request", attrs...)
	}()
	s.mux.ServeHTTP(rw, r)
}

// multipartSlack is what multipart framing may add to a body of MaxBody.
const multipartSlack = 256 << 10

// limited wraps the heavy routes: the body size limit (413), the body
// read deadline (408), then the concurrency limit (429 when full). The
// body is spooled before a slot is taken, so a slow upload holds no slot;
// sign and verify routes have separate pools.
func (s *Server) limited(h http.HandlerFunc, page bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		fail := s.writeError
		if page {
			fail = s.pageError
		}
		limit := int64(s.cfg.Limits.MaxBody) + multipartSlack
		if r.ContentLength > limit {
			s.m.rejected.WithLabelValues("body_too_large").Inc()
			w.Header().Set("Connection", "close")
			fail(w, r, http.StatusRequestEntityTooLarge, "too_large", s.tooLargeMessage())
			return
		}
		if s.testHook != nil {
			s.testHook("body")
		}
		body, ok := s.spoolBody(w, r, limit, fail)
		if !ok {
			return
		}
		defer body.Close()
		pool := s.sem
		if strings.Contains(r.Pattern, "verify") || strings.HasPrefix(r.Pattern, "POST /v/") {
			pool = s.semVerify
		}
		select {
		case pool <- struct{}{}:
		default:
			s.m.rejected.WithLabelValues("concurrency").Inc()
			w.Header().Set("Retry-After", "1")
			fail(w, r, http.StatusTooManyRequests, "busy", "too many documents are being processed right now; try again in a moment")
			return
		}
		defer func() { <-pool }()
		s.m.inFlight.Inc()
		defer s.m.inFlight.Dec()
		r.Body = io.NopCloser(body.Reader())
		r.ContentLength = body.Size()
		h(w, r)
	}
}

// spoolBody receives the whole body within limits.body_timeout into a
// spool (memory, then a temporary file).
func (s *Server) spoolBody(w http.ResponseWriter, r *http.Request, limit int64, fail func(http.ResponseWriter, *http.Request, int, string, string)) (*spool, bool) {
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Now().Add(s.cfg.Limits.BodyTimeout))
	sp := newSpool(s.cfg.Limits.TempDir, int64(s.cfg.Limits.MemoryBuffer))
	_, err := io.Copy(sp, http.MaxBytesReader(w, r.Body, limit))
	rc.SetReadDeadline(time.Time{})
	if err == nil {
		return sp, true
	}
	sp.Close()
	w.Header().Set("Connection", "close")
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		s.m.rejected.WithLabelValues("body_too_large").Inc()
		fail(w, r, http.StatusRequestEntityTooLarge, "too_large", s.tooLargeMessage())
	case errors.Is(err, os.ErrDeadlineExceeded):
		s.m.rejected.WithLabelValues("slow_body").Inc()
		fail(w, r, http.StatusRequestTimeout, "slow_upload", fmt.Sprintf("the document was not received within %s", s.cfg.Limits.BodyTimeout))
	default:
		fail(w, r, http.StatusBadRequest, "bad_body", "the request body could not be read")
	}
	return nil, false
}

func (s *Server) tooLargeMessage() string {
	return fmt.Sprintf("the document is larger than this service accepts (%s)", humanSize(int64(s.cfg.Limits.MaxBody)))
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// apiError is a JSON error answer.
type apiError struct {
	status int
	code   string
	msg    string
	extra  map[string]any
}

func (e *apiError) Error() string { return e.msg }

func errorf(status int, code, format string, a ...any) *apiError {
	return &apiError{status: status, code: code, msg: fmt.Sprintf(format, a...)}
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	s.writeErrorExtra(w, r, status, code, msg, nil)
}

// writeErrorExtra answers {"error": msg, "code": code, "request_id": …}
// plus extra fields.
func (s *Server) writeErrorExtra(w http.ResponseWriter, r *http.Request, status int, code, msg string, extra map[string]any) {
	st := state(r)
	st.code = code
	body := map[string]any{"error": msg, "code": code, "request_id": st.id}
	maps.Copy(body, extra)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(body)
}

func (s *Server) sendError(w http.ResponseWriter, r *http.Request, e *apiError) {
	s.writeErrorExtra(w, r, e.status, e.code, e.msg, e.extra)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

func newRequestID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// handleHealthz answers 200 while the process runs.
func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyTimeout bounds one /readyz probe.
const readyTimeout = 10 * time.Second

// handleReadyz answers 200 when every key works (opened, and for keys
// with a Health method, healthy) and the audit log is writable; 503
// otherwise, and while shutting down. Reasons are short and never
// contain paths or secrets.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	type keyState struct {
		Ready  bool   `json:"ready"`
		Reason string `json:"reason,omitempty"`
	}
	out := struct {
		Ready    bool                `json:"ready"`
		Draining bool                `json:"draining,omitempty"`
		Keys     map[string]keyState `json:"keys"`
		Audit    string              `json:"audit,omitempty"`
	}{Ready: true, Keys: map[string]keyState{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for name, k := range s.keys {
		wg.Go(func() {
			err := k.ready(ctx)
			ks := keyState{Ready: err == nil}
			if err != nil {
				var ke *KeyUnavailableError
				if errors.As(err, &ke) {
					ks.Reason = ke.Reason
				} else {
					ks.Reason = reasonOf(err)
				}
				s.log.Warn("key not ready", "key", name, "error", err.Error())
			}
			mu.Lock()
			out.Keys[name] = ks
			if err != nil {
				out.Ready = false
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	if s.audit != nil {
		out.Audit = "ok"
		if s.audit.Err() != nil {
			out.Audit, out.Ready = "write failed; restart after fixing the disk", false
		}
	}
	if s.draining.Load() {
		out.Ready, out.Draining = false, true
	}
	status := http.StatusOK
	if !out.Ready {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, out)
}
