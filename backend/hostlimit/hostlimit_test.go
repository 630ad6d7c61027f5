package hostlimit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/textproto"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"ferry/backend/transfer"
)

func TestTooMany(t *testing.T) {
	sftpErr := func(err error) error { return &transfer.ConnectError{Protocol: "SFTP", Addr: "h:22", Err: err} }
	for _, c := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"FTP 421", fmt.Errorf("connect: %w", &textproto.Error{Code: 421, Msg: "Too many connections (8) from this IP"}), true},
		{"FTP 530 maximum", fmt.Errorf("%w: %w", transfer.ErrAuth, &textproto.Error{Code: 530, Msg: "Sorry, the maximum number of users (4) is reached"}), true},
		{"FTP 530 login incorrect", fmt.Errorf("%w: %w", transfer.ErrAuth, &textproto.Error{Code: 530, Msg: "Login incorrect."}), false},
		{"FTP 550", &textproto.Error{Code: 550, Msg: "No such file"}, false},
		{"MySQL 1040", fmt.Errorf("open: %w", &mysql.MySQLError{Number: 1040, Message: "Too many connections"}), true},
		{"MySQL 1045", &mysql.MySQLError{Number: 1045, Message: "Access denied"}, false},
		{"MySQL 1203", &mysql.MySQLError{Number: 1203, Message: "User wp1 already has more than 'max_user_connections' active connections"}, true},
		{"MySQL 1226 connections", &mysql.MySQLError{Number: 1226, Message: "User 'wp1' has exceeded the 'max_user_connections' resource (current value: 4)"}, true},
		{"MySQL 1226 queries per hour", &mysql.MySQLError{Number: 1226, Message: "User 'wp1' has exceeded the 'max_queries_per_hour' resource (current value: 100)"}, false},
		{"SSH dropped at MaxStartups", sftpErr(transfer.Transient(fmt.Errorf("ssh: handshake failed: %w", io.EOF))), true},
		{"SSH wrong password", sftpErr(fmt.Errorf("%w: ssh: unable to authenticate", transfer.ErrAuth)), false},
		{"FTP EOF", &transfer.ConnectError{Protocol: "FTP", Addr: "h:21", Err: io.EOF}, false},
		{"marked full", Full(errors.New("second login refused")), true},
	} {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.want, TooMany(c.err))
		})
	}
}

func TestAdmitLimitsMigrationsPerHost(t *testing.T) {
	l := New(Config{PerSource: 2, PerDestination: 1, Lookup: func(id int64) (Hosts, bool) {
		switch {
		case id >= 100:
			return Hosts{}, false // not in a batch
		case id%2 == 0:
			return Hosts{Source: "old", Destination: "new-a"}, true
		}
		return Hosts{Source: "old", Destination: "new-b"}, true
	}})
	r2, ok := l.Admit(2)
	require.True(t, ok)
	_, ok = l.Admit(4)
	require.False(t, ok, "new-a already runs one")
	r3, ok := l.Admit(3)
	require.True(t, ok, "another destination, and old runs one")
	_, ok = l.Admit(5)
	require.False(t, ok, "old runs two")
	for id := int64(100); id < 110; id++ {
		_, ok := l.Admit(id)
		require.True(t, ok, "migrations outside batches are never held back")
	}
	r2()
	r2() // a second call changes nothing
	require.Equal(t, 1, l.Running('s', "old"))
	_, ok = l.Admit(4)
	require.True(t, ok)
	r3()
	require.Equal(t, 1, l.Running('s', "old"))
	require.Equal(t, ctxWithout(t), l.Context(ctxWithout(t), 100), "no budget outside batches")
	require.True(t, Limited(l.Context(context.Background(), 4)))
}

func ctxWithout(t *testing.T) context.Context { return t.Context() }

// fakeServer admits max connections at once and refuses the next one as an FTP server
// does.
type fakeServer struct {
	max              int
	mu               sync.Mutex
	dialing          sync.RWMutex // dials hold it shared, closing alone
	open, peak, refs int
}

func (s *fakeServer) dial(context.Context) (func(), error) {
	s.dialing.RLock()
	defer s.dialing.RUnlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.open >= s.max {
		s.refs++
		return nil, fmt.Errorf("login: %w", &textproto.Error{Code: 421, Msg: "Too many connections"})
	}
	s.open++
	s.peak = max(s.peak, s.open)
	return func() { s.mu.Lock(); s.open--; s.mu.Unlock() }, nil
}

// closing ends a connection on the server (hang, which takes s.mu itself) and in
// Ferry's budget (release) with no dial in between.
func (s *fakeServer) closing(hang, release func()) {
	s.dialing.Lock()
	defer s.dialing.Unlock()
	hang()
	release()
}

func TestConnectLowersOnceAndNeverFails(t *testing.T) {
	srv := &fakeServer{max: 3}
	var notes []string
	var mu sync.Mutex
	l := New(Config{Connections: 8, Backoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond,
		Lookup: func(int64) (Hosts, bool) { return Hosts{Source: "a", Destination: "b"}, true },
		Notify: func(id int64, msg string) { mu.Lock(); notes = append(notes, msg); mu.Unlock() }})
	var wg sync.WaitGroup
	var failed atomic.Int32
	for i := range 12 {
		wg.Add(1)
		go func(id int64) {
			defer wg.Done()
			ctx := l.Context(t.Context(), id)
			for range 5 {
				hang, release, err := Connect(ctx, "ftp.example.net:21", "ftp.example.net", srv.dial)
				if err != nil {
					failed.Add(1)
					return
				}
				time.Sleep(2 * time.Millisecond)
				// The server and Ferry see the close at once: with the server first, a
				// dial in between could find Ferry counting one more open than the server.
				srv.closing(hang, release)
			}
		}(int64(i%2 + 1))
	}
	wg.Wait()
	require.Zero(t, failed.Load(), "a refusal for too many connections never fails the caller")
	require.LessOrEqual(t, srv.peak, 3)
	require.Positive(t, srv.refs)
	// Lowered once, to the connections Ferry had open when refused: the server's 3, or
	// fewer when one of them had just closed.
	require.Len(t, notes, 1, "%q", notes)
	lowered := l.Limit("ftp.example.net:21")
	require.True(t, lowered >= 1 && lowered <= 3, "lowered to %d", lowered)
	require.Equal(t, fmt.Sprintf("ftp.example.net allows %d connections: lowered from 8", lowered), notes[0])
}

func TestConnectWithoutBudgetOnlyDials(t *testing.T) {
	srv := &fakeServer{max: 0}
	_, release, err := Connect(t.Context(), "h:21", "h", srv.dial)
	require.Error(t, err)
	require.True(t, TooMany(err))
	require.Nil(t, release)
	require.Equal(t, 1, srv.refs, "dialled once, no retry outside a batch")
}
