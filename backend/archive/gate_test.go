package archive

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/stretchr/testify/require"
)

func verifyMessages(t *testing.T, p string) string {
	t.Helper()
	rep, err := VerifyZip(context.Background(), p, Limits{}, nil)
	require.NoError(t, err)
	var msgs []string
	for _, pr := range rep.Problems {
		if !pr.Warning {
			msgs = append(msgs, pr.Message)
		}
	}
	return strings.Join(msgs, "\n")
}

// TestVerifyRefusesAmbiguousZips: names that differ only by case, and an entry whose
// local header names another file than its central directory record.
func TestVerifyRefusesAmbiguousZips(t *testing.T) {
	dir := t.TempDir()
	p := siteZip(t, dir, []zfile{{name: "Index.php", body: []byte("<?php // other")}})
	msg := verifyMessages(t, p)
	require.Contains(t, msg, "site.zip: entries 'index.php' and 'Index.php' differ only in upper and lower case")
	_, err := Extract(context.Background(), p, nil, ExtractOptions{})
	require.ErrorIs(t, err, ErrDuplicate)

	// rename the local header of wp-admin/index.php to wp-admin/evilx.php (same length)
	b, err := os.ReadFile(siteZip(t, t.TempDir(), nil))
	require.NoError(t, err)
	i := bytes.Index(b, []byte("PK\x03\x04"))
	for i >= 0 {
		n := int(binary.LittleEndian.Uint16(b[i+26:]))
		if string(b[i+30:i+30+n]) == "wp-admin/index.php" {
			copy(b[i+30:], "wp-admin/evilx.php")
			break
		}
		j := bytes.Index(b[i+4:], []byte("PK\x03\x04"))
		if j < 0 {
			i = -1
			break
		}
		i += 4 + j
	}
	require.GreaterOrEqual(t, i, 0)
	mm := filepath.Join(t.TempDir(), "mismatch.zip")
	require.NoError(t, os.WriteFile(mm, b, 0o600))
	msg = verifyMessages(t, mm)
	require.Contains(t, msg, "mismatch.zip: entry 'wp-admin/index.php' is named 'wp-admin/evilx.php' in its local header")
	_, err = Extract(context.Background(), mm, nil, ExtractOptions{})
	require.ErrorIs(t, err, ErrNameMismatch)
}

// TestAESEntryIsReportedOnce: an AES-encrypted entry (method 99) is password-protected,
// not an unknown compression method.
func TestAESEntryIsReportedOnce(t *testing.T) {
	p := writeRawZip(t, filepath.Join(t.TempDir(), "aes.zip"), wpFiles(""), []rawEntry{{fh: zip.FileHeader{Name: "secret.php", Method: 99, Flags: 0x1, CompressedSize64: 4, UncompressedSize64: 4}, data: []byte("abcd")}})
	msg := verifyMessages(t, p)
	require.Contains(t, msg, "entry 'secret.php' is password-protected")
	require.NotContains(t, msg, "method 99")
	require.NotContains(t, msg, "File extraction failed")
}

// TestZipWithTwoDumpsIsRefused: Ferry does not pick one of two dumps.
func TestZipWithTwoDumpsIsRefused(t *testing.T) {
	p := writeZip(t, filepath.Join(t.TempDir(), "db.zip"), []zfile{
		{name: "site.sql", body: []byte("CREATE TABLE wp_options (a int);\n")},
		{name: "old/site-backup.sql", body: []byte("CREATE TABLE wp_options (a int);\nINSERT INTO wp_options VALUES (1);\n")},
	})
	_, err := Sniff(p)
	require.ErrorIs(t, err, ErrDuplicate)
	require.Contains(t, err.Error(), "db.zip' holds 2 database dumps ('site.sql' and 'old/site-backup.sql')")
	_, _, err = OpenSQL(p)
	require.ErrorIs(t, err, ErrDuplicate)
}

func utf16le(s string) []byte {
	out := []byte{0xff, 0xfe}
	for _, u := range utf16.Encode([]rune(s)) {
		out = append(out, byte(u), byte(u>>8))
	}
	return out
}

// TestDumpEncodingsAreConverted: a UTF-16 dump with a BOM and a latin1 dump read as UTF-8
// text, with SET NAMES latin1 changed so the server reads them as what they now are.
func TestDumpEncodingsAreConverted(t *testing.T) {
	dir := t.TempDir()
	text := "-- MySQL dump\nCREATE TABLE `wp_options` (\n  `option_name` varchar(64),\n  `option_value` text\n);\nINSERT INTO `wp_options` VALUES ('siteurl','http://old.test'),('blogname','Caf\u00e9 \u20ac \U0001F600');\n"
	u16 := filepath.Join(dir, "utf16.sql")
	require.NoError(t, os.WriteFile(u16, utf16le(text), 0o600))
	k, err := Sniff(u16)
	require.NoError(t, err)
	require.Equal(t, SQL, k)
	rc, _, err := OpenSQL(u16)
	require.NoError(t, err)
	got, err := io.ReadAll(rc)
	require.NoError(t, err)
	rc.Close()
	require.Equal(t, text, string(got))
	rep, err := ScanSQLFile(context.Background(), u16, nil)
	require.NoError(t, err)
	require.True(t, rep.OK(), "%v", rep.Err())
	require.Equal(t, "http://old.test", rep.SiteURL)

	l1 := filepath.Join(dir, "latin1.sql")
	raw := "-- MySQL dump 10.13  Distrib 5.1.73, for debian-linux-gnu (x86_64)\n/*!40101 SET NAMES latin1 */;\nCREATE TABLE `wp_options` (\n  `option_name` varchar(64),\n  `option_value` text\n) ENGINE=MyISAM DEFAULT CHARSET=latin1;\nINSERT INTO `wp_options` VALUES ('siteurl','http://old.test'),('blogname','Caf\xe9 \x80');\n-- Dump completed on 2012-01-01\n"
	require.NoError(t, os.WriteFile(l1, []byte(raw), 0o600))
	k, err = Sniff(l1)
	require.NoError(t, err)
	require.Equal(t, SQL, k)
	rc, _, err = OpenSQL(l1)
	require.NoError(t, err)
	got, err = io.ReadAll(rc)
	require.NoError(t, err)
	rc.Close()
	want := strings.Replace(raw, "SET NAMES latin1", "SET NAMES utf8mb4", 1)
	want = strings.Replace(want, "Caf\xe9 \x80", "Caf\u00e9 \u20ac", 1)
	require.Equal(t, want, string(got))
	rep, err = ScanSQLFile(context.Background(), l1, nil)
	require.NoError(t, err)
	require.True(t, rep.OK(), "%v", rep.Err())
	require.Equal(t, "http://old.test", rep.SiteURL)
}

// TestMessagesSayWhatIsWrong: a split zip is a split zip, not binary data; a full-length
// dump with a NUL block is damaged at a line, not cut short.
func TestMessagesSayWhatIsWrong(t *testing.T) {
	dir := t.TempDir()
	part := filepath.Join(dir, "site.z01")
	require.NoError(t, os.WriteFile(part, append([]byte("PK\x07\x08PK\x03\x04"), bytes.Repeat([]byte{0x8f, 0x01}, 400)...), 0o600))
	_, err := Sniff(part)
	require.ErrorIs(t, err, ErrUnrecognized)
	require.Contains(t, err.Error(), "site.z01' is one part of a split zip archive")
	require.NotContains(t, err.Error(), "binary data")

	// the closing part of a split set: its end record names disk 1
	b, err := os.ReadFile(siteZip(t, t.TempDir(), nil))
	require.NoError(t, err)
	eocd := bytes.LastIndex(b, []byte("PK\x05\x06"))
	binary.LittleEndian.PutUint16(b[eocd+4:], 1)
	binary.LittleEndian.PutUint16(b[eocd+6:], 1)
	last := filepath.Join(dir, "site.zip")
	require.NoError(t, os.WriteFile(last, b, 0o600))
	_, err = Sniff(last)
	require.ErrorContains(t, err, "is one part of a split zip archive")
	msg := verifyMessages(t, last)
	require.Contains(t, msg, "site.zip' is one part of a split zip archive")
	require.Equal(t, 1, strings.Count(msg, "split zip"))

	dump := "-- MySQL dump 10.13\nCREATE TABLE `wp_options` (\n  `option_name` varchar(64),\n  `option_value` text\n);\n" +
		"INSERT INTO `wp_options` VALUES ('siteurl','http://old.test');\n"
	damaged := []byte(dump + strings.Repeat("INSERT INTO `wp_options` VALUES ('a','b');\n", 50) + "-- Dump completed on 2024-01-01\n")
	at := len(dump) + 3*44 + 5
	copy(damaged[at:], bytes.Repeat([]byte{0}, 512))
	p := filepath.Join(dir, "database.sql")
	require.NoError(t, os.WriteFile(p, damaged, 0o600))
	rep, err := ScanSQLFile(context.Background(), p, nil)
	require.NoError(t, err)
	require.False(t, rep.OK())
	require.Len(t, rep.Problems, 1)
	require.Equal(t, "Database dump file is missing, empty, or corrupt: database.sql: line 10 holds a block of NUL bytes (at byte "+
		strconv.Itoa(at)+"), data wiped by a failed copy or a disk error; copy or export the dump again and re-attach it.", rep.Problems[0].Message)
	require.NotContains(t, rep.Problems[0].Message, "cut short")
}
