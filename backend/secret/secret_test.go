package secret

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/zalando/go-keyring"
)

func testBox(t *testing.T) *Box {
	t.Helper()
	k, err := NewKey()
	require.NoError(t, err)
	b, err := NewBox(k)
	require.NoError(t, err)
	return b
}

func TestSealOpen(t *testing.T) {
	b := testBox(t)
	for _, plain := range []string{"S3cr3t pass with spaces ", "ünïcødé-🔑", strings.Repeat("x", 10_000)} {
		sealed, err := b.Seal(plain)
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(sealed, Prefix))
		require.NotContains(t, sealed, plain)
		again, err := b.Seal(plain)
		require.NoError(t, err)
		require.NotEqual(t, sealed, again, "a fresh nonce each time")
		got, err := b.Open(sealed)
		require.NoError(t, err)
		require.Equal(t, plain, got)
	}
	empty, err := b.Seal("")
	require.NoError(t, err)
	require.Empty(t, empty)
	got, err := b.Open("")
	require.NoError(t, err)
	require.Empty(t, got)
}

func TestOpenRefusesBadInput(t *testing.T) {
	b := testBox(t)
	sealed, err := b.Seal("password")
	require.NoError(t, err)
	raw, err := base64.StdEncoding.DecodeString(sealed[len(Prefix):])
	require.NoError(t, err)
	raw[len(raw)-1] ^= 1
	tampered := Prefix + base64.StdEncoding.EncodeToString(raw)
	cases := []struct {
		name string
		in   string
		want error
	}{
		{"plain text", "password", ErrNotSealed},
		{"bad base64", Prefix + "!!!", ErrNotSealed},
		{"too short", Prefix + base64.StdEncoding.EncodeToString([]byte("abc")), ErrNotSealed},
		{"tampered", tampered, ErrWrongKey},
		{"other key", sealed, ErrWrongKey},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			box := b
			if tc.name == "other key" {
				box = testBox(t)
			}
			_, err := box.Open(tc.in)
			require.ErrorIs(t, err, tc.want)
			require.NotContains(t, err.Error(), "password")
		})
	}
	_, err = NewBox([]byte("short"))
	require.Error(t, err)
}

func TestMaskRedact(t *testing.T) {
	require.Equal(t, "", Mask(""))
	require.Equal(t, Masked, Mask("x"))
	require.Equal(t, Masked, Mask(strings.Repeat("y", 100)), "the mask never tells the length")
	key := "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\nAAAAMwAAAAtzc2gtZWQyNTUxOQAAACD\n-----END OPENSSH PRIVATE KEY-----"
	cases := []struct {
		name, text string
		secrets    []string
		want       string
	}{
		{"none", "login ok", nil, "login ok"},
		{"one", "login with hunter2 failed", []string{"hunter2"}, "login with " + Masked + " failed"},
		{"every occurrence", "a=pw b=pw", []string{"pw"}, "a=" + Masked + " b=" + Masked},
		{"longest first", "pass=abc123", []string{"abc", "abc123"}, "pass=" + Masked},
		{"empty secret ignored", "text", []string{""}, "text"},
		{"key line quoted", "bad key line b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ", []string{key}, "bad key line " + Masked},
		{"key markers kept", "-----END OPENSSH PRIVATE KEY-----", []string{key}, "-----END OPENSSH PRIVATE KEY-----"},
		{"short secret not inside words", "Retry requested for example.com", []string{"x", "y"}, "Retry requested for example.com"},
		{"short secret as a word", "password x was refused; user y", []string{"x", "y"}, "password " + Masked + " was refused; user " + Masked},
		{"short secret between symbols", "mysql://wp:pw@db", []string{"pw"}, "mysql://wp:" + Masked + "@db"},
		{"short secret glued on one side", "pwned pw", []string{"pw"}, "pwned " + Masked},
		{"long secret inside a word", "tokenSup3rS3cretX", []string{"Sup3rS3cret"}, "token" + Masked + "X"},
		{"symbol secret", "pass=!!  end", []string{"!!"}, "pass=" + Masked + "  end"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, Redact(tc.text, tc.secrets...))
		})
	}
}

// fakeKeyring is an in-memory keyring that can fail or hang like a broken Secret Service.
type fakeKeyring struct {
	mu     sync.Mutex
	data   map[string]string
	err    error
	hang   chan struct{}
	gets   int
	setErr error
}

func (f *fakeKeyring) Get(service, user string) (string, error) {
	if f.hang != nil {
		<-f.hang
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gets++
	if f.err != nil {
		return "", f.err
	}
	v, ok := f.data[service+"/"+user]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return v, nil
}

func (f *fakeKeyring) Set(service, user, password string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.setErr != nil {
		return f.setErr
	}
	if f.data == nil {
		f.data = map[string]string{}
	}
	f.data[service+"/"+user] = password
	return nil
}

func sealOpenAcross(t *testing.T, a, b *Box) {
	t.Helper()
	s, err := a.Seal("across")
	require.NoError(t, err)
	got, err := b.Open(s)
	require.NoError(t, err)
	require.Equal(t, "across", got)
}

func TestOpenBoxKeyring(t *testing.T) {
	t.Setenv("FERRY_KEYRING", "")
	ctx := context.Background()
	kr := &fakeKeyring{}
	dir := t.TempDir()
	b1, src, err := OpenBox(ctx, dir, OpenOptions{Keyring: kr})
	require.NoError(t, err)
	require.Equal(t, SourceKeyring, src)
	require.Contains(t, kr.data, KeyringService+"/"+KeyringUser)
	require.NoFileExists(t, filepath.Join(dir, KeyFileName))
	b2, src, err := OpenBox(ctx, dir, OpenOptions{Keyring: kr})
	require.NoError(t, err)
	require.Equal(t, SourceKeyring, src)
	sealOpenAcross(t, b1, b2)

	kr.data[KeyringService+"/"+KeyringUser] = "not-a-key"
	_, _, err = OpenBox(ctx, t.TempDir(), OpenOptions{Keyring: &fakeKeyring{data: kr.data, setErr: errors.New("must not overwrite")}, NoKeyring: false})
	require.NoError(t, err, "a damaged entry falls back to a file rather than being overwritten")
}

func TestOpenBoxFallsBackToFile(t *testing.T) {
	t.Setenv("FERRY_KEYRING", "")
	ctx := context.Background()
	cases := []struct {
		name string
		opt  func() OpenOptions
	}{
		{"keyring error", func() OpenOptions { return OpenOptions{Keyring: &fakeKeyring{err: errors.New("no secret service")}} }},
		{"keyring set fails", func() OpenOptions { return OpenOptions{Keyring: &fakeKeyring{setErr: errors.New("locked")}} }},
		{"keyring hangs", func() OpenOptions {
			return OpenOptions{Keyring: &fakeKeyring{hang: make(chan struct{})}, Timeout: 50 * time.Millisecond}
		}},
		{"forced off", func() OpenOptions { return OpenOptions{Keyring: &fakeKeyring{}, NoKeyring: true} }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			start := time.Now()
			b1, src, err := OpenBox(ctx, dir, tc.opt())
			require.NoError(t, err)
			require.Less(t, time.Since(start), 5*time.Second)
			require.Equal(t, SourceFile, src)
			info, err := os.Stat(filepath.Join(dir, KeyFileName))
			require.NoError(t, err)
			if runtime.GOOS != "windows" { // Windows has an ACL instead (keyfile_windows.go)
				require.Equal(t, os.FileMode(0o600), info.Mode().Perm())
			}
			// The file wins on the next start, even when a keyring now answers.
			kr := &fakeKeyring{}
			b2, src, err := OpenBox(ctx, dir, OpenOptions{Keyring: kr})
			require.NoError(t, err)
			require.Equal(t, SourceFile, src)
			require.Zero(t, kr.gets)
			sealOpenAcross(t, b1, b2)
		})
	}
	t.Run("env off", func(t *testing.T) {
		t.Setenv("FERRY_KEYRING", "off")
		kr := &fakeKeyring{}
		_, src, err := OpenBox(ctx, t.TempDir(), OpenOptions{Keyring: kr})
		require.NoError(t, err)
		require.Equal(t, SourceFile, src)
		require.Zero(t, kr.gets)
	})
	t.Run("damaged key file", func(t *testing.T) {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, KeyFileName), []byte("garbage"), 0o600))
		_, _, err := OpenBox(ctx, dir, OpenOptions{NoKeyring: true})
		require.ErrorContains(t, err, "damaged")
		got, err := os.ReadFile(filepath.Join(dir, KeyFileName))
		require.NoError(t, err)
		require.Equal(t, "garbage", string(got), "a damaged key file is never overwritten")
	})
}

func ExampleRedact() {
	fmt.Println(Redact("mysql: access denied for wp using password hunter2", "hunter2"))
	fmt.Printf("%q %q\n", Mask("hunter2"), Mask(""))
	// Output:
	// mysql: access denied for wp using password ••••••••
	// "••••••••" ""
}

func ExampleBox() {
	key, _ := NewKey()
	box, _ := NewBox(key)
	sealed, _ := box.Seal("hunter2")
	plain, _ := box.Open(sealed)
	fmt.Println(strings.HasPrefix(sealed, Prefix), plain)
	// Output: true hunter2
}
