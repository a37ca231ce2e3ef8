package official

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"segel/keystore/vault"
	"segel/keystore/vault/vaulttest"
	"segel/signer"
)

// TestMeasureOfficialSigning measures one official signing (profile and
// key read, login, MFA validation, one Transit signature, revocation) on
// a local Vault: SEGEL_MEASURE_OFFICIAL=N enrols N officials, each signs
// pks.pdf twice (two TOTP periods' codes), and the p50/p99 are logged.
// Not run by default.
func TestMeasureOfficialSigning(t *testing.T) {
	var n int
	if _, err := fmt.Sscan(os.Getenv("SEGEL_MEASURE_OFFICIAL"), &n); err != nil || n <= 0 {
		t.Skip("set SEGEL_MEASURE_OFFICIAL=N to measure")
	}
	vs := vaulttest.Start(t)
	for _, p := range []string{"segel-official-service", "segel-officials-admin"} {
		vs.Write("sys/policies/acl/"+p, map[string]any{"policy": string(vaulttest.RepoFile(t, "deploy/vault/"+p+".hcl"))})
	}
	ctx := context.Background()
	admin, err := NewAdmin(ctx, vault.Config{Address: vs.Addr, Token: vs.Token(0, 0, "segel-officials-admin")})
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	svc, err := NewService(ctx, vault.Config{Address: vs.Addr, Token: vs.Token(0, 0, "segel-official-service")}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	pdf, _ := os.ReadFile("../testdata/pks.pdf")
	var ens []*Enrolled
	for i := range n {
		user := fmt.Sprintf("19800101200501%04d", i)
		e, err := admin.Add(ctx, Enrolment{Profile: Profile{Username: user, Name: "Pejabat " + user, NIP: user, Jabatan: "Kepala", Instansi: "Dinas", Key: "transit/m-" + user}, Password: "kata-sandi-yang-panjang"})
		if err != nil {
			t.Fatal(err)
		}
		ens = append(ens, e)
	}
	var took []time.Duration
	dir := t.TempDir()
	for round, shift := range []time.Duration{0, 30 * time.Second} {
		for i, e := range ens {
			doc, _ := fileDoc(t, pdf, filepath.Join(dir, fmt.Sprintf("%d-%d.pdf", round, i)))
			c := code(t, e.OTPURL, time.Now().Add(shift))
			start := time.Now()
			res, _, err := svc.Sign(ctx, Request{Username: e.Profile.Username, Password: "kata-sandi-yang-panjang", Code: c, ClientAddr: "192.0.2.1",
				Docs: []signer.Document{doc}, Options: signer.AllOptions{Options: signer.Options{Field: "SigKabupaten"}}})
			d := time.Since(start)
			if err != nil || res[0].Err != nil {
				t.Fatalf("sign %d/%d: %v", round, i, err)
			}
			took = append(took, d)
		}
	}
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	p := func(q float64) time.Duration { return took[int(q*float64(len(took)-1))] }
	t.Logf("%d official signings (login + MFA + sign + revoke, pks.pdf): p50 %v, p99 %v, max %v", len(took), p(0.50), p(0.99), took[len(took)-1])
}
