package service

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"ferry/backend/migration"
	"ferry/backend/store"
)

// TestExportsNeverLeakSecrets creates migrations through the service with known
// passwords, SSH keys and passphrases, lets those secrets leak into everything a server
// can echo (step errors, warnings, validation messages, log lines), then exports every
// format every way and searches each file for each secret.
func TestExportsNeverLeakSecrets(t *testing.T) {
	s, _, dir := newTestService(t)
	ctx := context.Background()
	const passphrase = "Key-Passphrase-7f3a9c"
	key := testKey(t, passphrase)

	in := sftpInput()
	in.Source.Password = ""
	in.Source.PrivateKey, in.Source.Passphrase = key, passphrase
	in.Source.DB.Password = "src-db-Pa55word-91ab"
	in.Destination.Password = "dst-ftp-Pa55word-22cd"
	in.Destination.DB.Password = "dst-db-Pa55word-33ef"
	a, err := s.CreateMigration(ctx, in)
	require.NoError(t, err)
	b, err := s.CreateMigration(ctx, manualInput())
	require.NoError(t, err)
	_, err = s.MarkFailed(ctx, b.ID)
	require.NoError(t, err)
	_, err = s.MarkSuccessful(ctx, b.ID)
	require.NoError(t, err)

	secrets := []string{passphrase, in.Source.DB.Password, in.Destination.Password, in.Destination.DB.Password,
		manualInput().Destination.DB.Password}
	for _, line := range strings.Split(key, "\n") {
		if line = strings.TrimSpace(line); len(line) >= 16 && !strings.HasPrefix(line, "-----") {
			secrets = append(secrets, line)
		}
	}
	echo := strings.Join([]string{passphrase, in.Source.DB.Password, in.Destination.Password, in.Destination.DB.Password, key}, " ")
	finished(t, s, a.ID, 185, echo)
	// Straight into the store, as if written before the redaction knew the secret; each
	// log echoes its own migration's secrets.
	for id, own := range map[int64]string{a.ID: echo, b.ID: manualInput().Destination.DB.Password} {
		_, err := s.Store().AppendLog(ctx, id, store.LogLine{Level: store.LevelError, Step: migration.StepImportDatabase,
			Message: "mysql said: access denied for password " + own})
		require.NoError(t, err)
	}

	type export struct {
		name string
		run  func(path string) error
	}
	var exports []export
	for _, f := range ExportFormats {
		for _, anon := range []bool{false, true} {
			exports = append(exports, export{"all-" + f + map[bool]string{true: "-anonymised"}[anon], func(p string) error {
				_, err := s.ExportReport(ctx, ExportInput{Format: f, Path: p, BOM: true, Anonymise: anon})
				return err
			}})
		}
		exports = append(exports, export{"selected-" + f, func(p string) error {
			_, err := s.ExportReport(ctx, ExportInput{Format: f, Path: p, IDs: []int64{a.ID, b.ID}})
			return err
		}}, export{"one-" + f, func(p string) error {
			_, err := s.MigrationReport(ctx, a.ID, f, p)
			return err
		}})
	}
	exports = append(exports, export{"log-a", func(p string) error { _, err := s.SaveLog(ctx, a.ID, p); return err }},
		export{"log-b", func(p string) error { _, err := s.SaveLog(ctx, b.ID, p); return err }})

	for _, e := range exports {
		t.Run(e.name, func(t *testing.T) {
			ext := "txt"
			for _, f := range ExportFormats {
				if strings.HasSuffix(e.name, f) || strings.Contains(e.name, "-"+f+"-") {
					ext = f
				}
			}
			path := filepath.Join(dir, e.name+"."+ext)
			require.NoError(t, e.run(path))
			body, err := os.ReadFile(path)
			require.NoError(t, err)
			text := string(body)
			if ext == FormatPDF {
				text = pdfText(t, path)
				require.Contains(t, text, "bob.example.org", "the text was extracted")
			}
			require.NotEmpty(t, text)
			for _, sec := range secrets {
				if strings.Contains(text, sec) {
					t.Fatalf("%s contains the secret %q", e.name, sec)
				}
			}
			require.Contains(t, text, "••••••••", "the echoed secrets are masked, not dropped silently")
		})
	}
}
