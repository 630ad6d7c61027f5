package service

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"ferry/backend/migration"
)

// failedSFTP creates the SFTP migration of sftpInput, marks Check destination and Analyse
// source completed and fails it, as a run that stopped at Download files would.
func failedSFTP(t *testing.T, s *Service) int64 {
	t.Helper()
	ctx := context.Background()
	d, err := s.CreateMigration(ctx, sftpInput())
	require.NoError(t, err)
	for _, st := range []migration.StepID{migration.StepCheckDestination, migration.StepAnalyseSource} {
		require.NoError(t, s.st.SetStep(ctx, d.ID, migration.StepRecord{Step: st, State: migration.StepCompleted}))
	}
	require.NoError(t, s.st.SetCurrentStep(ctx, d.ID, migration.StepDownloadFiles))
	_, err = s.MarkFailed(ctx, d.ID)
	require.NoError(t, err)
	return d.ID
}

func logText(t *testing.T, s *Service, id int64) string {
	t.Helper()
	lines, err := s.GetLogs(context.Background(), id, 0, 1000)
	require.NoError(t, err)
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l.Message + "\n")
	}
	return b.String()
}

func stepStates(t *testing.T, s *Service, id int64) map[string]string {
	t.Helper()
	d, err := s.GetMigration(context.Background(), id)
	require.NoError(t, err)
	out := map[string]string{}
	for _, st := range d.Steps {
		out[st.ID] = st.State
	}
	return out
}

func TestEditNewPasswordKeepsTheOtherSecretsAndResumes(t *testing.T) {
	s, _, _ := newTestService(t)
	ctx := context.Background()
	id := failedSFTP(t, s)

	in := sftpInput()
	in.Source.Password = "new-src-" + testPassword
	in.Destination.Password, in.Destination.DB.Password, in.Source.DB.Password = "", "", "" // kept as stored
	res, err := s.EditMigration(ctx, id, in)
	require.NoError(t, err)
	require.Equal(t, []string{"source.password"}, res.Changed)
	require.False(t, res.Restart)

	got, err := s.RevealSecret(ctx, id, "source.password")
	require.NoError(t, err)
	require.Equal(t, "new-src-"+testPassword, got)
	got, err = s.RevealSecret(ctx, id, "destination.db.password")
	require.NoError(t, err)
	require.Equal(t, "dst-db-"+testPassword, got, "a secret left empty is kept")

	require.Equal(t, "completed", stepStates(t, s, id)["analyse_source"], "a new password resumes: done steps stay done")
	log := logText(t, s, id)
	require.Contains(t, log, "Settings changed by admin: source password; Retry resumes at Download files")
	require.NotContains(t, log, testPassword)
	require.Contains(t, res.Detail.Actions, string(migration.ActionRetry))
}

func TestEditDestinationPathRestartsFromCheckDestination(t *testing.T) {
	s, _, _ := newTestService(t)
	ctx := context.Background()
	id := failedSFTP(t, s)
	in := sftpInput()
	in.Destination.Path = "/home/bob/public_html"
	in.Destination.DB.Name = "bob_wp2"
	res, err := s.EditMigration(ctx, id, in)
	require.NoError(t, err)
	require.Equal(t, []string{"destination.path", "destination.db.name"}, res.Changed)
	require.True(t, res.Restart)
	for step, state := range stepStates(t, s, id) {
		require.Equal(t, "not_started", state, step)
	}
	require.Contains(t, logText(t, s, id), "Settings changed by admin: destination path, destination database name; the next Retry starts from Check destination")
	d, err := s.GetMigration(ctx, id)
	require.NoError(t, err)
	require.Equal(t, "/home/bob/public_html", d.Destination.Path)
	require.Equal(t, "bob_wp2", d.Destination.DB.Name)
}

func TestEditRefusals(t *testing.T) {
	s, _, _ := newTestService(t)
	ctx := context.Background()
	queued, err := s.CreateMigration(ctx, sftpInput())
	require.NoError(t, err)
	_, err = s.EditMigration(ctx, queued.ID, sftpInput())
	require.ErrorIs(t, err, migration.ErrNotAllowed, "a migration in progress is not edited under the runner")

	id := failedSFTP(t, s)
	in := sftpInput()
	in.Method = "manual"
	_, err = s.EditMigration(ctx, id, in)
	require.Contains(t, fieldsOf(t, err), "method")

	in = sftpInput()
	in.NewURL = "not a url"
	_, err = s.EditMigration(ctx, id, in)
	require.Contains(t, fieldsOf(t, err), "newUrl")
	require.NotContains(t, logText(t, s, id), "Settings changed", "a refused edit changes nothing")

	res, err := s.EditMigration(ctx, id, sftpInput())
	require.NoError(t, err)
	require.Empty(t, res.Changed, "the same settings again change nothing")
}

func TestSwitchToManualKeepsDestinationAndWaitsForFiles(t *testing.T) {
	s, _, _ := newTestService(t)
	ctx := context.Background()
	id := failedSFTP(t, s)
	d, err := s.SwitchToManual(ctx, id)
	require.NoError(t, err)
	require.Equal(t, "manual", d.Method)
	require.Equal(t, "waiting", d.Status)
	require.Equal(t, "wait_for_upload", d.CurrentStep)
	require.Equal(t, "/public_html", d.Destination.Path)
	require.Equal(t, "new.example.net", d.Destination.Host)
	require.Contains(t, d.Actions, string(migration.ActionAttach))
	states := stepStates(t, s, id)
	require.Equal(t, "action_required", states["wait_for_upload"])
	require.Equal(t, "not_started", states["check_destination"])
	require.NotContains(t, states, "download_files", "the manual method has no download step")
	got, err := s.RevealSecret(ctx, id, "destination.db.password")
	require.NoError(t, err)
	require.Equal(t, "dst-db-"+testPassword, got)
	require.Contains(t, logText(t, s, id), "Switched to the manual method by admin after Download files: Marked as failed by admin")

	_, err = s.SwitchToManual(ctx, id)
	require.ErrorIs(t, err, migration.ErrNotAllowed, "a manual migration cannot switch again")
}

func TestFailedRowNamesItsStep(t *testing.T) {
	s, _, _ := newTestService(t)
	id := failedSFTP(t, s)
	d, err := s.GetMigration(context.Background(), id)
	require.NoError(t, err)
	require.Equal(t, "Download files", d.FailedStep)
	require.Equal(t, "Marked as failed by admin", d.FailureReason)
	queued, err := s.CreateMigration(context.Background(), sftpInput())
	require.NoError(t, err)
	require.Empty(t, queued.FailedStep)
}

func TestExtraReplacementsAreKeptAndChecked(t *testing.T) {
	s, _, _ := newTestService(t)
	ctx := context.Background()
	in := sftpInput()
	in.Options.Replacements = []ReplacementDTO{{Find: "cdn.old-host.net", Replace: "static.example.com"}}
	d, err := s.CreateMigration(ctx, in)
	require.NoError(t, err)
	require.Equal(t, in.Options.Replacements, d.Options.Replacements)

	in.Options.Replacements = []ReplacementDTO{{Find: "", Replace: "x"}, {Find: "same", Replace: "same"}}
	_, err = s.CreateMigration(ctx, in)
	fields := fieldsOf(t, err)
	require.Contains(t, fields, "options.replacements.0")
	require.Contains(t, fields, "options.replacements.1")

	// Adding a pair to a failed migration is a change that restarts it (values imported
	// before were not rewritten with it).
	id := failedSFTP(t, s)
	in = sftpInput()
	in.Options.Replacements = []ReplacementDTO{{Find: "@old.test", Replace: "@example.net"}}
	res, err := s.EditMigration(ctx, id, in)
	require.NoError(t, err)
	require.Equal(t, []string{"options"}, res.Changed)
	require.True(t, res.Restart)
}

// The database route and site IP are settings like any other: an edit that changes only a
// password (as a `ferry edit` patch does, on top of EditInput) keeps them.
func TestEditKeepsTheDatabaseRoute(t *testing.T) {
	s, _, _ := newTestService(t)
	ctx := context.Background()
	in := sftpInput()
	in.Source.DB.SSHTunnel, in.Source.DB.Access = false, "ssh-command"
	in.Destination.DB.Access, in.Destination.DB.SiteIP = "php", "192.0.2.7"
	d, err := s.CreateMigration(ctx, in)
	require.NoError(t, err)
	_, err = s.MarkFailed(ctx, d.ID)
	require.NoError(t, err)

	form, err := s.EditInput(ctx, d.ID)
	require.NoError(t, err)
	require.Equal(t, "ssh-command", form.Source.DB.Access)
	require.Equal(t, "php", form.Destination.DB.Access)
	require.Equal(t, "192.0.2.7", form.Destination.DB.SiteIP)
	form.Source.Password = "new-src-" + testPassword
	res, err := s.EditMigration(ctx, d.ID, form)
	require.NoError(t, err)
	require.Equal(t, []string{"source.password"}, res.Changed)
	rec, err := s.st.Get(ctx, d.ID)
	require.NoError(t, err)
	require.Equal(t, "ssh-command", rec.Source.DB.Access)
	require.Equal(t, "php", rec.Destination.DB.Access)
	require.Equal(t, "192.0.2.7", rec.Destination.DB.SiteIP)
}
