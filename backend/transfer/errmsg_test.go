package transfer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestMessage(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		want      string
		transient bool
	}{
		{"refused", &ConnectError{Protocol: "FTP", Addr: "h:21", Err: fmt.Errorf("%w: %w", ErrRefused, syscall.ECONNREFUSED)}, "Cannot connect to FTP server h:21: connection refused", false},
		{"login", &ConnectError{Protocol: "SFTP", Addr: "h:22", Err: fmt.Errorf("%w: 530 no", ErrAuth)}, "Login incorrect", false},
		{"timeout", &ConnectError{Protocol: "FTP", Addr: "h:21", Err: &TimeoutError{After: 30 * time.Second}}, "Connection timeout after 30 s", true},
		{"not found", &PathError{Op: "read", Path: "/x", Err: ErrNotFound}, "Path /x not found on server", false},
		{"permission", fmt.Errorf("copy y: %w", &PathError{Op: "write", Path: "/y", Err: ErrPermission}), "Permission denied writing /y", false},
		{"no space", &PathError{Op: "write", Path: "/y", Err: ErrNoSpace}, "No space left on destination", false},
		{"host key", &HostKeyError{Host: "sftp.example.com", Want: "a", Got: "b"}, "Host key of sftp.example.com changed", false},
		{"reset", fmt.Errorf("read: %w", syscall.ECONNRESET), "Connection lost: read: connection reset by peer", true},
		{"eof", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), "Connection lost: read: unexpected EOF", true},
		{"marked transient", Transient(errors.New("426 aborted")), "Connection lost: 426 aborted", true},
		{"cancelled", fmt.Errorf("copy: %w", context.Canceled), "Stopped", false},
		{"other", errors.New("something odd"), "Something odd", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, Message(tc.err))
			require.Equal(t, tc.transient, IsTransient(tc.err))
		})
	}
	require.Empty(t, Message(nil))
	require.False(t, IsTransient(Transient(fmt.Errorf("%w", ErrAuth))), "auth errors never retry, even when marked")
}

func TestCheckHostKey(t *testing.T) {
	ctx := context.Background()
	store := NewMemoryHostKeys()
	require.NoError(t, CheckHostKey(ctx, store, "h", "h:22", "SHA256:one"))
	require.NoError(t, CheckHostKey(ctx, store, "h", "h:22", "SHA256:one"))
	err := CheckHostKey(ctx, store, "h", "h:22", "SHA256:two")
	require.ErrorIs(t, err, ErrHostKey)
	require.Equal(t, "Host key of h changed", Message(err))
	got, err := store.Get(ctx, "h:22")
	require.NoError(t, err)
	require.Equal(t, "SHA256:one", got)
}
