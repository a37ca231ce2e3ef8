package pkinet

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestAuthorizationOnlyOverPrivateChannels: a Request's Authorization is
// sent to loopback over http, refused for other http URLs before any
// connection, and never carried by a redirect in clear text.
func TestAuthorizationOnlyOverPrivateChannels(t *testing.T) {
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Get("Authorization")
		w.Header().Set("Content-Type", TypeTimestampReply)
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	c := New(loopback)
	req := Request{Kind: KindTSA, URL: srv.URL, ContentType: TypeTimestampQuery, Body: []byte("q"), Authorization: "Bearer s3cret"}
	if _, err := c.Do(context.Background(), req); err != nil || got != "Bearer s3cret" {
		t.Fatalf("loopback: %v, header %q", err, got)
	}
	req.URL = "http://tsa.example/"
	if _, err := c.Do(context.Background(), req); !errors.Is(err, ErrURL) || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("http to a name: %v", err)
	}

	// A redirect from localhost to a subdomain of it: net/http would keep
	// the header (same domain), the client refuses.
	var hops []string
	rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		hops = append(hops, r.URL.String()+" "+r.Header.Get("Authorization"))
		if r.URL.Host == "localhost" {
			return &http.Response{StatusCode: http.StatusFound, Header: http.Header{"Location": {"http://tsa.localhost/x"}},
				Body: io.NopCloser(strings.NewReader("")), Request: r}, nil
		}
		return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {TypeTimestampReply}},
			Body: io.NopCloser(strings.NewReader("ok")), Request: r}, nil
	})
	c = New(Config{Guard: Guard{AllowLoopback: true}, Transport: rt})
	req.URL = "http://localhost/"
	_, err := c.Do(context.Background(), req)
	if !errors.Is(err, ErrRedirect) {
		t.Errorf("redirect with credentials to http: %v (hops %q)", err, hops)
	}
	if len(hops) != 1 {
		t.Errorf("the credentials went on: %q", hops)
	}
}
