package transfer

import (
	"context"
	"errors"
	"sync"
)

// HostKeyStore remembers the SSH host key fingerprint pinned for each server, so a key
// seen once is required ever after (trust on first use). The history database
// implements it; MemoryHostKeys serves tests. Fingerprints are OpenSSH's
// "SHA256:base64" form, the one an admin can compare with ssh-keygen -l.
type HostKeyStore interface {
	// Get returns the pinned fingerprint for "host:port", or an error wrapping
	// ErrNotFound when none is pinned yet.
	Get(ctx context.Context, hostport string) (fingerprint string, err error)
	// Put pins fingerprint for "host:port".
	Put(ctx context.Context, hostport, fingerprint string) error
}

// MemoryHostKeys is a HostKeyStore held in memory, safe for concurrent use.
type MemoryHostKeys struct {
	mu   sync.Mutex
	keys map[string]string
}

var _ HostKeyStore = (*MemoryHostKeys)(nil)

// NewMemoryHostKeys returns an empty store.
func NewMemoryHostKeys() *MemoryHostKeys { return &MemoryHostKeys{keys: map[string]string{}} }

// Get returns the pinned fingerprint or ErrNotFound.
func (m *MemoryHostKeys) Get(_ context.Context, hostport string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	fp, ok := m.keys[hostport]
	if !ok {
		return "", ErrNotFound
	}
	return fp, nil
}

// Put pins a fingerprint.
func (m *MemoryHostKeys) Put(_ context.Context, hostport, fingerprint string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.keys[hostport] = fingerprint
	return nil
}

// CheckHostKey applies trust on first use: an unknown host gets fp pinned, a known host
// must offer the pinned fingerprint or the result wraps ErrHostKey (a *HostKeyError
// naming host). Protocol packages call it from their host-key callback.
func CheckHostKey(ctx context.Context, store HostKeyStore, host, hostport, fp string) error {
	want, err := store.Get(ctx, hostport)
	switch {
	case errors.Is(err, ErrNotFound), err == nil && want == "":
		// A store may also answer "" for a host it never saw.
		return store.Put(ctx, hostport, fp)
	case err != nil:
		return err
	case want != fp:
		return &HostKeyError{Host: host, Want: want, Got: fp}
	}
	return nil
}
