// Package pkinet makes every request segel sends to a PKI service: OCSP
// responders, CRL distribution points and RFC 3161 time-stamping
// authorities. The verifier's online revocation checks go through it, and
// so will the fetches of LTV signing; nothing else in segel should open a
// connection to a URL taken from a certificate or a configuration.
//
// Those URLs come from documents and certificates that anyone can make,
// so a [Client] treats them as hostile:
//
//   - Only http and https, without credentials in the URL. No cookies
//     are kept or sent. An Authorization header is set only when the
//     caller gives one ([Request.Authorization], the credentials of a
//     time-stamping authority), and only over https or to a loopback
//     address; it is never logged.
//   - Each request has a context, a timeout ([Config.Timeout], 10 s by
//     default: connecting, redirects and the whole body) and a size cap
//     per kind (OCSP 1 MiB, CRL 10 MiB, TSA 1 MiB by default).
//   - At most [MaxRedirects] redirects, never from https to http, each
//     hop's URL checked again.
//   - The guard: every connection is checked at dial time, in
//     net.Dialer.Control, with the IP address about to be connected to,
//     after name resolution. A name that resolves to a public address
//     once and to 127.0.0.1 a moment later (DNS rebinding) is caught when
//     it is dialled. Loopback, private (RFC 1918, fc00::/7), link-local
//     (169.254.0.0/16 with the cloud metadata service, fe80::/10),
//     carrier-grade NAT, unspecified, multicast, broadcast and other
//     special-purpose addresses are refused unless the [Guard] allows them;
//     see [Classify]. Addresses written literally in a URL are also
//     checked before the request, for a clear error. (A RoundTripper that
//     is not an *http.Transport, given in [Config.Transport], dials on its
//     own: only that literal check applies to it.)
//   - No proxy. HTTP_PROXY, HTTPS_PROXY and NO_PROXY are ignored: through
//     a proxy the guard would check the proxy's address, not the
//     responder's, and the proxy would resolve names on its own. A
//     network where PKI services are reachable only through a proxy cannot
//     use online fetches yet.
//
// OCSP requests are sent with GET when short enough (RFC 6960 appendix
// A.1, RFC 5019), otherwise with POST. OCSP and CRL results are
// remembered for the lifetime of the Client, successes and failures
// alike, so one Client serves one run; time-stamp answers never are.
//
// Failures are [*Error] values whose chain holds a typed cause:
// [ErrTooLarge], [ErrTimeout], [ErrRefused] ([*RefusedError] names the
// address), [ErrStatus] ([*StatusError]), [ErrContentType]
// ([*ContentTypeError]), [ErrURL], [ErrRedirect], or the caller's context
// error. With [Config.Logger] set, each request is logged with its host,
// never its path or query.
package pkinet
