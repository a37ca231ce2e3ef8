package server

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"segel/internal/judge"
	"segel/keystore/vault"
	"segel/keystore/vault/vaulttest"
	"segel/official"
	"segel/pkinet"
	"segel/store"
	"segel/verify"
)

func totpNow(t *testing.T, u string) string {
	t.Helper()
	k, err := otp.NewKeyFromURL(u)
	if err != nil {
		t.Fatal(err)
	}
	c, err := totp.GenerateCodeCustom(k.Secret(), time.Now(), totp.ValidateOpts{Period: uint(k.Period()), Digits: k.Digits(), Algorithm: k.Algorithm()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// browser is a cookie-keeping client of the signing page.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

var (
	csrfRE  = regexp.MustCompile(`name="csrf" value="([0-9a-f]{64})"`)
	docIDRE = regexp.MustCompile(`name="doc" value="([0-9a-f]{32})"`)
)

func (b *browser) get(path string) (int, string) {
	b.t.Helper()
	resp, err := b.c.Get(b.base + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func (b *browser) csrf() string {
	b.t.Helper()
	_, page := b.get("/official")
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		b.t.Fatalf("no CSRF token on the page:\n%s", page)
	}
	return m[1]
}

// upload posts a PDF from the page's form and returns the document ID.
func (b *browser) upload(csrf string, pdf []byte) (int, string, string) {
	b.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf", csrf)
	fw, _ := mw.CreateFormFile("file", "pks.pdf")
	fw.Write(pdf)
	mw.Close()
	resp, err := b.c.Post(b.base+"/official/upload", mw.FormDataContentType(), &body)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	id := ""
	if m := docIDRE.FindSubmatch(page); m != nil {
		id = string(m[1])
	}
	return resp.StatusCode, id, string(page)
}

func (b *browser) sign(form url.Values) (*http.Response, []byte) {
	b.t.Helper()
	resp, err := b.c.PostForm(b.base+"/official/sign", form)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

func (b *browser) post(path string, form url.Values) (*http.Response, []byte) {
	b.t.Helper()
	resp, err := b.c.PostForm(b.base+path, form)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

func newBrowser(t *testing.T, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, c: &http.Client{Jar: jar, Timeout: 60 * time.Second}}
}

// officialPassword is every test official's password.
const officialPassword = "kata-sandi-yang-panjang"

// officialFixture starts Vault with the official-mode policies, enrols
// the Bupati and the Gubernur (keys transit/PREFIX-kab and -prov) and
// returns the service and the key officer's admin, closed when the test
// ends.
func officialFixture(t *testing.T, prefix string) (vs *vaulttest.Server, svc *official.Service, admin *official.Admin, kab, prov *official.Enrolled) {
	t.Helper()
	vs = vaulttest.Start(t)
	for _, n := range []string{"segel-official-service", "segel-officials-admin"} {
		vs.Write("sys/policies/acl/"+n, map[string]any{"policy": string(vaulttest.RepoFile(t, "deploy/vault/"+n+".hcl"))})
	}
	ctx := context.Background()
	admin, err := official.NewAdmin(ctx, vault.Config{Address: vs.Addr, Token: vs.Token(0, 0, "segel-officials-admin")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	enrol := func(user, name, instansi, key string) *official.Enrolled {
		e, err := admin.Add(ctx, official.Enrolment{Profile: official.Profile{Username: user, Name: name, NIP: user, Jabatan: "Kepala", Instansi: instansi, Key: key}, Password: officialPassword})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	kab = enrol("198001012005011001", "Bupati Tuban", "Pemerintah Kabupaten Tuban", "transit/"+prefix+"-kab")
	prov = enrol("197502022000032002", "Gubernur Jawa Timur", "Pemerintah Provinsi Jawa Timur", "transit/"+prefix+"-prov")
	svc, err = official.NewService(ctx, vault.Config{Address: vs.Addr, Token: vs.Token(0, 0, "segel-official-service")}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	return vs, svc, admin, kab, prov
}

// TestOfficialPage: two officials sign one agreement through the signing
// page, the Kabupaten first, then the Provinsi, each with their own Vault
// login and TOTP code; refusals are audited and sign nothing.
func TestOfficialPage(t *testing.T) {
	vs, svc, admin, kab, prov := officialFixture(t, "page")
	ctx := context.Background()
	dir := t.TempDir()
	auditFile := filepath.Join(dir, "audit.log")
	cfg := &Config{Audit: AuditConfig{File: auditFile}, Trust: map[string][]string{"bsre": {vs.RootFile}}}
	cfg.Verify.DefaultTrust = "bsre"
	// Official stamps in a configured layout (stamps.official).
	layout := filepath.Join(dir, "pejabat.yaml")
	os.WriteFile(layout, []byte("lines:\n  - text: \"PEJABAT {name}\"\n    bold: true\n  - text: \"NIP {nip}\"\n  - text: \"{time}\"\n"), 0o644)
	cfg.Stamps = &StampsConfig{Layouts: map[string]string{"pejabat": layout}, Official: "pejabat"}
	srv, err := New(ctx, cfg, Options{Official: svc})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	hs := httptest.NewServer(srv)
	defer hs.Close()

	// fresh returns a code Vault accepts and that was not used yet: the
	// current period's, or one period later or earlier (Vault's skew 1).
	used := map[string]bool{}
	fresh := func(e *official.Enrolled) string {
		t.Helper()
		k, err := otp.NewKeyFromURL(e.OTPURL)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range []time.Duration{0, 30 * time.Second, -30 * time.Second} {
			c, _ := totp.GenerateCodeCustom(k.Secret(), time.Now().Add(d), totp.ValidateOpts{Period: uint(k.Period()), Digits: k.Digits(), Algorithm: k.Algorithm()})
			if !used[e.Profile.Username+c] {
				used[e.Profile.Username+c] = true
				return c
			}
		}
		t.Fatal("no unused TOTP code within Vault's skew")
		return ""
	}
	pdf := readTestdata(t, "pks.pdf")
	signAs := func(e *official.Enrolled, field string, in []byte) []byte {
		t.Helper()
		b := newBrowser(t, hs.URL)
		csrf := b.csrf()
		code, id, page := b.upload(csrf, in)
		if code != 200 || id == "" || !strings.Contains(page, `value="`+field+`"`) {
			t.Fatalf("upload: %d\n%s", code, page)
		}
		// The document can be viewed by this browser only.
		if c, _ := b.get("/official/doc/" + id); c != 200 {
			t.Errorf("view: %d", c)
		}
		if c, _ := newBrowser(t, hs.URL).get("/official/doc/" + id); c != 404 {
			t.Errorf("another browser viewed the document: %d", c)
		}
		resp, out := b.sign(url.Values{"csrf": {csrf}, "doc": {id}, "field": {field}, "username": {e.Profile.Username},
			"password": {officialPassword}, "totp": {fresh(e)}})
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" {
			t.Fatalf("sign as %s: %s\n%s", e.Profile.Name, resp.Status, out)
		}
		return out
	}
	once := signAs(kab, "SigKabupaten", pdf)
	both := signAs(prov, "SigProvinsi", once)

	path := filepath.Join(dir, "both.pdf")
	os.WriteFile(path, both, 0o644)
	judge.Require(t, "mutool")
	if txt, _ := judge.Command(t, "mutool", "draw", "-F", "txt", "-o", "-", path); !strings.Contains(txt, "PEJABAT "+kab.Profile.Name) || !strings.Contains(txt, "NIP "+kab.Profile.NIP) {
		t.Errorf("the official's stamp is not in the configured layout:\n%s", txt)
	}
	judge.Require(t, "pdfsig")
	judge.Require(t, "certutil")
	judge.PdfsigValid(t, judge.NewNSSDB(t, vs.RootFile), path, 2, "-no-ocsp")
	roots := x509.NewCertPool()
	roots.AddCert(vs.RootCA)
	rep, err := verify.File(ctx, "both.pdf", bytes.NewReader(both), int64(len(both)), verify.Options{Roots: roots})
	if err != nil || rep.Indication != verify.TotalPassed {
		t.Errorf("verify: %v %+v", err, rep)
	}

	// The multi-party queue: the operator's request waits for the
	// Kabupaten, then for the Provinsi; each signing notifies the webhook.
	notices := make(chan official.Notice, 4)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n official.Notice
		json.NewDecoder(r.Body).Decode(&n)
		notices <- n
	}))
	defer hook.Close()
	st, err := store.Open(ctx, filepath.Join(dir, "segel.db"))
	if err != nil {
		t.Fatal(err)
	}
	q := official.NewQueue(st)
	guard, _ := pkinet.ParseGuard([]string{"loopback"})
	q.Net = pkinet.New(pkinet.Config{Guard: guard})
	svc.Queue = q
	qr, err := q.Create(ctx, "PKS Tuban-Jatim", pdf, []official.Step{{Username: kab.Profile.Username, Field: "SigKabupaten"}, {Username: prov.Profile.Username, Field: "SigProvinsi"}}, hook.URL)
	if err != nil {
		t.Fatal(err)
	}
	queueSign := func(e *official.Enrolled, wantListed bool) []byte {
		t.Helper()
		b := newBrowser(t, hs.URL)
		csrf := b.csrf()
		resp, page := b.post("/official/waiting", url.Values{"csrf": {csrf}, "username": {e.Profile.Username}, "password": {officialPassword}})
		listed := strings.Contains(string(page), `value="`+qr.ID+`"`)
		if resp.StatusCode != 200 || listed != wantListed {
			t.Fatalf("waiting list of %s: %s listed=%v\n%s", e.Profile.Name, resp.Status, listed, page)
		}
		if !listed {
			return nil
		}
		resp, page = b.post("/official/queue/open", url.Values{"csrf": {csrf}, "request": {qr.ID}})
		m := docIDRE.FindSubmatch(page)
		if resp.StatusCode != 200 || m == nil {
			t.Fatalf("open: %s\n%s", resp.Status, page)
		}
		resp, out := b.sign(url.Values{"csrf": {csrf}, "doc": {string(m[1])}, "field": {"ignored"}, "username": {e.Profile.Username},
			"password": {officialPassword}, "totp": {fresh(e)}})
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" {
			t.Fatalf("queue sign as %s: %s\n%s", e.Profile.Name, resp.Status, out)
		}
		return out
	}
	queueSign(prov, false) // not the Provinsi's turn yet
	queueSign(kab, true)
	if n := <-notices; n.Event != "signed" || n.Next != prov.Profile.Username || n.SignedBy != kab.Profile.Username {
		t.Errorf("first notice: %+v", n)
	}
	queueSign(kab, false) // done with it
	final := queueSign(prov, true)
	if n := <-notices; n.Event != "completed" || n.Next != "" {
		t.Errorf("second notice: %+v", n)
	}
	if done, _ := q.Get(ctx, qr.ID); !done.Done() {
		t.Errorf("request not complete: %+v", done)
	}
	rep, err = verify.File(ctx, "queue.pdf", bytes.NewReader(final), int64(len(final)), verify.Options{Roots: roots})
	if err != nil || rep.Indication != verify.TotalPassed || len(rep.Signatures) != 2 || rep.Signatures[0].Field != "SigKabupaten" {
		t.Errorf("verify of the queued document: %v %+v", err, rep)
	}

	// The BSrE-style API with curl: v1 multipart as the Kabupaten, v2
	// JSON as the Provinsi (the next period's codes: Vault accepts one
	// period of skew and each code once), and v2 verify.
	judge.Require(t, "curl")
	next := fresh
	pksPath := filepath.Join("..", "testdata", "pks.pdf")
	v1Out := filepath.Join(dir, "v1.pdf")
	hdrs, err := judge.Command(t, "curl", "-sS", "-D", "-", "-o", v1Out, "-F", "file=@"+pksPath+";type=application/pdf",
		"-F", "nik="+kab.Profile.Username, "-F", "passphrase="+officialPassword, "-F", "totp="+next(kab), "-F", "tampilan=invisible",
		"-F", "reason=Menyetujui", "-F", "location=Tuban", hs.URL+"/api/sign/pdf")
	if err != nil || !strings.Contains(hdrs, " 200") || !strings.Contains(strings.ToLower(hdrs), "id_dokumen:") {
		b, _ := os.ReadFile(v1Out)
		t.Fatalf("BSrE v1: %v\n%s\n%s", err, hdrs, b)
	}
	v1, _ := os.ReadFile(v1Out)
	body, _ := json.Marshal(map[string]any{"nik": prov.Profile.Username, "passphrase": officialPassword, "totp": next(prov),
		"file": []string{base64.StdEncoding.EncodeToString(v1)}, "signatureProperties": []map[string]any{{"tampilan": "visible", "field": "SigProvinsi", "reason": "Menyetujui"}}})
	reqFile := filepath.Join(dir, "v2.json")
	os.WriteFile(reqFile, body, 0o600)
	out, err := judge.Command(t, "curl", "-sS", "-H", "Content-Type: application/json", "--data-binary", "@"+reqFile, hs.URL+"/api/v2/sign/pdf")
	var v2 struct {
		File []string `json:"file"`
		ID   []string `json:"id_dokumen"`
	}
	if err != nil || json.Unmarshal([]byte(out), &v2) != nil || len(v2.File) != 1 || len(v2.ID) != 1 {
		t.Fatalf("BSrE v2: %v %.300s", err, out)
	}
	body, _ = json.Marshal(map[string]any{"file": v2.File[0]})
	os.WriteFile(reqFile, body, 0o600)
	out, err = judge.Command(t, "curl", "-sS", "-H", "Content-Type: application/json", "--data-binary", "@"+reqFile, hs.URL+"/api/v2/verify/pdf")
	var ver struct {
		Conclusion string `json:"conclusion"`
		Count      int    `json:"signatureCount"`
	}
	if err != nil || json.Unmarshal([]byte(out), &ver) != nil || ver.Conclusion != "VALID" || ver.Count != 2 {
		t.Errorf("BSrE v2 verify: %v %.500s", err, out)
	}
	v2pdf, _ := base64.StdEncoding.DecodeString(v2.File[0])
	rep, err = verify.File(ctx, "v2.pdf", bytes.NewReader(v2pdf), int64(len(v2pdf)), verify.Options{Roots: roots})
	if err != nil || rep.Indication != verify.TotalPassed || len(rep.Signatures) != 2 {
		t.Errorf("verify of the BSrE-signed file: %v %+v", err, rep)
	}
	// A wrong passphrase through the API: refused, 401.
	out, _ = judge.Command(t, "curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-F", "file=@"+pksPath, "-F", "nik="+kab.Profile.Username,
		"-F", "passphrase=salah-salah-salah", "-F", "totp=123456", hs.URL+"/api/sign/pdf")
	if strings.TrimSpace(out) != "401" {
		t.Errorf("BSrE v1 with a wrong passphrase: %s", out)
	}

	// Refusals through the page: nothing signed, each audited.
	b := newBrowser(t, hs.URL)
	csrf := b.csrf()
	_, id, _ := b.upload(csrf, pdf)
	refuse := func(name string, status int, form url.Values) {
		t.Helper()
		resp, body := b.sign(form)
		if resp.StatusCode != status || resp.Header.Get("Content-Type") == "application/pdf" {
			t.Errorf("%s: %s, want %d", name, resp.Status, status)
		}
		if status != 403 && !strings.Contains(string(body), `class="error"`) {
			t.Errorf("%s: no message on the page:\n%s", name, body)
		}
	}
	form := func(user, password, code string) url.Values {
		return url.Values{"csrf": {csrf}, "doc": {id}, "field": {"SigKabupaten"}, "username": {user}, "password": {password}, "totp": {code}}
	}
	noCSRF := form(kab.Profile.Username, officialPassword, totpNow(t, kab.OTPURL))
	noCSRF.Set("csrf", strings.Repeat("0", 64))
	refuse("forged form", 403, noCSRF)
	refuse("wrong password", 401, form(kab.Profile.Username, "salah-salah-salah", totpNow(t, kab.OTPURL)))
	refuse("wrong TOTP", 401, form(kab.Profile.Username, officialPassword, "000000"))
	if err := admin.Disable(ctx, prov.Profile.Username); err != nil {
		t.Fatal(err)
	}
	refuse("disabled", 403, form(prov.Profile.Username, officialPassword, totpNow(t, prov.OTPURL)))

	// The audit log: intact, both signings with the officials' entity IDs
	// and token accessors, the refusals recorded.
	srv.Close()
	f, err := os.Open(auditFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := VerifyAuditLog(f); err != nil {
		t.Fatalf("audit verify: %v", err)
	}
	var signed, refused int
	entities := map[string]bool{}
	for _, line := range auditLines(t, auditFile) {
		var e AuditEntry
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatal(err)
		}
		if e.Official == nil || e.Auth != AuthOfficial {
			t.Errorf("entry without official evidence: %s", line)
			continue
		}
		switch e.Outcome {
		case OutcomeSigned:
			signed++
			entities[e.Official.EntityID] = true
			if e.Official.TokenAccessor == "" || e.Official.MFAMethod == "" || !e.Official.TokenRevoked || e.Remote == "" || len(e.Official.Documents) != 1 {
				t.Errorf("signed entry lacks evidence: %s", line)
			}
		case OutcomeRefused:
			refused++
			if e.OutputSHA256 != "" {
				t.Errorf("refused entry has an output: %s", line)
			}
		}
	}
	if signed != 6 || !entities[kab.Profile.EntityID] || !entities[prov.Profile.EntityID] {
		t.Errorf("signed entries %d, entities %v", signed, entities)
	}
	if refused != 4 {
		t.Errorf("%d refused entries, want 4 (API wrong passphrase; page wrong password, wrong TOTP, disabled)", refused)
	}
	// segel audit verify refuses an official signing whose evidence was
	// left out, even with the hash chain intact.
	var bad bytes.Buffer
	a, err := OpenAuditLog(filepath.Join(dir, "bad.log"))
	if err != nil {
		t.Fatal(err)
	}
	a.Append(AuditEntry{Time: time.Now(), Identity: "x", Auth: AuthOfficial, Outcome: OutcomeSigned, Official: &OfficialAudit{Username: "x"}})
	a.Close()
	bb, _ := os.ReadFile(filepath.Join(dir, "bad.log"))
	bad.Write(bb)
	if _, err := VerifyAuditLog(&bad); err == nil || !strings.Contains(err.Error(), "entity") {
		t.Errorf("audit verify of a signing without evidence: %v", err)
	}
}
