package keystore

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// withoutTTY makes the terminal unavailable for the duration of the test.
func withoutTTY(t *testing.T, open func() (*os.File, error)) {
	t.Helper()
	old := openTTY
	openTTY = open
	t.Cleanup(func() { openTTY = old })
}

func TestPasswordFromFile(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("SEGEL_TEST_PW", "from-env")
	cases := map[string]string{
		"rahasia":       "rahasia",
		"rahasia\n":     "rahasia",
		"rahasia\r\n":   "rahasia",
		"rahasia\n\n":   "rahasia\n",
		" spasi \n":     " spasi ",
		"":              "",
		"\n":            "",
		"multi\nline\n": "multi\nline",
	}
	i := 0
	for content, want := range cases {
		i++
		f := writeFile(t, dir, "pw"+string(rune('a'+i)), []byte(content))
		got, err := PasswordFromSources(f, "SEGEL_TEST_PW")()
		if err != nil {
			t.Fatalf("%q: %v", content, err)
		}
		if string(got) != want {
			t.Errorf("file %q: got %q, want %q (the file must win over the environment)", content, got, want)
		}
	}

	_, err := PasswordFromSources(filepath.Join(dir, "missing"), "SEGEL_TEST_PW")()
	if err == nil || !strings.HasPrefix(err.Error(), "keystore: ") {
		t.Fatalf("missing file: got %v", err)
	}
}

func TestPasswordFromEnv(t *testing.T) {
	withoutTTY(t, func() (*os.File, error) { return nil, errors.New("no tty") })
	t.Setenv("SEGEL_TEST_PW", "dari-lingkungan")
	got, err := PasswordFromSources("", "SEGEL_TEST_PW")()
	if err != nil || string(got) != "dari-lingkungan" {
		t.Fatalf("got %q, %v", got, err)
	}
	t.Setenv("SEGEL_TEST_PW", "")
	got, err = PasswordFromSources("", "SEGEL_TEST_PW")()
	if err != nil || len(got) != 0 {
		t.Fatalf("empty but set variable: got %q, %v", got, err)
	}
}

func TestPasswordNoTerminal(t *testing.T) {
	os.Unsetenv("SEGEL_TEST_UNSET_PW")
	check := func(t *testing.T, f func() ([]byte, error), wantHint string) {
		t.Helper()
		_, err := f()
		if !errors.Is(err, ErrPasswordRequired) {
			t.Fatalf("got %v, want ErrPasswordRequired", err)
		}
		if !strings.Contains(err.Error(), wantHint) {
			t.Errorf("message %q lacks %q", err, wantHint)
		}
		// Flag names are the command's to give, not the library's.
		if strings.Contains(err.Error(), "--") {
			t.Errorf("message %q names a command-line flag", err)
		}
	}
	t.Run("tty cannot be opened", func(t *testing.T) {
		withoutTTY(t, func() (*os.File, error) { return nil, errors.New("no tty") })
		check(t, PasswordFromSources("", "SEGEL_KEY_PASSWORD_TEST_UNSET"), "no password file was given, SEGEL_KEY_PASSWORD_TEST_UNSET is not set, and there is no terminal to ask on")
		check(t, PasswordFor("file:kunci.p12", "", ""), "no password file was given, and there is no terminal")
	})
	t.Run("not a terminal", func(t *testing.T) {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		withoutTTY(t, func() (*os.File, error) { return r, nil })
		check(t, PasswordFromSources("", "SEGEL_KEY_PASSWORD_TEST_UNSET"), "SEGEL_KEY_PASSWORD_TEST_UNSET is not set")
	})
}

// TestPasswordWithOpen wires PasswordFromSources into Open.
func TestPasswordWithOpen(t *testing.T) {
	withoutTTY(t, func() (*os.File, error) { return nil, errors.New("no tty") })
	k, err := openFileRef(t, "testdata/openssl3-default.p12", Options{Password: PasswordFromSources("testdata/password.txt", "")})
	if err != nil {
		t.Fatal(err)
	}
	checkSignVerify(t, k)

	t.Setenv("SEGEL_TEST_PW", "salah")
	_, err = openFileRef(t, "testdata/openssl3-default.p12", Options{Password: PasswordFromSources("", "SEGEL_TEST_PW")})
	if !errors.Is(err, ErrWrongPassword) {
		t.Fatalf("got %v", err)
	}

	_, err = openFileRef(t, "testdata/openssl3-default.p12", Options{Password: PasswordFromSources("", "SEGEL_TEST_UNSET_PW_2")})
	if !errors.Is(err, ErrPasswordRequired) || strings.Count(err.Error(), "keystore:") != 1 {
		t.Fatalf("got %v, want one ErrPasswordRequired without a doubled prefix", err)
	}
}
