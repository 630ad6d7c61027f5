package service

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCreateInvalidFields breaks one field at a time and expects exactly that field's
// message, nothing stored and no event sent.
func TestCreateInvalidFields(t *testing.T) {
	protected := testKey(t, "right-passphrase")
	cases := []struct {
		name  string
		base  func() CreateInput
		edit  func(*CreateInput)
		field string
	}{
		{"method unknown", sftpInput, func(in *CreateInput) { in.Method = "rsync" }, "method"},
		{"user name missing", sftpInput, func(in *CreateInput) { in.UserName = " " }, "userName"},
		{"user email missing", sftpInput, func(in *CreateInput) { in.UserEmail = "" }, "userEmail"},
		{"user email bad", sftpInput, func(in *CreateInput) { in.UserEmail = "bob@" }, "userEmail"},
		{"user email with name", sftpInput, func(in *CreateInput) { in.UserEmail = "Bob <bob@example.org>" }, "userEmail"},
		{"user id unknown", sftpInput, func(in *CreateInput) { in.UserID = 999 }, "userId"},
		{"user id negative", sftpInput, func(in *CreateInput) { in.UserID = -1 }, "userId"},
		{"service missing", sftpInput, func(in *CreateInput) { in.Service = "" }, "service"},
		{"domain missing", sftpInput, func(in *CreateInput) { in.Domain = "" }, "domain"},
		{"domain with scheme", sftpInput, func(in *CreateInput) { in.Domain = "https://bob.example.org" }, "domain"},
		{"domain one label", sftpInput, func(in *CreateInput) { in.Domain = "localhost" }, "domain"},
		{"domain bad hyphen", sftpInput, func(in *CreateInput) { in.Domain = "-bob.example.org" }, "domain"},
		{"domain with space", sftpInput, func(in *CreateInput) { in.Domain = "bob example.org" }, "domain"},
		{"old url not http", sftpInput, func(in *CreateInput) { in.OldURL = "ftp://bob.example.org" }, "oldUrl"},
		{"old url not a URL for manual", manualInput, func(in *CreateInput) { in.OldURL = "old.example.com" }, "oldUrl"},
		{"new url missing", sftpInput, func(in *CreateInput) { in.NewURL = "" }, "newUrl"},
		{"new url relative", sftpInput, func(in *CreateInput) { in.NewURL = "/blog" }, "newUrl"},
		{"new url bad port", sftpInput, func(in *CreateInput) { in.NewURL = "https://bob.example.net:99999" }, "newUrl"},
		{"new url with query", sftpInput, func(in *CreateInput) { in.NewURL = "https://bob.example.net/?p=1" }, "newUrl"},
		{"source protocol missing", sftpInput, func(in *CreateInput) { in.Source.Protocol = "" }, "source.protocol"},
		{"source protocol local", sftpInput, func(in *CreateInput) { in.Source.Protocol = "local" }, "source.protocol"},
		{"source protocol mismatches method", sftpInput, func(in *CreateInput) { in.Source.Protocol = "ftp" }, "source.protocol"},
		{"source host missing", sftpInput, func(in *CreateInput) { in.Source.Host = "" }, "source.host"},
		{"source host bad", sftpInput, func(in *CreateInput) { in.Source.Host = "old example.com" }, "source.host"},
		{"source port too big", sftpInput, func(in *CreateInput) { in.Source.Port = 70000 }, "source.port"},
		{"source port negative", sftpInput, func(in *CreateInput) { in.Source.Port = -1 }, "source.port"},
		{"source user missing", sftpInput, func(in *CreateInput) { in.Source.User = "" }, "source.user"},
		{"source path missing", sftpInput, func(in *CreateInput) { in.Source.Path = "" }, "source.path"},
		{"sftp without credentials", sftpInput, func(in *CreateInput) { in.Source.Password = "" }, "source.password"},
		{"key not pem", sftpInput, func(in *CreateInput) { in.Source.Password = ""; in.Source.PrivateKey = "not a key" }, "source.privateKey"},
		{"key needs passphrase", sftpInput, func(in *CreateInput) { in.Source.PrivateKey = protected }, "source.passphrase"},
		{"key wrong passphrase", sftpInput, func(in *CreateInput) {
			in.Source.PrivateKey, in.Source.Passphrase = protected, "wrong-passphrase"
		}, "source.passphrase"},
		{"passphrase without key", sftpInput, func(in *CreateInput) { in.Source.Passphrase = "x" }, "source.passphrase"},
		{"source db host missing", sftpInput, func(in *CreateInput) { in.Source.DB.Host = "" }, "source.db.host"},
		{"source db port bad", sftpInput, func(in *CreateInput) { in.Source.DB.Port = 65536 }, "source.db.port"},
		{"source db user missing", sftpInput, func(in *CreateInput) { in.Source.DB.User = "" }, "source.db.user"},
		{"source db name missing", sftpInput, func(in *CreateInput) { in.Source.DB.Name = "" }, "source.db.name"},
		{"source db name charset", sftpInput, func(in *CreateInput) { in.Source.DB.Name = "wp; DROP" }, "source.db.name"},
		{"destination protocol bad", sftpInput, func(in *CreateInput) { in.Destination.Protocol = "smb" }, "destination.protocol"},
		{"destination host missing", sftpInput, func(in *CreateInput) { in.Destination.Host = "" }, "destination.host"},
		{"destination port bad", sftpInput, func(in *CreateInput) { in.Destination.Port = 0x10000 }, "destination.port"},
		{"destination user missing", sftpInput, func(in *CreateInput) { in.Destination.User = "" }, "destination.user"},
		{"destination ftp password missing", sftpInput, func(in *CreateInput) { in.Destination.Password = "" }, "destination.password"},
		{"destination ftp with key", sftpInput, func(in *CreateInput) { in.Destination.PrivateKey = "k" }, "destination.privateKey"},
		{"destination path missing", sftpInput, func(in *CreateInput) { in.Destination.Path = "" }, "destination.path"},
		{"destination cert fingerprint bad", sftpInput, func(in *CreateInput) { in.Destination.CertFingerprint = "zz" }, "destination.certFingerprint"},
		{"destination tunnel without sftp", sftpInput, func(in *CreateInput) { in.Destination.DB.SSHTunnel = true }, "destination.db.sshTunnel"},
		{"destination db from wp-config", sftpInput, func(in *CreateInput) { in.Destination.DB.FromWPConfig = true }, "destination.db.fromWpConfig"},
		{"destination db name missing", sftpInput, func(in *CreateInput) { in.Destination.DB.Name = "" }, "destination.db.name"},
		{"destination db name charset", manualInput, func(in *CreateInput) { in.Destination.DB.Name = "wp-new" }, "destination.db.name"},
		{"destination db host bad", manualInput, func(in *CreateInput) { in.Destination.DB.Host = "db host" }, "destination.db.host"},
		{"local path relative", manualInput, func(in *CreateInput) { in.Destination.Path = "srv/www" }, "destination.path"},
		{"local path missing", manualInput, func(in *CreateInput) { in.Destination.Path = "" }, "destination.path"},
		{"http ip bad", sftpInput, func(in *CreateInput) { in.Options.HTTPIP = "1.2.3" }, "options.httpIp"},
		{"exclude pattern bad", sftpInput, func(in *CreateInput) { in.Options.Excludes = []string{"wp-content/[cache"} }, "options.excludes.0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, rec, _ := newTestService(t)
			in := tc.base()
			tc.edit(&in)
			_, err := s.CreateMigration(context.Background(), in)
			fields := fieldsOf(t, err)
			require.Len(t, fields, 1, "exactly one field should be reported: %v", fields)
			require.NotEmpty(t, fields[tc.field], "want a message for %s, got %v", tc.field, fields)
			require.NotContains(t, err.Error(), testPassword)
			counts, err := s.TabCounts(context.Background())
			require.NoError(t, err)
			require.Equal(t, TabCounts{}, counts, "nothing may be stored")
			require.Empty(t, rec.Events(""), "no event for a refused create")
		})
	}
}

// TestCreateEveryFieldAtOnce checks that all bad fields are reported together, each with its
// own message, so the dialog can mark them all in one go.
func TestCreateEveryFieldAtOnce(t *testing.T) {
	s, _, _ := newTestService(t)
	in := CreateInput{Method: "ftp", Source: EndpointInput{Protocol: "ftp", Port: 99999}, Destination: EndpointInput{Protocol: "local", Path: "rel"}}
	fields := fieldsOf(t, func() error { _, err := s.CreateMigration(context.Background(), in); return err }())
	for _, k := range []string{"userName", "userEmail", "service", "domain", "newUrl", "source.host", "source.port",
		"source.user", "source.password", "source.path", "source.db.host", "source.db.user", "source.db.name",
		"destination.path", "destination.db.host", "destination.db.user", "destination.db.name"} {
		require.NotEmpty(t, fields[k], "missing message for %s in %v", k, fields)
	}
	seen := map[string]string{}
	for k, msg := range fields {
		require.True(t, strings.HasSuffix(msg, "."), "%s: message should be a sentence: %q", k, msg)
		seen[k] = msg
	}
	require.Len(t, seen, len(fields))
}

// TestCreateValidVariants are inputs that must pass: IDN domains, keys, defaults.
func TestCreateValidVariants(t *testing.T) {
	key := testKey(t, "")
	protected := testKey(t, "right-passphrase")
	cases := []struct {
		name string
		base func() CreateInput
		edit func(*CreateInput)
		then func(t *testing.T, d MigrationDetail)
	}{
		{"idn domain", manualInput, func(in *CreateInput) { in.Domain = "bücher.example" }, func(t *testing.T, d MigrationDetail) {
			require.Equal(t, "bücher.example", d.Domain)
		}},
		{"domain upper case and trailing dot", manualInput, func(in *CreateInput) { in.Domain = " Example.COM. " }, func(t *testing.T, d MigrationDetail) {
			require.Equal(t, "example.com", d.Domain)
		}},
		{"sftp with key", sftpInput, func(in *CreateInput) { in.Source.Password = ""; in.Source.PrivateKey = key }, func(t *testing.T, d MigrationDetail) {
			require.True(t, d.Source.HasPrivateKey)
			require.False(t, d.Source.HasPassword)
		}},
		{"sftp with protected key", sftpInput, func(in *CreateInput) {
			in.Source.Password, in.Source.PrivateKey, in.Source.Passphrase = "", protected, "right-passphrase"
		}, func(t *testing.T, d MigrationDetail) { require.True(t, d.Source.HasPrivateKey) }},
		{"default ports", sftpInput, func(in *CreateInput) { in.Source.Port = 0; in.Source.DB.Port = 0 }, func(t *testing.T, d MigrationDetail) {
			require.Equal(t, 22, d.Source.Port)
			require.Equal(t, 3306, d.Source.DB.Port)
			require.Equal(t, 21, d.Destination.Port)
		}},
		{"db from wp-config", sftpInput, func(in *CreateInput) { in.Source.DB = DatabaseInput{FromWPConfig: true} }, func(t *testing.T, d MigrationDetail) {
			require.True(t, d.Source.DB.FromWPConfig)
			require.Contains(t, d.SourceSummary, "wp-config.php")
		}},
		{"ftp method over ftps", func() CreateInput {
			in := sftpInput()
			in.Method, in.Source.Protocol, in.Source.DB.SSHTunnel = "ftp", "ftps", false
			return in
		}, func(*CreateInput) {}, func(t *testing.T, d MigrationDetail) { require.Equal(t, "ftps", d.Source.Protocol) }},
		{"ipv6 hosts and ip override", sftpInput, func(in *CreateInput) {
			in.Source.Host, in.Options.HTTPIP = "2001:db8::1", "203.0.113.7"
		}, func(t *testing.T, d MigrationDetail) { require.Equal(t, "203.0.113.7", d.Options.HTTPIP) }},
		{"manual ignores source", manualInput, func(in *CreateInput) { in.Source = EndpointInput{Protocol: "nonsense", Port: -5} }, func(t *testing.T, d MigrationDetail) {
			require.Empty(t, d.Source.Protocol)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, _, _ := newTestService(t)
			in := tc.base()
			tc.edit(&in)
			d, err := s.CreateMigration(context.Background(), in)
			require.NoError(t, err)
			tc.then(t, d)
		})
	}
}
