package pkinet

import (
	"errors"
	"net/netip"
	"net/url"
	"strings"
	"testing"
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		ip   string
		want Class
	}{
		{"8.8.8.8", ClassPublic},
		{"1.1.1.1", ClassPublic},
		{"103.10.20.30", ClassPublic},
		{"0.0.0.0", ClassUnspecified},
		{"0.1.2.3", ClassReserved},
		{"10.0.0.1", ClassPrivate},
		{"10.255.255.255", ClassPrivate},
		{"100.64.0.1", ClassShared},
		{"100.128.0.1", ClassPublic},
		{"127.0.0.1", ClassLoopback},
		{"127.1.2.3", ClassLoopback},
		{"169.254.169.254", ClassLinkLocal},
		{"169.254.0.1", ClassLinkLocal},
		{"172.15.255.255", ClassPublic},
		{"172.16.0.1", ClassPrivate},
		{"172.31.255.255", ClassPrivate},
		{"172.32.0.1", ClassPublic},
		{"192.0.0.8", ClassReserved},
		{"192.0.2.1", ClassReserved},
		{"192.88.99.1", ClassReserved},
		{"192.168.1.1", ClassPrivate},
		{"198.18.0.1", ClassReserved},
		{"198.51.100.1", ClassReserved},
		{"203.0.113.9", ClassReserved},
		{"224.0.0.1", ClassMulticast},
		{"239.255.255.250", ClassMulticast},
		{"240.0.0.1", ClassReserved},
		{"255.255.255.255", ClassBroadcast},
		{"2606:4700:4700::1111", ClassPublic},
		{"2001:4860:4860::8888", ClassPublic},
		{"::", ClassUnspecified},
		{"::1", ClassLoopback},
		{"::ffff:127.0.0.1", ClassLoopback},
		{"::ffff:169.254.169.254", ClassLinkLocal},
		{"::ffff:8.8.8.8", ClassPublic},
		{"::127.0.0.1", ClassReserved}, // IPv4-compatible
		{"64:ff9b::7f00:1", ClassLoopback},
		{"64:ff9b::a9fe:a9fe", ClassLinkLocal},
		{"64:ff9b::808:808", ClassPublic},
		{"64:ff9b:1::1", ClassReserved},
		{"100::1", ClassReserved},
		{"2001::1", ClassReserved}, // Teredo
		{"2001:db8::1", ClassReserved},
		{"2002:7f00:1::1", ClassLoopback}, // 6to4 of 127.0.0.1
		{"2002:0a00:0001::1", ClassPrivate},
		{"2002:0808:0808::1", ClassPublic},
		{"3fff::1", ClassReserved},
		{"5f00::1", ClassReserved},
		{"fc00::1", ClassPrivate},
		{"fd12:3456::1", ClassPrivate},
		{"fe80::1", ClassLinkLocal},
		{"fe80::1%eth0", ClassLinkLocal},
		{"fec0::1", ClassReserved},
		{"ff02::1", ClassMulticast},
		{"4000::1", ClassReserved}, // outside 2000::/3
	} {
		ip := netip.MustParseAddr(tc.ip)
		if got := Classify(ip); got != tc.want {
			t.Errorf("Classify(%s) = %s, want %s", tc.ip, got, tc.want)
		}
	}
	if got := Classify(netip.Addr{}); got != ClassReserved {
		t.Errorf("invalid address: %s", got)
	}
}

func TestGuardCheck(t *testing.T) {
	nets, err := ParseGuard([]string{"10.20.0.0/16", "169.254.10.0/24", "fd00:1::/48", "100.64.1.1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		g    Guard
		ip   string
		want bool
	}{
		{Guard{}, "8.8.8.8", true},
		{Guard{}, "127.0.0.1", false},
		{Guard{}, "::1", false},
		{Guard{}, "10.0.0.1", false},
		{Guard{}, "169.254.169.254", false},
		{Guard{AllowLoopback: true}, "127.0.0.1", true},
		{Guard{AllowLoopback: true}, "::1", true},
		{Guard{AllowLoopback: true}, "::ffff:127.0.0.1", true},
		{Guard{AllowLoopback: true}, "10.0.0.1", false},
		{Guard{AllowLoopback: true}, "169.254.169.254", false},
		{Guard{AllowPrivate: true}, "10.0.0.1", true},
		{Guard{AllowPrivate: true}, "192.168.0.10", true},
		{Guard{AllowPrivate: true}, "fd00::1", true},
		{Guard{AllowPrivate: true}, "127.0.0.1", false},
		{Guard{AllowPrivate: true}, "169.254.169.254", false},
		{Guard{AllowPrivate: true}, "100.64.0.1", false},
		{Guard{AllowPrivate: true, AllowLoopback: true}, "0.0.0.0", false},
		{nets, "10.20.3.4", true},
		{nets, "10.21.0.1", false},
		{nets, "::ffff:10.20.3.4", true},
		{nets, "169.254.10.5", true},
		{nets, "169.254.169.254", false},
		{nets, "fd00:1::5", true},
		{nets, "fd00:2::5", false},
		{nets, "100.64.1.1", true},
		{nets, "100.64.1.2", false},
		// Never, whatever the configuration.
		{Guard{AllowNets: []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")}}, "0.0.0.0", false},
		{Guard{AllowNets: []netip.Prefix{netip.MustParsePrefix("::/0")}}, "::", false},
		{Guard{AllowNets: []netip.Prefix{netip.MustParsePrefix("224.0.0.0/4")}}, "224.0.0.1", false},
		{Guard{AllowNets: []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")}}, "255.255.255.255", false},
		{Guard{AllowNets: []netip.Prefix{{}}}, "127.0.0.1", false}, // an invalid prefix allows nothing
	} {
		err := tc.g.Check(netip.MustParseAddr(tc.ip))
		if (err == nil) != tc.want {
			t.Errorf("%+v Check(%s) = %v, want allowed=%v", tc.g, tc.ip, err, tc.want)
		}
		if err == nil {
			continue
		}
		var re *RefusedError
		if !errors.Is(err, ErrRefused) || !errors.As(err, &re) {
			t.Errorf("%s: %T %v is not a RefusedError", tc.ip, err, err)
		} else if !strings.Contains(err.Error(), re.Addr.String()) || !strings.Contains(err.Error(), string(re.Class)) {
			t.Errorf("%s: %q does not name the address and its class", tc.ip, err)
		}
	}
}

func TestParseGuard(t *testing.T) {
	g, err := ParseGuard([]string{" Loopback ", "private", "10.0.0.0/8", "192.168.1.7", "::ffff:10.1.0.0/112", "10.1.2.3/16"})
	if err != nil {
		t.Fatal(err)
	}
	if !g.AllowLoopback || !g.AllowPrivate {
		t.Errorf("%+v", g)
	}
	want := []string{"10.0.0.0/8", "192.168.1.7/32", "10.1.0.0/16", "10.1.0.0/16"}
	if len(g.AllowNets) != len(want) {
		t.Fatalf("%v", g.AllowNets)
	}
	for i, p := range g.AllowNets {
		if p.String() != want[i] {
			t.Errorf("net %d: %s, want %s", i, p, want[i])
		}
	}
	for _, bad := range []string{"", "public", "10.0.0.0/33", "localhost", "fe80::1%eth0", "10.0.0.0/8/8"} {
		if _, err := ParseGuard([]string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if g, err := ParseGuard(nil); err != nil || g.AllowLoopback || g.AllowPrivate || g.AllowNets != nil {
		t.Errorf("nothing: %+v %v", g, err)
	}
}

func TestCheckURL(t *testing.T) {
	for _, tc := range []struct {
		url  string
		want error // nil: accepted
	}{
		{"http://ocsp.example.go.id/", nil},
		{"HTTPS://crl.example.go.id/ca.crl", nil},
		{"http://8.8.8.8:8080/ocsp", nil},
		{"http://[2606:4700::1]/ocsp", nil},
		{"ldap://ldap.example/cn=ca", ErrURL},
		{"file:///etc/passwd", ErrURL},
		{"ftp://ftp.example/ca.crl", ErrURL},
		{"gopher://x/", ErrURL},
		{"/relative", ErrURL},
		{"http:///nohost", ErrURL},
		{"http:opaque", ErrURL},
		{"http://user:pw@ocsp.example/", ErrURL},
		{"https://:pw@ocsp.example/", ErrURL},
		{"http://127.0.0.1/", ErrRefused},
		{"http://127.0.0.1:8200/v1/pki_int/ocsp", ErrRefused},
		{"http://[::1]/", ErrRefused},
		{"http://[::ffff:127.0.0.1]/", ErrRefused},
		{"http://0.0.0.0:80/", ErrRefused},
		{"http://169.254.169.254/latest/meta-data/", ErrRefused},
		{"http://[fe80::1%25eth0]/", ErrRefused},
		{"http://10.1.2.3/crl", ErrRefused},
		{"http://[fd00::1]/crl", ErrRefused},
		{"http://[64:ff9b::7f00:1]/", ErrRefused},
	} {
		u, err := url.Parse(tc.url)
		if err != nil {
			t.Fatalf("%s: %v", tc.url, err)
		}
		err = Guard{}.checkURL(u)
		switch {
		case tc.want == nil && err != nil:
			t.Errorf("%s refused: %v", tc.url, err)
		case tc.want != nil && !errors.Is(err, tc.want):
			t.Errorf("%s: %v, want %v", tc.url, err, tc.want)
		}
	}
	u, _ := url.Parse("http://127.0.0.1:8200/ocsp")
	if err := (Guard{AllowLoopback: true}).checkURL(u); err != nil {
		t.Errorf("loopback allowed: %v", err)
	}
}

// TestControl: the dial-time check sees resolved addresses.
func TestControl(t *testing.T) {
	g := Guard{}
	for _, tc := range []struct {
		network, addr string
		ok            bool
	}{
		{"tcp4", "8.8.8.8:80", true},
		{"tcp6", "[2606:4700::1]:443", true},
		{"tcp4", "127.0.0.1:80", false},
		{"tcp4", "169.254.169.254:80", false},
		{"tcp6", "[::1]:443", false},
		{"tcp6", "[fe80::1%eth0]:80", false},
		{"tcp6", "[::ffff:10.0.0.1]:80", false},
		{"udp4", "8.8.8.8:53", false},
		{"tcp4", "not an address", false},
	} {
		err := g.control(tc.network, tc.addr, nil)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrRefused)) {
			t.Errorf("control(%s, %s) = %v", tc.network, tc.addr, err)
		}
	}
}

// FuzzGuard checks the invariants of the address checks on any address
// and URL: nothing panics, a zero Guard allows exactly the public
// addresses, IPv4-mapped addresses are judged as their IPv4 address, and
// an accepted URL is http(s), without credentials, with a host, and not
// written as a refused address.
func FuzzGuard(f *testing.F) {
	for _, s := range []string{"http://127.0.0.1/", "http://[::ffff:169.254.169.254]/", "https://ocsp.example/x?y", "http://user@h/", "ldap://x", "http://[fe80::1%25en0]:80/", "http://0x7f.1/", "http://2130706433/"} {
		f.Add(s, []byte{127, 0, 0, 1})
	}
	f.Add("http://[2002:7f00:1::1]/", []byte{0x20, 0x02, 0x7f, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, raw string, b []byte) {
		if ip, ok := netip.AddrFromSlice(b); ok {
			c := Classify(ip)
			err := Guard{}.Check(ip)
			if (err == nil) != (c == ClassPublic) {
				t.Fatalf("%s: class %s, Check %v", ip, c, err)
			}
			if ip.Is4() {
				if m := netip.AddrFrom16(ip.As16()); Classify(m) != c {
					t.Fatalf("%s is %s, mapped %s is %s", ip, c, m, Classify(m))
				}
			}
			all := Guard{AllowLoopback: true, AllowPrivate: true, AllowNets: []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")}}
			if err := all.Check(ip); (err == nil) == (c == ClassUnspecified || c == ClassMulticast || c == ClassBroadcast) {
				t.Fatalf("%s (%s) with everything allowed: %v", ip, c, err)
			}
		}
		u, err := url.Parse(raw)
		if err != nil {
			return
		}
		if err := (Guard{}).checkURL(u); err == nil {
			s := strings.ToLower(u.Scheme)
			if s != "http" && s != "https" || u.User != nil || u.Hostname() == "" {
				t.Fatalf("%q accepted", raw)
			}
			if ip, err := netip.ParseAddr(u.Hostname()); err == nil && Classify(ip) != ClassPublic {
				t.Fatalf("%q accepted with host %s (%s)", raw, ip, Classify(ip))
			}
		}
	})
}
