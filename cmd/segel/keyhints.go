package main

import (
	"errors"
	"strings"

	"segel/internal/cms"
	"segel/keystore"
	"segel/keystore/vault"
)

// isVaultRef reports whether ref names a key in Vault.
func isVaultRef(ref string) bool {
	return strings.HasPrefix(strings.ToLower(ref), "vault:")
}

// keyError adds advice to an error from opening or using the key ref
// (KEYREF as given; "vault:" for the Vault commands). The keystore and
// its backends state facts with typed errors; the advice — flags,
// commands, environment variables — is segel's. Other errors are
// returned unchanged.
func keyError(ref string, err error) error {
	if err == nil {
		return nil
	}
	var ue *keystore.UnknownSchemeError
	if errors.As(err, &ue) {
		return usageError{err}
	}
	// A Vault error is reported by itself, without the layers that wrap
	// it ("keystore: ", "signer: …"): it names the operation and the path.
	var ve *vault.Error
	inVault := errors.As(err, &ve) || isVaultRef(ref)
	shown := err
	if ve != nil {
		shown = ve
	}
	name := keyName(ref)
	var nf *keystore.NotFoundError
	if errors.As(err, &nf) && nf.Key != "" {
		name = nf.Key
	}
	if name == "" {
		name = "MOUNT/KEY"
	}
	pick := func(vaultHint, otherHint string) error {
		if inVault {
			return withHint(shown, vaultHint)
		}
		if otherHint == "" {
			return shown
		}
		return withHint(shown, otherHint)
	}
	switch {
	case errors.Is(err, keystore.ErrWrongPassword):
		return withHint(err, "check the password file or $SEGEL_KEY_PASSWORD")
	case errors.Is(err, keystore.ErrPasswordRequired):
		return withHint(err, "give the password with --key-password-file FILE or $SEGEL_KEY_PASSWORD")
	case errors.Is(err, keystore.ErrCertificateRequired):
		return withHint(err, "give the signer's certificate and its intermediates with --cert CHAIN.pem")
	case errors.Is(err, vault.ErrNoAddress):
		return withHint(err, "set VAULT_ADDR to Vault's URL, e.g. export VAULT_ADDR=https://vault.example:8200",
			"for a development Vault run: eval \"$(scripts/vault-dev.sh)\"")
	case errors.Is(err, vault.ErrNoToken):
		return withHint(err, "set VAULT_TOKEN, run \"vault login\", or give AppRole credentials (VAULT_ROLE_ID and VAULT_SECRET_ID, or their _FILE variants)")
	case errors.Is(err, keystore.ErrUnreachable):
		if inVault {
			return withHint(shown, "check VAULT_ADDR and that Vault is running and reachable from here", "run the command again once Vault is back")
		}
		return withHint(shown, "check that the key's backend is running and reachable from here")
	case errors.Is(err, keystore.ErrTimeout):
		return pick("Vault accepted the connection but did not answer; check its health (vault status) — the wait per request is VAULT_CLIENT_TIMEOUT, 30 s by default",
			"the key's backend accepted the connection but did not answer in time")
	case errors.Is(err, keystore.ErrSealed):
		return pick("Vault's key holders must unseal it (vault operator unseal); then run the command again",
			"the key's backend must be unsealed; then run the command again")
	case errors.Is(err, keystore.ErrCredentialsExpired):
		return pick("log in again (vault login, or a new VAULT_TOKEN), or check the AppRole credentials (VAULT_ROLE_ID, VAULT_SECRET_ID or their _FILE variants)",
			"renew the credentials of the key's backend")
	case errors.Is(err, keystore.ErrPermissionDenied):
		return pick("see deploy/vault/segel-signer.hcl (signing) and deploy/vault/segel-admin.hcl (keys and certificates) for the policies segel needs", "")
	case nf != nil && nf.Missing == keystore.MissingKey:
		return pick("create it with: segel keys create "+name, "")
	case nf != nil && nf.Missing == keystore.MissingCertificate:
		return pick("request one with: segel cert request --key vault:"+name+" --pki PKI --role ROLE --cn NAME (or give --cert CHAIN.pem)",
			"give the certificate with --cert CHAIN.pem")
	case errors.Is(err, keystore.ErrCertificateMismatch):
		return pick("request a new certificate with: segel cert request --key vault:"+name+" …", "")
	case errors.Is(err, vault.ErrSignatureMismatch), errors.Is(err, cms.ErrSignatureMismatch):
		return pick("the Transit key and the certificate do not belong together; request a new certificate with: segel cert request --key vault:"+name+" …",
			"the key and the certificate do not belong together")
	}
	return shown
}
