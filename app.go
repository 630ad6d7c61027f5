package main

import (
	"context"
	"sync"

	"github.com/wailsapp/wails/v2/pkg/runtime"

	"ferry/backend/events"
	"ferry/backend/service"
)

// App is the one object bound to the UI. Each method forwards to the service; validation,
// error codes and masking of secrets live there, not here.
type App struct {
	ctx context.Context
	svc *service.Service
}

func (a *App) startup(ctx context.Context) {
	a.ctx = ctx
	// Files dropped on the window arrive as absolute paths; the Process Details tab of
	// the open manual migration attaches them.
	runtime.OnFileDrop(ctx, func(_, _ int, paths []string) {
		runtime.EventsEmit(ctx, "files:dropped", paths)
	})
}

// ListMigrations returns one page of one tab plus every tab's count.
func (a *App) ListMigrations(q service.ListQuery) (service.ListResult, error) {
	return a.svc.ListMigrations(a.ctx, q)
}

// TabCounts returns the live count of each tab.
func (a *App) TabCounts() (service.TabCounts, error) { return a.svc.TabCounts(a.ctx) }

// GetMigration returns everything the details modal shows, secrets masked.
func (a *App) GetMigration(id int64) (service.MigrationDetail, error) {
	return a.svc.GetMigration(a.ctx, id)
}

// GetLogs returns up to limit log lines of a migration after sequence number afterSeq.
func (a *App) GetLogs(id, afterSeq int64, limit int) ([]service.LogDTO, error) {
	return a.svc.GetLogs(a.ctx, id, afterSeq, limit)
}

// RevealSecret returns one stored secret in clear, for the reveal button of the details modal.
func (a *App) RevealSecret(id int64, field string) (string, error) {
	return a.svc.RevealSecret(a.ctx, id, field)
}

// CreateMigration validates the New migration form and creates the migration.
func (a *App) CreateMigration(in service.CreateInput) (service.MigrationDetail, error) {
	return a.svc.CreateMigration(a.ctx, in)
}

// DeleteMigrations removes migrations from the history (never anything on the servers).
func (a *App) DeleteMigrations(ids []int64) (service.BulkResult, error) {
	return a.svc.DeleteMigrations(a.ctx, ids)
}

// MarkSuccessful moves a failed migration the admin finished by hand to Successful.
func (a *App) MarkSuccessful(id int64) (service.MigrationRow, error) {
	return a.svc.MarkSuccessful(a.ctx, id)
}

// MarkFailed moves a stuck or waiting migration to Failed.
func (a *App) MarkFailed(id int64) (service.MigrationRow, error) { return a.svc.MarkFailed(a.ctx, id) }

// ListUsers returns the owners matching search, for the New migration form.
func (a *App) ListUsers(search string) ([]service.UserDTO, error) {
	return a.svc.ListUsers(a.ctx, search)
}

// ListServices returns the service labels matching search, for autocomplete.
func (a *App) ListServices(search string) ([]string, error) {
	return a.svc.ListServices(a.ctx, search)
}

// uiEmitter adapts events.Emitter to the Wails runtime. Events emitted before start-up has
// handed over the runtime context are dropped: the UI fetches the full state when it loads.
type uiEmitter struct {
	mu  sync.RWMutex
	ctx context.Context
}

var _ events.Emitter = (*uiEmitter)(nil)

func (e *uiEmitter) setContext(ctx context.Context) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.ctx = ctx
}

// Emit sends the event to the window once the runtime is up.
func (e *uiEmitter) Emit(name string, payload any) {
	e.mu.RLock()
	ctx := e.ctx
	e.mu.RUnlock()
	if ctx != nil {
		runtime.EventsEmit(ctx, name, payload)
	}
}
