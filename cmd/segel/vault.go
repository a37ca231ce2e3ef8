package main

import (
	"errors"
	"strings"

	"github.com/urfave/cli/v2"

	"segel/internal/cms"
	"segel/keystore/vault"
)

// vaultEnvHelp is shown in the descriptions of the commands that talk to
// Vault.
const vaultEnvHelp = "Vault is reached with Vault's own settings: VAULT_ADDR, VAULT_TOKEN (or\n" +
	"~/.vault-token), VAULT_CACERT, VAULT_NAMESPACE, VAULT_CLIENT_TIMEOUT; a service\n" +
	"logs in with AppRole through VAULT_ROLE_ID and VAULT_SECRET_ID (or\n" +
	"VAULT_ROLE_ID_FILE and VAULT_SECRET_ID_FILE). Tokens are never taken from the\n" +
	"command line. Certificate chains are kept in KV v2 at\n" +
	"secret/data/segel/certs/MOUNT/KEY (SEGEL_VAULT_CERTS changes secret/segel/certs)."

// vaultClient connects to Vault with the settings from the environment.
func vaultClient(c *cli.Context) (*vault.Client, error) {
	cfg, err := vault.ConfigFromEnv()
	if err != nil {
		return nil, vaultError(err)
	}
	vc, err := vault.New(c.Context, cfg)
	if err != nil {
		return nil, vaultError(err)
	}
	return vc, nil
}

// transitKey parses a Transit key argument: MOUNT/NAME or vault:MOUNT/NAME.
func transitKey(s string) (vault.KeyName, error) {
	k, err := vault.ParseKeyName(strings.TrimPrefix(s, "vault:"))
	if err != nil {
		return k, usageError{err}
	}
	return k, nil
}

// vaultError adds advice to errors from the vault backend. Other errors are
// returned unchanged.
func vaultError(err error) error {
	if err == nil {
		return nil
	}
	var ve *vault.Error
	isVault := errors.As(err, &ve)
	switch {
	case errors.Is(err, vault.ErrNoAddress):
		return withHint(err, "for a development Vault run: eval \"$(scripts/vault-dev.sh)\"")
	case errors.Is(err, vault.ErrUnreachable):
		return withHint(ve, "check VAULT_ADDR and that Vault is running and reachable from here", "nothing was signed; run the command again once Vault is back")
	case errors.Is(err, vault.ErrTimeout):
		return withHint(ve, "Vault accepted the connection but did not answer; check its health (vault status) — the wait per request is VAULT_CLIENT_TIMEOUT, 30 s by default")
	case errors.Is(err, vault.ErrSealed):
		return withHint(ve, "Vault's key holders must unseal it (vault operator unseal); then run the command again")
	case errors.Is(err, vault.ErrTokenInvalid):
		return withHint(ve, "log in again (vault login, or a new VAULT_TOKEN), or check the AppRole credentials")
	case errors.Is(err, vault.ErrPermissionDenied):
		return withHint(ve, "see deploy/vault/segel-signer.hcl (signing) and deploy/vault/segel-admin.hcl (keys and certificates) for the policies segel needs")
	case errors.Is(err, vault.ErrSignatureMismatch), errors.Is(err, cms.ErrSignatureMismatch):
		return withHint(err, "the Transit key and the certificate do not belong together; request a new certificate with: segel cert request --key vault:MOUNT/KEY …")
	case isVault:
		return ve
	}
	return err
}
