package transfer_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"ferry/backend/transfer"
	"ferry/backend/transfer/local"
)

// gateTree holds back the copy of one file: Create of that path waits until the gate
// opens, as a transfer frozen in the middle of a site.
type gateTree struct {
	transfer.Tree
	hold    string
	reached chan struct{}
	gate    chan struct{}
}

func (g *gateTree) Create(ctx context.Context, p string, off int64) (io.WriteCloser, error) {
	if strings.HasSuffix(p, g.hold) {
		select {
		case g.reached <- struct{}{}:
		default:
		}
		select {
		case <-g.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return g.Tree.Create(ctx, p, off)
}

// openLog records the files read from a Tree (one worker: no lock needed).
type openLog struct {
	transfer.Tree
	opened *[]string
}

func (o *openLog) Open(ctx context.Context, p string, off int64) (io.ReadCloser, error) {
	*o.opened = append(*o.opened, p)
	return o.Tree.Open(ctx, p, off)
}

// TestMirrorJournalsFilesAsTheyComplete freezes a mirror on its last file and reads what
// a Ferry killed at that moment leaves behind: every file finished so far is already in
// the journal (before, the list of finished files was written only when Mirror ended), and
// a Retry from it skips them.
func TestMirrorJournalsFilesAsTheyComplete(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	want := makeSite(t, src, 120, 7)
	manPath := filepath.Join(t.TempDir(), "download.jsonl")
	// The smallest file goes last (largest first), so every other file is done by then.
	last := want.Files[0]
	for _, f := range want.Files {
		if f.Size < last.Size || (f.Size == last.Size && f.Path > last.Path) {
			last = f
		}
	}
	g := &gateTree{hold: last.Path, reached: make(chan struct{}, 1), gate: make(chan struct{})}
	dstOpen := func(ctx context.Context) (transfer.Tree, error) {
		t, err := local.Opener(dst)(ctx)
		if err != nil {
			return nil, err
		}
		return &gateTree{Tree: t, hold: g.hold, reached: g.reached, gate: g.gate}, nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := transfer.Mirror(ctx, local.Opener(src), dstOpen, transfer.MirrorOptions{Workers: 1, ManifestPath: manPath})
		done <- err
	}()
	select {
	case <-g.reached:
	case <-time.After(30 * time.Second):
		t.Fatal("the mirror never reached its last file")
	}
	_, err := os.Stat(manPath)
	require.ErrorIs(t, err, os.ErrNotExist, "no manifest yet: the mirror is still running")
	got, err := transfer.ReadResumeManifest(manPath)
	require.NoError(t, err)
	require.Len(t, got.Files, len(want.Files)-1, "every finished file is journaled while the mirror runs")
	for _, f := range got.Files {
		w, ok := want.Lookup(f.Path)
		require.True(t, ok, f.Path)
		require.Equal(t, w.Size, f.Size, "journaled size is the source's")
		require.Equal(t, w.SHA256, f.SHA256, "journaled hash is the source's")
		require.NotZero(t, f.Mode, "a local source says each file's mode, and the journal keeps it")
	}
	_, ok := got.Lookup(last.Path)
	require.False(t, ok, "the unfinished file is not journaled")

	// A retry from what the "killed" run left copies only the file it had not finished.
	var opened []string
	srcOpen := func(ctx context.Context) (transfer.Tree, error) {
		t, err := local.Opener(src)(ctx)
		return &openLog{Tree: t, opened: &opened}, err
	}
	man, err := transfer.Mirror(context.Background(), srcOpen, local.Opener(dst), transfer.MirrorOptions{
		Workers: 1, Previous: &got, ManifestPath: filepath.Join(t.TempDir(), "retry.jsonl"),
	})
	require.NoError(t, err)
	require.Empty(t, want.Diff(man))
	require.Equal(t, []string{last.Path}, opened, "the retry reads only the unfinished file")
	require.Empty(t, want.Diff(manifestOf(t, dst)), "the destination holds the source's bytes")
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
}

// TestReadJournalIgnoresATornTail reads a journal whose writer died mid-line, and one
// that a later process appended to after such a tear.
func TestReadJournalIgnoresATornTail(t *testing.T) {
	dir := t.TempDir()
	manPath := filepath.Join(dir, "m.jsonl")
	h := strings.Repeat("ab", 32)
	good := `{"path":"a.php","size":3,"sha256":"` + h + `"}` + "\n"
	torn := `{"path":"b.php","size":4,"sha2`
	require.NoError(t, os.WriteFile(transfer.JournalPath(manPath), []byte(good+torn), 0o600))
	files, err := transfer.ReadJournal(transfer.JournalPath(manPath))
	require.NoError(t, err)
	require.Equal(t, []transfer.ManifestFile{{Path: "a.php", Size: 3, SHA256: h}}, files)

	// A complete line that is not a record (the torn line closed off by a newline, or
	// damage) is skipped, the lines after it still count, and a later line for the
	// same path wins.
	more := "garbage\n" + `{"path":"../x","size":1,"sha256":"` + h + `"}` + "\n" +
		`{"path":"a.php","size":5,"sha256":"` + h + `"}` + "\n"
	require.NoError(t, os.WriteFile(transfer.JournalPath(manPath), []byte(good+torn+"\n"+more), 0o600))
	man, err := transfer.ReadResumeManifest(manPath)
	require.NoError(t, err)
	require.Equal(t, []transfer.ManifestFile{{Path: "a.php", Size: 5, SHA256: h}}, man.Files)

	_, err = transfer.ReadResumeManifest(filepath.Join(dir, "none.jsonl"))
	require.ErrorIs(t, err, transfer.ErrNotFound)
}
