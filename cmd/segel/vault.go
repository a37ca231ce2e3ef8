package main

import (
	"strings"

	"github.com/urfave/cli/v2"

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

// vaultError adds advice to errors of the commands that talk to Vault
// (keys, cert): keyError for a Vault key.
func vaultError(err error) error { return keyError("vault:", err) }
