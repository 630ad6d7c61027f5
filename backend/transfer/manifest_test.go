package transfer

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const sumA = "ca978112ca1bbdcafac231b39a23dc4da786eff8146d6af9c5c4c9fcd5f2a3b4"

func TestManifestRoundTrip(t *testing.T) {
	m := Manifest{Files: []ManifestFile{{Path: "a b/ü.txt", Size: 1, SHA256: sumA}, {Path: ".htaccess", Size: 0, SHA256: strings.Repeat("0", 64)}}}
	m.sort()
	p := filepath.Join(t.TempDir(), ManifestName)
	require.NoError(t, WriteManifestFile(p, m))
	got, err := ReadManifestFile(p)
	require.NoError(t, err)
	require.Equal(t, m.Files, got.Files)
	require.Empty(t, m.Diff(got))
	f, ok := got.Lookup("a b/ü.txt")
	require.True(t, ok)
	require.Equal(t, int64(1), f.Size)
	_, err = ReadManifestFile(filepath.Join(t.TempDir(), "none"))
	require.ErrorIs(t, err, ErrNotFound)
}

func TestManifestDiff(t *testing.T) {
	a := Manifest{Files: []ManifestFile{{Path: "a", Size: 1, SHA256: sumA}, {Path: "b", Size: 1, SHA256: sumA}}}
	b := Manifest{Files: []ManifestFile{{Path: "b", Size: 2, SHA256: sumA}, {Path: "c", Size: 1, SHA256: sumA}}}
	require.Equal(t, []string{"a", "b", "c"}, a.Diff(b))
	require.Empty(t, a.Diff(a))
}

func TestReadManifestRejectsDamage(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"not json", "{oops\n", "line 1"},
		{"escaping path", `{"path":"../x","size":1,"sha256":"` + sumA + `"}`, "bad path"},
		{"negative size", `{"path":"x","size":-1,"sha256":"` + sumA + `"}`, "negative size"},
		{"short hash", `{"path":"x","size":1,"sha256":"abc"}`, "bad sha256"},
		{"duplicate", `{"path":"x","size":1,"sha256":"` + sumA + `"}` + "\n" + `{"path":"x","size":1,"sha256":"` + sumA + `"}`, "listed twice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadManifest(strings.NewReader(tc.in))
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func FuzzReadManifest(f *testing.F) {
	f.Add(`{"path":"a","size":1,"sha256":"` + sumA + `"}` + "\n")
	f.Add("{}\n\n")
	f.Fuzz(func(t *testing.T, in string) {
		m, err := ReadManifest(strings.NewReader(in))
		if err != nil {
			return
		}
		var buf bytes.Buffer
		_, err = m.WriteTo(&buf)
		require.NoError(t, err)
		again, err := ReadManifest(&buf)
		require.NoError(t, err, "what ReadManifest accepts, it reads back")
		require.Equal(t, m.Files, again.Files)
	})
}
