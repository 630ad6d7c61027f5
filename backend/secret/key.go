package secret

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/zalando/go-keyring"
)

// Keyring names where the history key lives in the OS keyring.
const (
	KeyringService = "Ferry"
	KeyringUser    = "history-key"
)

// KeyFileName is the fallback key file inside the data dir.
const KeyFileName = "history.key"

// KeyringTimeout bounds each keyring call: a D-Bus Secret Service that is present but
// locked or wedged can block forever, and Ferry must start anyway.
const KeyringTimeout = 3 * time.Second

// Keyring is the part of an OS keyring Ferry uses; go-keyring satisfies it.
type Keyring interface {
	Get(service, user string) (string, error)
	Set(service, user, password string) error
}

// ErrKeyringTimeout is returned when the keyring did not answer within KeyringTimeout.
var ErrKeyringTimeout = errors.New("keyring did not answer in time")

// OSKeyring is the operating system's keyring through github.com/zalando/go-keyring.
type OSKeyring struct{}

// Get reads a secret from the OS keyring.
func (OSKeyring) Get(service, user string) (string, error) { return keyring.Get(service, user) }

// Set writes a secret to the OS keyring.
func (OSKeyring) Set(service, user, password string) error {
	return keyring.Set(service, user, password)
}

// KeySource says where a Box's key came from.
type KeySource string

const (
	// SourceKeyring is the OS keyring.
	SourceKeyring KeySource = "keyring"
	// SourceFile is the 0600 key file in the data dir.
	SourceFile KeySource = "file"
)

// OpenOptions tune OpenBox; the zero value uses the OS keyring unless FERRY_KEYRING=off.
type OpenOptions struct {
	// Keyring replaces the OS keyring (tests); nil means OSKeyring.
	Keyring Keyring
	// NoKeyring forces the key file, as FERRY_KEYRING=off does.
	NoKeyring bool
	// Timeout bounds each keyring call; 0 means KeyringTimeout.
	Timeout time.Duration
	Logger  *slog.Logger
}

// OpenBox returns the Box for the history in dataDir and where its key came from.
//
// An existing key file wins over the keyring: it exists only because a keyring was
// unavailable when the history was first encrypted, and switching keys would make every
// stored secret unreadable. Otherwise the keyring is asked, and a new key is stored there.
// Where no keyring answers, a new key goes to a 0600 file, with a warning in the log.
func OpenBox(ctx context.Context, dataDir string, opt OpenOptions) (*Box, KeySource, error) {
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	file := filepath.Join(dataDir, KeyFileName)
	key, err := readKeyFile(file)
	switch {
	case err == nil:
		b, err := NewBox(key)
		return b, SourceFile, err
	case !errors.Is(err, os.ErrNotExist):
		return nil, "", err
	}
	noKeyring := opt.NoKeyring || strings.EqualFold(os.Getenv("FERRY_KEYRING"), "off")
	if !noKeyring {
		kr := opt.Keyring
		if kr == nil {
			kr = OSKeyring{}
		}
		timeout := opt.Timeout
		if timeout <= 0 {
			timeout = KeyringTimeout
		}
		key, err := keyFromKeyring(ctx, kr, timeout)
		if err == nil {
			b, err := NewBox(key)
			return b, SourceKeyring, err
		}
		log.Warn("no OS keyring answered; keeping the history key in a file readable only by you",
			"file", file, "err", err)
	}
	key, err = NewKey()
	if err != nil {
		return nil, "", err
	}
	if err := writeKeyFile(file, key); err != nil {
		return nil, "", err
	}
	b, err := NewBox(key)
	return b, SourceFile, err
}

// keyFromKeyring reads the key, creating it when the keyring has none.
func keyFromKeyring(ctx context.Context, kr Keyring, timeout time.Duration) ([]byte, error) {
	enc, err := withTimeout(ctx, timeout, func() (string, error) { return kr.Get(KeyringService, KeyringUser) })
	if err == nil {
		key, err := base64.StdEncoding.DecodeString(enc)
		if err != nil || len(key) != KeySize {
			// A damaged entry must not be overwritten: secrets sealed with it would be lost.
			return nil, fmt.Errorf("keyring entry %s/%s is not a valid key", KeyringService, KeyringUser)
		}
		return key, nil
	}
	if !errors.Is(err, keyring.ErrNotFound) {
		return nil, fmt.Errorf("read keyring: %w", err)
	}
	key, err := NewKey()
	if err != nil {
		return nil, err
	}
	_, err = withTimeout(ctx, timeout, func() (string, error) {
		return "", kr.Set(KeyringService, KeyringUser, base64.StdEncoding.EncodeToString(key))
	})
	if err != nil {
		return nil, fmt.Errorf("write keyring: %w", err)
	}
	return key, nil
}

// withTimeout runs f in a goroutine so a hung D-Bus call cannot hang Ferry; the goroutine
// is abandoned on timeout (it holds nothing but the call).
func withTimeout(ctx context.Context, d time.Duration, f func() (string, error)) (string, error) {
	type res struct {
		s   string
		err error
	}
	ch := make(chan res, 1)
	go func() {
		s, err := f()
		ch <- res{s, err}
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case r := <-ch:
		return r.s, r.err
	case <-t.C:
		return "", ErrKeyringTimeout
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func readKeyFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read key file: %w", err)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(data)))
	if err != nil || len(key) != KeySize {
		return nil, fmt.Errorf("key file %s is damaged: it must hold a base64 %d-byte key", path, KeySize)
	}
	return key, nil
}

// writeKeyFile creates the key file exclusively with mode 0600, so a concurrent Ferry or an
// existing file is never overwritten.
func writeKeyFile(path string, key []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create key file: %w", err)
	}
	// Private before the key is written (Windows: an ACL; see keyfile_windows.go).
	if err := privateKeyFile(path); err != nil {
		f.Close()
		_ = os.Remove(path)
		return fmt.Errorf("the history key cannot be kept in a file only you can read, so Ferry will not store it (make the OS keyring available or choose another FERRY_DATA_DIR): %w", err)
	}
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("write key file: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync key file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close key file: %w", err)
	}
	return nil
}
