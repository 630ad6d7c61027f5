// Package secret keeps the passwords and private keys admins type into Ferry out of
// plain sight: a Box seals them with AES-256-GCM before they reach the SQLite history,
// its key lives in the OS keyring (or a 0600 key file where no keyring answers), and
// Mask and Redact keep them out of DTOs, logs and error messages.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// Prefix starts every sealed value, so a sealed value is recognisable and a future key or
// cipher change can be told apart by its version.
const Prefix = "enc:v1:"

// KeySize is the length of a Box key in bytes (AES-256).
const KeySize = 32

// ErrNotSealed is wrapped by Open when its input is not a value Seal produced.
var ErrNotSealed = errors.New("value is not sealed")

// ErrWrongKey is wrapped by Open when the value was sealed with another key or was altered.
var ErrWrongKey = errors.New("sealed value cannot be opened with this key")

// Box seals and opens secrets with one AES-256-GCM key. It is safe for concurrent use.
type Box struct {
	aead cipher.AEAD
}

// NewBox returns a Box for a 32-byte key.
func NewBox(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secret key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("create cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("create gcm: %w", err)
	}
	return &Box{aead: aead}, nil
}

// NewKey returns a fresh random key.
func NewKey() ([]byte, error) {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	return k, nil
}

// Seal encrypts plain and returns Prefix + base64(nonce|ciphertext). The empty string stays
// empty so "no password" is still visible without opening anything.
func (b *Box) Seal(plain string) (string, error) {
	if plain == "" {
		return "", nil
	}
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("generate nonce: %w", err)
	}
	out := b.aead.Seal(nonce, nonce, []byte(plain), nil)
	return Prefix + base64.StdEncoding.EncodeToString(out), nil
}

// Open decrypts a value made by Seal. The empty string opens to the empty string.
func (b *Box) Open(sealed string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	if !IsSealed(sealed) {
		return "", ErrNotSealed
	}
	raw, err := base64.StdEncoding.DecodeString(sealed[len(Prefix):])
	if err != nil {
		return "", fmt.Errorf("%w: bad encoding", ErrNotSealed)
	}
	ns := b.aead.NonceSize()
	if len(raw) < ns+b.aead.Overhead() {
		return "", fmt.Errorf("%w: too short", ErrNotSealed)
	}
	plain, err := b.aead.Open(nil, raw[:ns], raw[ns:], nil)
	if err != nil {
		return "", ErrWrongKey
	}
	return string(plain), nil
}

// IsSealed reports whether s looks like a value Seal produced.
func IsSealed(s string) bool { return strings.HasPrefix(s, Prefix) }
