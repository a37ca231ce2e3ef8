package tsa

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"segel/internal/devca"
	"segel/pkinet"
)

var loopbackNet = pkinet.New(pkinet.Config{Guard: pkinet.Guard{AllowLoopback: true}})

// authServer serves the fixture's authority behind an Authorization check
// and records what it was sent.
func authServer(t *testing.T, f *fixture, want string) (*httptest.Server, *[]string) {
	t.Helper()
	a, err := New(Config{Signer: f.id.Key, Chain: f.id.Chain})
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := r.Header.Get("Authorization")
		seen = append(seen, got)
		if got != want {
			http.Error(w, "unauthorised", http.StatusUnauthorized)
			return
		}
		a.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &seen
}

// TestNewClientOverPKINet: a client from NewClient asks segel's own
// authority through pkinet and checks the token; the guard still applies.
func TestNewClientOverPKINet(t *testing.T) {
	f := newFixture(t, devca.ECDSAP256)
	srv, seen := authServer(t, f, "")
	digest := sha256.Sum256([]byte("surat keputusan"))
	c, err := NewClient(srv.URL, ClientConfig{Net: loopbackNet, Roots: f.ca.RootPool()})
	if err != nil {
		t.Fatal(err)
	}
	tok, info, err := c.Stamp(context.Background(), digest[:])
	if err != nil || len(tok) == 0 || info.Serial == nil {
		t.Fatalf("%v %+v", err, info)
	}
	if (*seen)[0] != "" {
		t.Errorf("an Authorization header without credentials: %q", (*seen)[0])
	}
	// The default network layer reaches public addresses only.
	c, err = NewClient(srv.URL, ClientConfig{Roots: f.ca.RootPool()})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Stamp(context.Background(), digest[:]); !errors.Is(err, pkinet.ErrRefused) {
		t.Errorf("loopback TSA without the allowance: %v", err)
	}
	// A TSA that the trust set does not hold.
	other := newFixture(t, devca.ECDSAP256)
	c, _ = NewClient(srv.URL, ClientConfig{Net: loopbackNet, Roots: other.ca.RootPool()})
	if _, _, err := c.Stamp(context.Background(), digest[:]); !errors.Is(err, ErrUntrusted) {
		t.Errorf("untrusted TSA: %v", err)
	}
}

// TestNewClientCredentials: basic and bearer credentials reach the TSA as
// the Authorization header; wrong ones get the TSA's 401 as an error that
// does not show the secret, and nothing logs it.
func TestNewClientCredentials(t *testing.T) {
	f := newFixture(t, devca.ECDSAP256)
	digest := sha256.Sum256([]byte("nota dinas"))
	var logbuf bytes.Buffer
	logged := pkinet.New(pkinet.Config{Guard: pkinet.Guard{AllowLoopback: true},
		Logger: slog.New(slog.NewTextHandler(&logbuf, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	for _, tc := range []struct {
		name   string
		creds  Credentials
		header string
	}{
		{"basic", Credentials{User: "segel", Password: "rahasia-basic"}, "Basic c2VnZWw6cmFoYXNpYS1iYXNpYw=="},
		{"bearer", Credentials{Token: "rahasia-token"}, "Bearer rahasia-token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, seen := authServer(t, f, tc.header)
			c, err := NewClient(srv.URL, ClientConfig{Net: logged, Credentials: tc.creds, Roots: f.ca.RootPool()})
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := c.Stamp(context.Background(), digest[:]); err != nil {
				t.Fatalf("with the right credentials: %v", err)
			}
			if len(*seen) != 1 || (*seen)[0] != tc.header {
				t.Errorf("the TSA saw %q", *seen)
			}
			wrong := tc.creds
			wrong.Password += "x"
			wrong.Token += "y"
			if wrong.User == "" {
				wrong.Password = ""
			} else {
				wrong.Token = ""
			}
			c, _ = NewClient(srv.URL, ClientConfig{Net: logged, Credentials: wrong, Roots: f.ca.RootPool()})
			_, _, err = c.Stamp(context.Background(), digest[:])
			var se *pkinet.StatusError
			if !errors.As(err, &se) || se.Code != http.StatusUnauthorized {
				t.Fatalf("wrong credentials: %v", err)
			}
			if strings.Contains(err.Error(), "rahasia") {
				t.Errorf("the error shows the secret: %v", err)
			}
			for _, s := range []string{fmt.Sprint(tc.creds), fmt.Sprintf("%+v", tc.creds), fmt.Sprintf("%#v", tc.creds)} {
				if strings.Contains(s, "rahasia") {
					t.Errorf("printing the credentials shows the secret: %s", s)
				}
			}
		})
	}
	if logbuf.Len() == 0 {
		t.Fatal("nothing was logged")
	}
	if l := logbuf.String(); strings.Contains(l, "rahasia") || strings.Contains(l, "cmFoYXNp") {
		t.Errorf("the log shows a secret:\n%s", l)
	}
}

// TestCredentialsOnlyOverPrivateChannels: credentials never travel over
// plain http to anything but loopback.
func TestCredentialsOnlyOverPrivateChannels(t *testing.T) {
	f := newFixture(t, devca.ECDSAP256)
	creds := Credentials{Token: "t"}
	for url, ok := range map[string]bool{
		"https://tsa.example/":       true,
		"http://127.0.0.1:8080/tsa":  true,
		"http://[::1]:8080/":         true,
		"http://localhost/":          true,
		"http://tsa.example/":        false,
		"http://10.0.0.5/":           false,
		"http://localhost.example/":  false,
		"ftp://tsa.example/":         false,
		"https://u:p@tsa.example/":   false,
		"tsa.example":                false,
		"http://127.0.0.1.nip.io/ts": false,
	} {
		_, err := NewClient(url, ClientConfig{Credentials: creds, Roots: f.ca.RootPool()})
		if (err == nil) != ok {
			t.Errorf("%s: %v", url, err)
		}
	}
	// Without credentials http is fine; without roots nothing is.
	if _, err := NewClient("http://tsa.example/", ClientConfig{Roots: f.ca.RootPool()}); err != nil {
		t.Error(err)
	}
	if _, err := NewClient("https://tsa.example/", ClientConfig{}); !errors.Is(err, ErrUntrusted) {
		t.Errorf("no roots: %v", err)
	}
	if _, err := NewClient("https://tsa.example/", ClientConfig{Roots: f.ca.RootPool(), Credentials: Credentials{User: "u"}}); !errors.Is(err, ErrCredentials) {
		t.Errorf("a user without password: %v", err)
	}
}

func TestCredentialsFromEnv(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	c, err := CredentialsFromEnv(env(map[string]string{EnvUser: "a", EnvPassword: "b"}))
	if err != nil || c != (Credentials{User: "a", Password: "b"}) {
		t.Errorf("basic: %+v %v", c, err)
	}
	c, err = CredentialsFromEnv(env(map[string]string{EnvToken: "tok"}))
	if err != nil || c != (Credentials{Token: "tok"}) {
		t.Errorf("token: %+v %v", c, err)
	}
	if c, err = CredentialsFromEnv(env(nil)); err != nil || !c.IsZero() {
		t.Errorf("none: %+v %v", c, err)
	}
	for _, m := range []map[string]string{
		{EnvUser: "a"}, {EnvPassword: "b"}, {EnvUser: "a", EnvPassword: "b", EnvToken: "c"}, {EnvUser: "a:b", EnvPassword: "c"},
	} {
		if _, err := CredentialsFromEnv(env(m)); !errors.Is(err, ErrCredentials) {
			t.Errorf("%v: %v", m, err)
		}
	}
}

func TestReadCredentialsFile(t *testing.T) {
	dir := t.TempDir()
	write := func(s string) string {
		p := filepath.Join(dir, "creds")
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	c, err := ReadCredentialsFile(write("# TSA\nuser = segel\r\npassword= a=b c \n\n"))
	if err != nil || c != (Credentials{User: "segel", Password: "a=b c"}) {
		t.Errorf("basic: %+v %v", c, err)
	}
	c, err = LoadCredentials(write("SEGEL_TSA_TOKEN=xyz\n"), func(string) string { return "from-env" })
	if err != nil || c != (Credentials{Token: "xyz"}) {
		t.Errorf("token (the file wins over the environment): %+v %v", c, err)
	}
	for _, bad := range []string{"", "# nothing\n", "rahasia\n", "user=a\n", "token=a\nuser=b\npassword=c\n", "colour=red\n", "token=a\ntoken=b\n"} {
		_, err := ReadCredentialsFile(write(bad))
		if !errors.Is(err, ErrCredentials) {
			t.Errorf("%q: %v", bad, err)
		}
		if err != nil && strings.Contains(err.Error(), "rahasia") {
			t.Errorf("the error shows the line: %v", err)
		}
	}
	if _, err := ReadCredentialsFile(filepath.Join(dir, "missing")); !errors.Is(err, ErrCredentials) {
		t.Errorf("missing file: %v", err)
	}
}
