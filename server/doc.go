// Package server is segel's HTTP service: it signs PDF documents with keys
// named in its configuration, verifies them, and serves a verify page for
// people. `segel serve` runs it; docs/server.md is the operator's manual.
//
// # Endpoints
//
//	POST /v1/sign          sign the PDF in the body with a named key (identities only)
//	POST /v1/verify        the JSON report of verify.File for the PDF in the body
//	GET  /v1/verify        the verify page (HTML, Indonesian and English, no JavaScript)
//	POST /v1/verify/page   the page's form target: the page with the result
//	GET  /healthz          the process is up
//	GET  /readyz           every key works and the audit log is writable
//	GET  /metrics          Prometheus metrics
//	GET  /openapi.json     the OpenAPI 3.1 description
//
// # Security
//
// Signing needs an identity, proven by a bearer token (the configuration
// holds only its SHA-256, compared in constant time) or a client
// certificate verified against the configured client CA; each identity may
// use only the keys it lists. Every signing request that names a key is
// appended to a hash-chained, fsynced JSON Lines audit log ([AuditLog])
// before the signed document is released; [VerifyAuditLog] checks the
// chain. Bodies are bounded, documents are spooled to unlinked temporary
// files beyond a memory buffer, concurrent work is limited (429), panics
// are recovered per request, and request headers are never logged.
//
// # Keys
//
// Keys are opened with keystore.Open on first use and kept open. A
// backend fault during signing retires the key and answers 503; the next
// request opens it again, with exponential backoff while opening keeps
// failing. It signs through signer.SignAll and uses the keystore
// capabilities a key has: keystore.KeyVersioner (the key version in
// X-Segel-Key-Version and the audit log), keystore.ContextSigner (the
// request's context reaches the backend call) and keystore.HealthChecker
// (cheap readiness probes). Backend failures are told apart with
// errors.Is on the keystore sentinels and answered with a short, safe
// reason ("backend sealed", …); the full error goes only to the log.
//
// # Dependencies
//
// The package reads no environment variables itself: the command passes
// [Options.LookupEnv] for key passwords and applies [Config.ApplyEnv].
// Logs go to [Options.Logger] (log/slog).
package server
