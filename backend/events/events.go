// Package events names what the backend tells the UI and carries it through the Emitter
// interface, so nothing under backend/ imports Wails: app.go adapts Emitter to the
// Wails runtime, tests use Recorder.
package events

import "sync"

// Event names, shared with frontend/src/api.
const (
	// MigrationChanged carries Changed: a migration was created, changed status or step, or was deleted.
	MigrationChanged = "migration:changed"
	// MigrationProgress carries Progress: throttled to at most 10 a second per migration.
	MigrationProgress = "migration:progress"
	// MigrationLog carries LogLine: one line of a migration's log as it is written.
	MigrationLog = "migration:log"
)

// Changed says which migration changed; the UI refetches it (or the list when Deleted).
type Changed struct {
	ID      int64  `json:"id"`
	Status  string `json:"status"`
	Step    string `json:"step"`
	Deleted bool   `json:"deleted"`
}

// Progress is the live progress of a migration's running step.
type Progress struct {
	ID         int64   `json:"id"`
	Step       string  `json:"step"`
	Percent    float64 `json:"percent"`
	BytesDone  int64   `json:"bytesDone"`
	BytesTotal int64   `json:"bytesTotal"`
	FilesDone  int64   `json:"filesDone"`
	FilesTotal int64   `json:"filesTotal"`
	RowsDone   int64   `json:"rowsDone"`
	RowsTotal  int64   `json:"rowsTotal"`
	// Speed is bytes (or rows when there are no bytes) per second; ETASeconds is -1 when unknown.
	Speed      float64 `json:"speed"`
	ETASeconds float64 `json:"etaSeconds"`
}

// LogLine is one line of a migration's log.
type LogLine struct {
	ID      int64  `json:"id"`
	Time    int64  `json:"time"` // Unix milliseconds UTC
	Level   string `json:"level"`
	Step    string `json:"step"`
	Message string `json:"message"`
}

// Emitter sends an event to the UI. Implementations must be safe for concurrent use.
type Emitter interface {
	Emit(name string, payload any)
}

// Nop drops every event (headless commands).
type Nop struct{}

// Emit does nothing.
func (Nop) Emit(string, any) {}

// Recorded is one event seen by a Recorder.
type Recorded struct {
	Name    string
	Payload any
}

// Recorder keeps every event, for tests.
type Recorder struct {
	mu  sync.Mutex
	all []Recorded
}

// Emit records the event.
func (r *Recorder) Emit(name string, payload any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.all = append(r.all, Recorded{name, payload})
}

// Events returns a copy of what was recorded, optionally only those named name.
func (r *Recorder) Events(name string) []Recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Recorded
	for _, e := range r.all {
		if name == "" || e.Name == name {
			out = append(out, e)
		}
	}
	return out
}
