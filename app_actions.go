package main

import (
	"path/filepath"

	"github.com/wailsapp/wails/v2/pkg/runtime"

	"ferry/backend/pipeline"
	"ferry/backend/service"
)

// StopMigration stops a migration in progress; it becomes Failed "Stopped by admin".
func (a *App) StopMigration(id int64) (service.MigrationRow, error) {
	return a.svc.StopMigration(a.ctx, id)
}

// RetryMigration queues a failed migration again, resuming (or from the start).
func (a *App) RetryMigration(id int64, fromStart bool) (service.MigrationRow, error) {
	return a.svc.RetryMigration(a.ctx, id, fromStart)
}

// RetryMigrations retries several failed migrations (bulk Retry).
func (a *App) RetryMigrations(ids []int64) (service.BulkResult, error) {
	return a.svc.RetryMigrations(a.ctx, ids)
}

// AttachFiles attaches files (absolute paths from a drop or the file dialog) to a manual migration.
func (a *App) AttachFiles(id int64, paths []string) (service.MigrationDetail, error) {
	return a.svc.AttachFiles(a.ctx, id, paths)
}

// VerifyMigration checks the attached zip and SQL dump.
func (a *App) VerifyMigration(id int64) (service.VerifyReport, error) {
	return a.svc.VerifyMigration(a.ctx, id)
}

// LastVerify returns the report of the last Verify, or null.
func (a *App) LastVerify(id int64) (*service.VerifyReport, error) { return a.svc.LastVerify(a.ctx, id) }

// ContinueImport starts the import of a verified manual migration.
func (a *App) ContinueImport(id int64) (service.MigrationRow, error) {
	return a.svc.ContinueImport(a.ctx, id)
}

// TestConnection tries a source or destination from the New migration form.
func (a *App) TestConnection(side string, in service.EndpointInput) (pipeline.ConnectionReport, error) {
	return a.svc.TestConnection(a.ctx, side, in)
}

// ExportReport writes a report of successful migrations to a file.
func (a *App) ExportReport(in service.ExportInput) (service.ExportResult, error) {
	return a.svc.ExportReport(a.ctx, in)
}

// MigrationReport writes one migration's report to a file.
func (a *App) MigrationReport(id int64, format, path string) (service.ExportResult, error) {
	return a.svc.MigrationReport(a.ctx, id, format, path)
}

// SaveLog writes a migration's full log to a text file.
func (a *App) SaveLog(id int64, path string) (service.ExportResult, error) {
	return a.svc.SaveLog(a.ctx, id, path)
}

// GetSettings returns the admin's preferences.
func (a *App) GetSettings() (service.Settings, error) { return a.svc.GetSettings(a.ctx) }

// SaveSettings stores the admin's preferences.
func (a *App) SaveSettings(in service.Settings) (service.Settings, error) {
	return a.svc.SaveSettings(a.ctx, in)
}

// ChooseFiles opens the native dialog for wordpress-files.zip and database.sql; it
// returns absolute paths (none when cancelled).
func (a *App) ChooseFiles() ([]string, error) {
	if paths, ok := e2eChoice("files"); ok {
		return filepath.SplitList(paths), nil
	}
	return runtime.OpenMultipleFilesDialog(a.ctx, runtime.OpenDialogOptions{
		Title: "Choose wordpress-files.zip and database.sql",
		Filters: []runtime.FileFilter{
			{DisplayName: "Site archive and dump (*.zip, *.sql, *.gz)", Pattern: "*.zip;*.sql;*.gz"},
			{DisplayName: "All files", Pattern: "*"},
		},
	})
}

// ChooseKeyFile opens the native dialog for an SSH private key and returns its text.
func (a *App) ChooseKeyFile() (string, error) {
	path, err := runtime.OpenFileDialog(a.ctx, runtime.OpenDialogOptions{Title: "Choose an SSH private key", ShowHiddenFiles: true})
	if err != nil || path == "" {
		return "", err
	}
	return a.svc.ReadKeyFile(a.ctx, path)
}

// ChooseSavePath opens the native save dialog and returns the chosen path ("" when cancelled).
func (a *App) ChooseSavePath(title, defaultName string) (string, error) {
	if dir, ok := e2eChoice("save"); ok {
		return filepath.Join(dir, filepath.Base(defaultName)), nil
	}
	return runtime.SaveFileDialog(a.ctx, runtime.SaveDialogOptions{Title: title, DefaultFilename: defaultName})
}

// EditMigration changes a failed (or waiting manual) migration's settings; secrets left
// empty are kept.
func (a *App) EditMigration(id int64, in service.CreateInput) (service.EditResult, error) {
	return a.svc.EditMigration(a.ctx, id, in)
}

// SwitchToManual turns a failed automatic migration into a manual one.
func (a *App) SwitchToManual(id int64) (service.MigrationDetail, error) {
	return a.svc.SwitchToManual(a.ctx, id)
}

// TestEditedConnection tests one side of the Edit form, with kept secrets filled in.
func (a *App) TestEditedConnection(id int64, side string, in service.EndpointInput) (pipeline.ConnectionReport, error) {
	return a.svc.TestEditedConnection(a.ctx, id, side, in)
}
