package judge

import (
	"strconv"
	"testing"
)

// PodofoSignFieldSized is [PodofoSignField] with an explicit /Contents
// reservation of sigSize bytes (podofosign's -sigsize). PoDoFo 0.9.8
// derives its default reservation from the sizes of the certificate and
// key files, which is too small for an ECDSA key (a small key file) with
// a certificate of the usual size: podofosign then fails with "Requires
// at least N bytes for the signature, but reserved is only M bytes".
func PodofoSignFieldSized(t testing.TB, in, out, certPEM, keyPEM, field string, sigSize int) {
	t.Helper()
	mustRun(t, "podofosign", "-in", in, "-out", out, "-cert", certPEM, "-pkey", keyPEM, "-digest", "SHA256",
		"-field-name", field, "-field-use-existing", "-sigsize", strconv.Itoa(sigSize))
}
