package transfer_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/transfer"
	"ferry/backend/transfer/ftp"
	"ferry/backend/transfer/local"
	"ferry/backend/transfer/sftp"
	"ferry/backend/transfer/stage"
	"ferry/backend/transfer/transfertest"
)

// hookTree calls hooks around a Tree's Open and Create (tests).
type hookTree struct {
	transfer.Tree
	open   func(p string) error
	create func(p string) error
}

func (h hookTree) Open(ctx context.Context, p string, off int64) (io.ReadCloser, error) {
	if h.open != nil {
		if err := h.open(p); err != nil {
			return nil, err
		}
	}
	return h.Tree.Open(ctx, p, off)
}

func (h hookTree) Create(ctx context.Context, p string, off int64) (io.WriteCloser, error) {
	if h.create != nil {
		if err := h.create(p); err != nil {
			return nil, err
		}
	}
	return h.Tree.Create(ctx, p, off)
}

func hooked(op transfer.Opener, open, create func(p string) error) transfer.Opener {
	return func(ctx context.Context) (transfer.Tree, error) {
		t, err := op(ctx)
		if err != nil {
			return nil, err
		}
		return hookTree{Tree: t, open: open, create: create}, nil
	}
}

// relayEnds are an FTP source and an SFTP destination, the source behind a link of rtt.
type relayEnds struct {
	src, dst       transfer.Opener
	srcDir, dstDir string
	want           transfer.Manifest
}

func startRelayEnds(t testing.TB, files int, rtt time.Duration) relayEnds {
	root := t.TempDir()
	srcDir, dstDir := filepath.Join(root, "site"), filepath.Join(root, "dest")
	require.NoError(t, os.MkdirAll(dstDir, 0o755))
	want := makeFolders(t, srcDir, files, max(files/10, 1))
	fs := transfertest.StartFTP(t, root, transfertest.FTPOptions{})
	ss := transfertest.StartSFTP(t, root, transfertest.SFTPOptions{})
	d := transfertest.NewDelay(t, rtt)
	return relayEnds{
		src: ftp.Config{Host: fs.Host, Port: fs.Port, User: fs.User, Password: fs.Password, Root: "/site",
			DialContext: d.Dial, Timeout: 20 * time.Second}.Opener(),
		dst: sftp.NewPool(sftp.Config{Host: ss.Host, Port: ss.Port, User: ss.User, Password: ss.Password,
			Root: "dest", HostKeys: transfer.NewMemoryHostKeys(), DialContext: d.Dial, Timeout: 20 * time.Second}).Opener(),
		srcDir: srcDir, dstDir: dstDir, want: want,
	}
}

// relay runs the download into staging and the upload from it side by side, as the
// pipeline does (an upload failing stops the download), and returns both errors.
func relay(ctx context.Context, e relayEnds, staging string, down, up transfer.MirrorOptions) (derr, uerr error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r := transfer.NewRelay()
	down.RelayTo, up.RelayFrom = r, r
	st := stage.Opener(staging)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if _, uerr = transfer.Mirror(ctx, st, e.dst, up); uerr != nil {
			cancel()
		}
	}()
	_, derr = transfer.Mirror(ctx, e.src, st, down)
	wg.Wait()
	return derr, uerr
}

// TestRelayUploadsWhileDownloading copies 300 files FTP → staging → SFTP with the
// upload fed by the download: the destination ends byte-exact (hashed from disk), and
// the first file reached the destination before the download ended.
func TestRelayUploadsWhileDownloading(t *testing.T) {
	e := startRelayEnds(t, 300, 10*time.Millisecond)
	var firstUp atomic.Int64
	e.dst = hooked(e.dst, nil, func(string) error {
		firstUp.CompareAndSwap(0, time.Now().UnixNano())
		return nil
	})
	var downEnd time.Time
	staging := t.TempDir()
	r := transfer.NewRelay()
	st := stage.Opener(staging)
	var uerr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, uerr = transfer.Mirror(t.Context(), st, e.dst, transfer.MirrorOptions{RelayFrom: r, ManifestPath: filepath.Join(t.TempDir(), "up.manifest")})
	}()
	_, derr := transfer.Mirror(t.Context(), e.src, st, transfer.MirrorOptions{RelayTo: r})
	downEnd = time.Now()
	<-done
	require.NoError(t, derr)
	require.NoError(t, uerr)
	require.Equal(t, e.want.Files, hashDir(t, e.dstDir).Files)
	require.NotZero(t, firstUp.Load())
	require.Less(t, firstUp.Load(), downEnd.UnixNano(), "the upload started only after the download ended")
}

// TestRelayResumesBothSides interrupts a relay (the upload fails after 100 files), then
// runs it again with both manifests: no file already at the destination is sent again,
// none downloaded is downloaded again, and the destination ends byte-exact.
func TestRelayResumesBothSides(t *testing.T) {
	e := startRelayEnds(t, 300, 0)
	staging, man := t.TempDir(), t.TempDir()
	downMan, upMan := filepath.Join(man, "down.manifest"), filepath.Join(man, "up.manifest")
	var sent atomic.Int64
	failing := hooked(e.dst, nil, func(string) error {
		if sent.Add(1) > 100 {
			return fmt.Errorf("quota: %w", transfer.ErrPermission)
		}
		return nil
	})
	first := e
	first.dst = failing
	_, uerr := relay(t.Context(), first, staging, transfer.MirrorOptions{ManifestPath: downMan},
		transfer.MirrorOptions{ManifestPath: upMan, Workers: 1})
	require.ErrorIs(t, uerr, transfer.ErrPermission)

	var down, up atomic.Int64
	e.src = hooked(e.src, func(string) error { down.Add(1); return nil }, nil)
	e.dst = hooked(e.dst, nil, func(string) error { up.Add(1); return nil })
	prevDown, err := transfer.ReadResumeManifest(downMan)
	require.NoError(t, err)
	prevUp, err := transfer.ReadResumeManifest(upMan)
	require.NoError(t, err)
	require.Len(t, prevUp.Files, 100)
	derr, uerr := relay(t.Context(), e, staging,
		transfer.MirrorOptions{ManifestPath: downMan, Previous: &prevDown},
		transfer.MirrorOptions{ManifestPath: upMan, Previous: &prevUp})
	require.NoError(t, derr)
	require.NoError(t, uerr)
	require.Equal(t, e.want.Files, hashDir(t, e.dstDir).Files)
	require.EqualValues(t, 300-len(prevDown.Files), down.Load(), "a file already in staging was downloaded again")
	require.EqualValues(t, 200, up.Load(), "a file already at the destination was sent again")
}

// TestRelayStopsWithTheDownload fails the download partway (a file it may not read):
// the upload stops too, with an error that says the download stopped it and why.
func TestRelayStopsWithTheDownload(t *testing.T) {
	e := startRelayEnds(t, 300, 0)
	var opened atomic.Int64
	e.src = hooked(e.src, func(p string) error {
		if opened.Add(1) > 150 {
			return fmt.Errorf("read %s: %w", p, transfer.ErrPermission)
		}
		return nil
	}, nil)
	derr, uerr := relay(t.Context(), e, t.TempDir(), transfer.MirrorOptions{}, transfer.MirrorOptions{})
	require.ErrorIs(t, derr, transfer.ErrPermission)
	require.ErrorIs(t, uerr, transfer.ErrRelayEnded)
	require.ErrorIs(t, uerr, transfer.ErrPermission)
	require.True(t, strings.Contains(uerr.Error(), "permission denied"), uerr.Error())
}

// BenchmarkRelayRTT copies a generated tree (FERRY_BENCH_FILES files, default 1,000)
// FTP → staging → SFTP through a link of FERRY_BENCH_RTT_MS (default 40) round trip,
// once download-then-upload and once relayed, alternating, and logs both wall times.
// Every copy is checked file by file against the source.
//
//	go test ./backend/transfer/ -run '^$' -bench RelayRTT -benchtime 3x
func BenchmarkRelayRTT(b *testing.B) {
	files := envInt("FERRY_BENCH_FILES", 1000)
	rtt := time.Duration(envInt("FERRY_BENCH_RTT_MS", 40)) * time.Millisecond
	e := startRelayEnds(b, files, rtt)
	var retries atomic.Int64
	onRetry := func(string, int, error) { retries.Add(1) }
	down := transfer.MirrorOptions{GrowTo: 8, OnRetry: onRetry}
	up := transfer.MirrorOptions{Streams: sftp.UploadStreams, OnRetry: onRetry}
	for i := range b.N {
		for _, relayed := range []bool{false, true} {
			require.NoError(b, os.RemoveAll(e.dstDir))
			require.NoError(b, os.MkdirAll(e.dstDir, 0o755))
			staging := filepath.Join(b.TempDir(), fmt.Sprint(i))
			retries.Store(0)
			start := time.Now()
			var downDone time.Time
			if relayed {
				derr, uerr := relay(context.Background(), e, staging, down, up)
				require.NoError(b, derr)
				require.NoError(b, uerr)
			} else {
				st := stage.Opener(staging)
				_, err := transfer.Mirror(context.Background(), e.src, st, down)
				require.NoError(b, err)
				downDone = time.Now()
				_, err = transfer.Mirror(context.Background(), st, e.dst, up)
				require.NoError(b, err)
			}
			took := time.Since(start)
			split := ""
			if !relayed {
				split = fmt.Sprintf(" (down %.1f s, up %.1f s)", downDone.Sub(start).Seconds(), took.Seconds()-downDone.Sub(start).Seconds())
			}
			b.Logf("round %d relayed=%v: %d files FTP→SFTP at RTT %s: %.1f s%s, %d retries", i, relayed, files, rtt, took.Seconds(), split, retries.Load())
			require.Equal(b, e.want.Files, hashDir(b, e.dstDir).Files)
		}
	}
}

// shortReader ends a file after n bytes without an error, as an FTP data connection
// that closes early does.
type shortReader struct {
	io.ReadCloser
	left int64
}

func (s *shortReader) Read(p []byte) (int, error) {
	if s.left <= 0 {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), s.left)]
	n, err := s.ReadCloser.Read(p)
	s.left -= int64(n)
	return n, err
}

type shortTree struct {
	transfer.Tree
	root string
	cut  *atomic.Int64 // files still to cut short
}

// shortCut is where shortTree cuts a transfer; a file no longer than that is left whole.
const shortCut = 100

func (s shortTree) Open(ctx context.Context, p string, off int64) (io.ReadCloser, error) {
	r, err := s.Tree.Open(ctx, p, off)
	if st, serr := os.Stat(filepath.Join(s.root, filepath.FromSlash(p))); err == nil && serr == nil &&
		st.Size()-off > shortCut && s.cut.Add(-1) >= 0 {
		return &shortReader{ReadCloser: r, left: shortCut}, nil
	}
	return r, err
}

// TestMirrorRetriesATransferThatEndsEarly cuts the first files' transfers short without
// an error: Mirror sees the source still holds more, copies them again, and the copy is
// whole; a file that really shrank since it was listed is copied as it now is.
func TestMirrorRetriesATransferThatEndsEarly(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	want := makeSite(t, src, 50, 7)
	var cut atomic.Int64
	cut.Store(10)
	open := func(ctx context.Context) (transfer.Tree, error) {
		tr, err := local.Opener(src)(ctx)
		if err != nil {
			return nil, err
		}
		return shortTree{Tree: tr, root: src, cut: &cut}, nil
	}
	var retries atomic.Int64
	man, err := transfer.Mirror(t.Context(), open, local.Opener(dst), transfer.MirrorOptions{
		RetryDelay: time.Millisecond, OnRetry: func(string, int, error) { retries.Add(1) },
	})
	require.NoError(t, err)
	require.Equal(t, want.Files, manifestOf(t, dst).Files)
	require.Len(t, man.Files, len(want.Files))
	require.EqualValues(t, 10, retries.Load())

	// A file listed at its old size that shrank before its turn.
	listing := []transfer.Entry{{Path: "a.txt", Size: 5000}}
	require.NoError(t, os.WriteFile(filepath.Join(src, "a.txt"), []byte("now short"), 0o644))
	dst2 := t.TempDir()
	man, err = transfer.Mirror(t.Context(), local.Opener(src), local.Opener(dst2), transfer.MirrorOptions{SourceListing: listing})
	require.NoError(t, err)
	require.Len(t, man.Files, 1)
	require.EqualValues(t, 9, man.Files[0].Size)
}
