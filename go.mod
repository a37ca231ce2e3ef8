module segel

go 1.26.0

// Real signed PDFs carry certificates with negative serial numbers (for
// example EU DSS test files); a verifier must be able to read them.
godebug x509negativeserial=1

require (
	github.com/digitorus/pdfsign v0.0.0-20250819064552-5f74f69dda1d
	github.com/rogpeppe/go-internal v1.16.0
	github.com/urfave/cli/v2 v2.27.7
	golang.org/x/crypto v0.41.0
	golang.org/x/term v0.48.0
	software.sslmate.com/src/go-pkcs12 v0.6.0
)

require (
	github.com/cpuguy83/go-md2man/v2 v2.0.7 // indirect
	github.com/digitorus/pdf v0.1.2 // indirect
	github.com/digitorus/pkcs7 v0.0.0-20230818184609-3a137a874352 // indirect
	github.com/digitorus/timestamp v0.0.0-20231217203849-220c5c2851b7 // indirect
	github.com/russross/blackfriday/v2 v2.1.0 // indirect
	github.com/xrash/smetrics v0.0.0-20240521201337-686a1a2994c1 // indirect
	golang.org/x/sys v0.50.0 // indirect
	golang.org/x/tools v0.35.0 // indirect
)
