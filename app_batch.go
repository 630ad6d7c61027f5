package main

import (
	"github.com/wailsapp/wails/v2/pkg/runtime"

	"ferry/backend/service"
)

// ListBatches returns every batch with its counts, for the "Batch:" filter.
func (a *App) ListBatches() ([]service.BatchSummary, error) { return a.svc.ListBatches(a.ctx) }

// BatchSummary returns where a batch stands, for the summary bar.
func (a *App) BatchSummary(ref string) (service.BatchSummary, error) {
	return a.svc.BatchSummary(a.ctx, ref)
}

// PreviewBatch reads and checks a sites file against the shared settings; nothing starts.
func (a *App) PreviewBatch(shared service.CreateInput, sitesPath string) (service.BatchPreview, error) {
	return a.svc.PreviewBatch(a.ctx, shared, sitesPath)
}

// StartBatch creates a batch from the New batch dialog; its migrations queue at once.
func (a *App) StartBatch(in service.BatchStart) (service.BatchDTO, error) {
	return a.svc.StartBatch(a.ctx, in)
}

// RetryFailedInBatch retries every failed migration of a batch.
func (a *App) RetryFailedInBatch(ref string) (service.BulkResult, error) {
	return a.svc.RetryFailedInBatch(a.ctx, ref)
}

// StopBatch stops every migration of a batch still in progress.
func (a *App) StopBatch(ref string) (service.BulkResult, error) { return a.svc.StopBatch(a.ctx, ref) }

// BatchReport writes a batch's report (csv, json or pdf) to path.
func (a *App) BatchReport(ref, format, path string) (service.ExportResult, error) {
	return a.svc.BatchReport(a.ctx, ref, format, path)
}

// ChooseSitesFile opens the native dialog for a batch's sites file ("" when cancelled).
func (a *App) ChooseSitesFile() (string, error) {
	if path, ok := e2eChoice("sites"); ok {
		return path, nil
	}
	return runtime.OpenFileDialog(a.ctx, runtime.OpenDialogOptions{
		Title:   "Choose the sites file of the batch",
		Filters: []runtime.FileFilter{{DisplayName: "Sites list (*.csv)", Pattern: "*.csv"}, {DisplayName: "All files", Pattern: "*"}},
	})
}
