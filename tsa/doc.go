// Package tsa is segel's RFC 3161 time-stamping: an authority that
// answers requests with tokens signed by a keystore key, and a client that
// asks an authority for tokens and checks every one.
//
// # The authority
//
// [New] makes an [Authority] that answers time-stamp requests
// (application/timestamp-query) with tokens (application/timestamp-reply)
// signed by a key from any keystore — a Vault Transit key in production,
// a key file for the demo. Its certificate must carry the extended key
// usage timeStamping alone and critical ([CheckCertificate]).
//
// Each token has a 128-bit random serial number (unique across restarts
// and replicas without coordination), the configured policy and accuracy,
// the request's nonce, and the authority's certificate chain when the
// request asks for it. Requests that arrive together are signed together:
// a key that can sign many digests in one backend call (Vault Transit's
// batch_input) gets them in one call, at most Window after the first. Every
// token is passed to the audit function before it is answered. An
// Authority is an http.Handler.
//
// # The client
//
// A [Client] asks for a token over a digest ([Client.Stamp]) with a random
// nonce and certReq, and refuses a token that is not granted, covers other
// data, carries another nonce, does not verify, does not chain to the TSA
// trust set with the timeStamping usage, or gives an implausible time.
// [VerifyToken] checks a token already held (in a signature or a
// document timestamp).
//
// Make a client with [NewClient]: its requests go through the PKI network
// layer (package pkinet: timeouts, 1 MiB cap, SSRF guard) with the
// configured credentials:
//
//	creds, err := tsa.LoadCredentials(credentialsFile, nil) // file, else SEGEL_TSA_* env
//	if err != nil { ... }
//	c, err := tsa.NewClient("https://tsa.example/v1/tsa", tsa.ClientConfig{
//		Net:         pkinet.New(pkinet.Config{Guard: guard}), // nil: public addresses only
//		Credentials: creds,
//		Hash:        crypto.SHA256, // the signature's digest algorithm
//		Roots:       tsaRoots,      // required: the TSA trust set
//	})
//	token, info, err := c.Stamp(ctx, digest)
//
// [Credentials] are HTTP basic (a user and password) or a bearer token.
// [LoadCredentials] takes them from a file when one is named (lines
// "user=…" and "password=…", or "token=…"; see [ReadCredentialsFile]),
// else from the environment: SEGEL_TSA_USER and SEGEL_TSA_PASSWORD, or
// SEGEL_TSA_TOKEN ([CredentialsFromEnv]). They are never taken from
// command-line arguments, never printed or logged (String, GoString and
// LogValue name only the kind and the user), and sent only over https or
// over http to a loopback address: NewClient refuses any other URL with
// credentials, and pkinet refuses a redirect that would carry them in
// clear text.
package tsa
