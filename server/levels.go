package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"segel/pkinet"
	"segel/signer"
	"segel/signer/ltv"
	"segel/tsa"
	"segel/verify"
)

// TSAClientConfig is the time-stamping authority the server asks for
// signature time-stamps (PAdES B-T). With it, signing defaults to B-T;
// a request may ask for level=B-B.
type TSAClientConfig struct {
	// URL of the RFC 3161 authority (http or https).
	URL string `yaml:"url"`
	// Roots the TSA's certificate must chain to (PEM files).
	Roots []string `yaml:"roots"`
	// CredentialsFile holds user=/password= or token= for the TSA
	// (never in this file itself); else SEGEL_TSA_USER/SEGEL_TSA_PASSWORD
	// or SEGEL_TSA_TOKEN from the environment.
	CredentialsFile string `yaml:"credentials_file"`
	// Allow lets the request reach loopback, private or listed networks
	// (public addresses only otherwise).
	Allow []string `yaml:"allow"`
}

// validateTSAClient adds the problems of c.TSAClient to bad.
func (c *Config) validateTSAClient(bad func(string, ...any)) {
	t := c.TSAClient
	if t == nil {
		return
	}
	if strings.TrimSpace(t.URL) == "" {
		bad("tsa.url is empty")
	}
	if len(t.Roots) == 0 {
		bad("tsa.roots: name the PEM files the TSA's certificate must chain to")
	}
	if _, err := pkinet.ParseGuard(t.Allow); err != nil {
		bad("tsa.allow: %v", err)
	}
}

// openTSAClient makes the Timestamper of the server's B-T signatures.
func (s *Server) openTSAClient(lookupEnv func(string) (string, bool)) error {
	t := s.cfg.TSAClient
	pool, err := loadPool(s.cfg.path, t.Roots)
	if err != nil {
		return fmt.Errorf("tsa.roots: %w", err)
	}
	getenv := func(k string) string {
		if lookupEnv == nil {
			return ""
		}
		v, _ := lookupEnv(k)
		return v
	}
	creds, err := tsa.LoadCredentials(s.cfg.path(t.CredentialsFile), getenv)
	if err != nil {
		return fmt.Errorf("tsa: %w", err)
	}
	guard, _ := pkinet.ParseGuard(t.Allow) // checked by Validate
	client, err := tsa.NewClient(t.URL, tsa.ClientConfig{Net: pkinet.New(pkinet.Config{Guard: guard}), Credentials: creds, Roots: pool})
	if err != nil {
		return fmt.Errorf("tsa: %w", err)
	}
	s.timestamper = client
	return nil
}

// levelOf chooses a request's PAdES level: the one asked for, else B-T
// when the server has a TSA, else B-B.
func (s *Server) levelOf(asked string) (string, signer.Timestamper, *apiError) {
	switch asked {
	case "":
		if s.timestamper != nil {
			return "B-T", s.timestamper, nil
		}
		return "B-B", nil, nil
	case "B-B":
		return "B-B", nil, nil
	case "B-T":
		if s.timestamper == nil {
			return "", nil, errorf(http.StatusUnprocessableEntity, "no_tsa", "level B-T needs a time-stamping authority, and this server has none configured")
		}
		return "B-T", s.timestamper, nil
	case "B-LT", "B-LTA":
		if s.timestamper == nil {
			return "", nil, errorf(http.StatusUnprocessableEntity, "no_tsa", "level %s needs a time-stamping authority, and this server has none configured", asked)
		}
		return asked, s.timestamper, nil
	}
	return "", nil, errorf(http.StatusBadRequest, "bad_option", "level must be B-B, B-T, B-LT or B-LTA")
}

// extendLTV makes the signed spool B-LT or B-LTA: the chains' validation
// data (fetched through fetch.allow's guard) and, for B-LTA, a document
// time-stamp. It returns the new spool; the old one is closed.
func (s *Server) extendLTV(ctx context.Context, level string, signed *spool) (*spool, *ltv.Result, error) {
	nc, err := s.cfg.PKINet()
	if err != nil {
		return nil, nil, err
	}
	out := newSpool(s.cfg.Limits.TempDir, int64(s.cfg.Limits.MemoryBuffer))
	res, err := ltv.Extend(ctx, signed, signed.Size(), out, ltv.Options{Level: level, TSA: s.timestamper,
		Fetcher: &verify.Fetcher{Network: nc}, Certs: s.trustCerts})
	if err != nil {
		out.Close()
		return nil, nil, err
	}
	signed.Close()
	return out, res, nil
}

// stampOptions puts the request's stamp into o: the signer's particulars,
// a new visible field when page and rect are given, and a QR code to the
// document's page (/v/{id}) when the server records documents and knows
// its public address. The document's ID is chosen here, before signing.
func (s *Server) stampOptions(ctx context.Context, up *upload, o *signer.Options) *apiError {
	q := up.opts
	if q.Rect != "" {
		v, err := signer.ParseNumbers(q.Rect, 4)
		if err != nil {
			return errorf(http.StatusBadRequest, "bad_option", "rect must be x,y,w,h in points")
		}
		if q.Field != "" {
			return errorf(http.StatusBadRequest, "bad_option", "give either field (an existing field) or page and rect (a new one)")
		}
		o.Page, o.Rect = max(q.Page, 1), [4]float64{v[0], v[1], v[2], v[3]}
	}
	if q.Anchor != "" || q.AnchorSize != "" || q.AnchorIndex != 0 {
		if e := anchorOptions(q, o); e != nil {
			return e
		}
	}
	st := stateFromCtx(ctx)
	if st != nil {
		st.document, st.documentNew = s.documentID(ctx, up.sha256)
	}
	if q.Stamp == "" {
		return nil
	}
	stamp := &signer.Stamp{Name: q.StampName, Jabatan: q.StampJabatan, NIP: q.StampNIP,
		Instansi: q.StampInstansi, Reason: q.Reason, Zone: q.TZ}
	if e := s.stampLayout(q.Stamp, stamp); e != nil {
		return e
	}
	if _, err := signer.IndonesianTime(o.Time, q.TZ); err != nil {
		return errorf(http.StatusBadRequest, "bad_option", "tz must be WIB, WITA or WIT")
	}
	if st != nil && st.document != "" {
		stamp.VerifyURL = s.VerifyURL(st.document)
	}
	o.Stamp = stamp
	return nil
}

// anchorOptions puts the request's anchor (a new visible field at a text
// marker) into o.
func anchorOptions(q options, o *signer.Options) *apiError {
	if strings.TrimSpace(q.Anchor) == "" {
		return errorf(http.StatusBadRequest, "bad_option", "anchor_size and anchor_index need anchor (the marker text)")
	}
	if q.Field != "" || q.Rect != "" {
		return errorf(http.StatusBadRequest, "bad_option", "give one of field (an existing field), page and rect, or anchor (a new one)")
	}
	wh := signer.DefaultAnchorSize
	if q.AnchorSize != "" {
		v, err := signer.ParseNumbers(q.AnchorSize, 2)
		if err != nil || v[0] < 10 || v[1] < 10 || v[0] > 14400 || v[1] > 14400 {
			return errorf(http.StatusBadRequest, "bad_option", "anchor_size must be W,H in points, each from 10")
		}
		wh = [2]float64{v[0], v[1]}
	}
	o.Anchor, o.AnchorSize, o.AnchorIndex = q.Anchor, wh, q.AnchorIndex
	return nil
}
