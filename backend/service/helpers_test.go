package service

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	"ferry/backend/events"
)

// newTestService opens a service on a fresh data dir with the key in a file (no keyring).
func newTestService(t *testing.T) (*Service, *events.Recorder, string) {
	t.Helper()
	t.Setenv("FERRY_KEYRING", "off")
	dir := t.TempDir()
	rec := &events.Recorder{}
	s, err := Open(context.Background(), Config{DataDir: dir, Emitter: rec, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s, rec, dir
}

const testPassword = "S3cr3t-Passw0rd!xyz"

func manualInput() CreateInput {
	return CreateInput{
		Method: "manual", UserName: "Ada Owner", UserEmail: "ada@example.com", Service: "Business 10GB",
		Domain: "example.com", OldURL: "http://old.test", NewURL: "https://www.new-site.example.com:8080/blog",
		Destination: EndpointInput{Protocol: "local", Path: "/srv/www/example",
			DB: DatabaseInput{Host: "127.0.0.1", User: "wp", Password: "dest-db-" + testPassword, Name: "wp_new"}},
	}
}

func sftpInput() CreateInput {
	return CreateInput{
		Method: "sftp", UserName: "Bob Builder", UserEmail: "bob@example.org", Service: "Starter",
		Domain: "bob.example.org", OldURL: "https://bob.example.org", NewURL: "https://bob.example.net",
		Source: EndpointInput{Protocol: "sftp", Host: "old.example.com", Port: 22, User: "deploy",
			Password: "src-" + testPassword, Path: "/var/www/html",
			DB: DatabaseInput{Host: "127.0.0.1", Port: 3306, User: "wp", Password: "src-db-" + testPassword, Name: "wp", SSHTunnel: true}},
		Destination: EndpointInput{Protocol: "ftps", Host: "new.example.net", User: "bob", Password: "dst-" + testPassword,
			Path: "/public_html", DB: DatabaseInput{Host: "db.example.net", User: "bob_wp", Password: "dst-db-" + testPassword, Name: "bob_wp"}},
	}
}

// testKey returns an OpenSSH ed25519 private key in PEM, protected when passphrase is set.
func testKey(t *testing.T, passphrase string) string {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	var blk *pem.Block
	if passphrase == "" {
		blk, err = ssh.MarshalPrivateKey(priv, "ferry test")
	} else {
		blk, err = ssh.MarshalPrivateKeyWithPassphrase(priv, "ferry test", []byte(passphrase))
	}
	require.NoError(t, err)
	return string(pem.EncodeToMemory(blk))
}

// fieldsOf returns the per-field messages of a CodeInvalid error.
func fieldsOf(t *testing.T, err error) map[string]string {
	t.Helper()
	require.Error(t, err)
	var e *Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, CodeInvalid, e.Code, "error: %v", err)
	return e.Fields
}
