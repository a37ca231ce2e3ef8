package pkinet

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
)

// Class is what kind of address an IP address is, as far as the guard
// is concerned.
type Class string

// Address classes. Only [ClassPublic] addresses are dialled by default.
const (
	// ClassPublic: a globally reachable unicast address.
	ClassPublic Class = "public"
	// ClassLoopback: 127.0.0.0/8, ::1.
	ClassLoopback Class = "loopback"
	// ClassPrivate: RFC 1918 (10/8, 172.16/12, 192.168/16) and unique
	// local IPv6 (fc00::/7).
	ClassPrivate Class = "private"
	// ClassLinkLocal: 169.254.0.0/16 (with the cloud metadata service
	// at 169.254.169.254) and fe80::/10.
	ClassLinkLocal Class = "link-local"
	// ClassShared: 100.64.0.0/10, carrier-grade NAT (RFC 6598).
	ClassShared Class = "shared"
	// ClassUnspecified: 0.0.0.0 and ::, which reach the local host.
	ClassUnspecified Class = "unspecified"
	// ClassMulticast: 224.0.0.0/4, ff00::/8.
	ClassMulticast Class = "multicast"
	// ClassBroadcast: 255.255.255.255.
	ClassBroadcast Class = "broadcast"
	// ClassReserved: every other special-purpose address that is not
	// globally reachable (IANA's special-purpose registries): "this
	// network" 0/8, documentation and benchmarking ranges, IETF protocol
	// assignments, 240/4, IPv4-compatible and deprecated site-local IPv6,
	// and IPv6 outside 2000::/3.
	ClassReserved Class = "reserved"
)

type classRange struct {
	p netip.Prefix
	c Class
}

// embedded marks IPv6 ranges whose address embeds an IPv4 address that
// decides the class: NAT64 and 6to4 reach that IPv4 address.
const (
	classNAT64 Class = "nat64"
	class6to4  Class = "6to4"
)

// v4Ranges: most specific first where ranges nest.
var v4Ranges = []classRange{
	{netip.MustParsePrefix("0.0.0.0/32"), ClassUnspecified},
	{netip.MustParsePrefix("0.0.0.0/8"), ClassReserved},
	{netip.MustParsePrefix("10.0.0.0/8"), ClassPrivate},
	{netip.MustParsePrefix("100.64.0.0/10"), ClassShared},
	{netip.MustParsePrefix("127.0.0.0/8"), ClassLoopback},
	{netip.MustParsePrefix("169.254.0.0/16"), ClassLinkLocal},
	{netip.MustParsePrefix("172.16.0.0/12"), ClassPrivate},
	{netip.MustParsePrefix("192.0.0.0/24"), ClassReserved},
	{netip.MustParsePrefix("192.0.2.0/24"), ClassReserved},
	{netip.MustParsePrefix("192.88.99.0/24"), ClassReserved},
	{netip.MustParsePrefix("192.168.0.0/16"), ClassPrivate},
	{netip.MustParsePrefix("198.18.0.0/15"), ClassReserved},
	{netip.MustParsePrefix("198.51.100.0/24"), ClassReserved},
	{netip.MustParsePrefix("203.0.113.0/24"), ClassReserved},
	{netip.MustParsePrefix("224.0.0.0/4"), ClassMulticast},
	{netip.MustParsePrefix("255.255.255.255/32"), ClassBroadcast},
	{netip.MustParsePrefix("240.0.0.0/4"), ClassReserved},
}

var v6Ranges = []classRange{
	{netip.MustParsePrefix("::/128"), ClassUnspecified},
	{netip.MustParsePrefix("::1/128"), ClassLoopback},
	{netip.MustParsePrefix("::/96"), ClassReserved}, // IPv4-compatible
	{netip.MustParsePrefix("64:ff9b::/96"), classNAT64},
	{netip.MustParsePrefix("64:ff9b:1::/48"), ClassReserved}, // local-use NAT64
	{netip.MustParsePrefix("100::/64"), ClassReserved},       // discard
	{netip.MustParsePrefix("2001::/23"), ClassReserved},      // IETF protocol assignments, Teredo
	{netip.MustParsePrefix("2001:db8::/32"), ClassReserved},  // documentation
	{netip.MustParsePrefix("2002::/16"), class6to4},
	{netip.MustParsePrefix("3fff::/20"), ClassReserved}, // documentation
	{netip.MustParsePrefix("5f00::/16"), ClassReserved}, // SRv6 SIDs
	{netip.MustParsePrefix("fc00::/7"), ClassPrivate},
	{netip.MustParsePrefix("fe80::/10"), ClassLinkLocal},
	{netip.MustParsePrefix("fec0::/10"), ClassReserved}, // site-local, deprecated
	{netip.MustParsePrefix("ff00::/8"), ClassMulticast},
}

var globalUnicast6 = netip.MustParsePrefix("2000::/3")

// Classify says what kind of address ip is. IPv4-mapped IPv6 addresses
// are judged as the IPv4 address they map, NAT64 (64:ff9b::/96) and
// 6to4 (2002::/16) addresses as the IPv4 address they embed; zones are
// ignored. An invalid address is [ClassReserved].
func Classify(ip netip.Addr) Class {
	if !ip.IsValid() {
		return ClassReserved
	}
	ip = ip.WithZone("").Unmap()
	if ip.Is4() {
		for _, r := range v4Ranges {
			if r.p.Contains(ip) {
				return r.c
			}
		}
		return ClassPublic
	}
	for _, r := range v6Ranges {
		if !r.p.Contains(ip) {
			continue
		}
		b := ip.As16()
		switch r.c {
		case classNAT64:
			return Classify(netip.AddrFrom4([4]byte(b[12:16])))
		case class6to4:
			return Classify(netip.AddrFrom4([4]byte(b[2:6])))
		}
		return r.c
	}
	if !globalUnicast6.Contains(ip) {
		return ClassReserved
	}
	return ClassPublic
}

// Guard decides which addresses a [Client] may connect to. The zero
// Guard allows public addresses only.
//
// Unspecified, multicast and broadcast addresses are always refused.
// Loopback addresses are allowed with AllowLoopback, private ones with
// AllowPrivate, and any address inside one of AllowNets is allowed (so
// link-local, shared or reserved addresses can be reached only by naming
// their network there).
type Guard struct {
	AllowLoopback bool
	AllowPrivate  bool
	AllowNets     []netip.Prefix
}

// Check returns nil when g allows connecting to ip, else a
// [*RefusedError] naming ip and its class.
func (g Guard) Check(ip netip.Addr) error {
	c := Classify(ip)
	ip = ip.WithZone("").Unmap()
	switch c {
	case ClassPublic:
		return nil
	case ClassUnspecified, ClassMulticast, ClassBroadcast:
		return &RefusedError{Addr: ip, Class: c}
	case ClassLoopback:
		if g.AllowLoopback {
			return nil
		}
	case ClassPrivate:
		if g.AllowPrivate {
			return nil
		}
	}
	for _, p := range g.AllowNets {
		if p.IsValid() && p.Contains(ip) {
			return nil
		}
	}
	return &RefusedError{Addr: ip, Class: c}
}

// control is the net.Dialer.Control of a Client: it runs right before
// each connect, with the address actually dialled (names are resolved by
// then), so a name that resolves to a public address when checked and to
// another when dialled (DNS rebinding) cannot slip through.
func (g Guard) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	switch {
	case network != "tcp" && network != "tcp4" && network != "tcp6":
		return fmt.Errorf("%w: network %q is not dialled", ErrRefused, network)
	case err != nil:
		return fmt.Errorf("%w: cannot read the dialled address %q", ErrRefused, address)
	}
	return g.Check(ap.Addr())
}

// checkURL accepts absolute http and https URLs without credentials
// whose host, if written as an IP address, g allows. Names are checked
// when they are dialled.
func (g Guard) checkURL(u *url.URL) error {
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	default:
		return &URLError{Reason: fmt.Sprintf("scheme %q is not fetched (only http and https)", u.Scheme)}
	}
	if u.User != nil {
		return &URLError{Reason: "URLs with credentials are not fetched"}
	}
	host := u.Hostname()
	if host == "" {
		return &URLError{Reason: "URL without a host"}
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return g.Check(ip)
	}
	return nil
}

// ParseGuard reads a list of allowances, as a configuration file or a
// command line gives them: "loopback", "private", or a network in CIDR
// notation ("10.20.0.0/16", "fd00:1::/48") or a single address.
func ParseGuard(allow []string) (Guard, error) {
	var g Guard
	for _, a := range allow {
		switch w := strings.ToLower(strings.TrimSpace(a)); w {
		case "loopback":
			g.AllowLoopback = true
		case "private":
			g.AllowPrivate = true
		default:
			p, err := netip.ParsePrefix(w)
			if err != nil {
				ip, err2 := netip.ParseAddr(w)
				if err2 != nil || ip.Zone() != "" {
					return Guard{}, fmt.Errorf("%q is not \"loopback\", \"private\", or a network such as 10.20.0.0/16", a)
				}
				p = netip.PrefixFrom(ip, ip.BitLen())
			}
			if p.Addr().Is4In6() {
				p = netip.PrefixFrom(p.Addr().Unmap(), max(p.Bits()-96, 0))
			}
			g.AllowNets = append(g.AllowNets, p.Masked())
		}
	}
	return g, nil
}
