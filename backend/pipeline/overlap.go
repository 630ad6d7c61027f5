package pipeline

import (
	"fmt"
	"log/slog"
	"sync"

	"ferry/backend/events"
)

// A far server costs a round trip per question, and the first two steps ask many: the
// destination's files and database at Check destination, the source's tree and database
// at Analyse source. Each step asks its independent halves at once, so their waits
// overlap instead of adding up.

// heldLog keeps the log lines of a step's half that runs alongside another, to write them
// once that other half is done: the log reads in the same order as when the halves ran
// one after the other, whichever finished first.
type heldLog struct {
	mu    sync.Mutex
	lines []heldLine
}

type heldLine struct {
	level slog.Level
	msg   string
}

func (h *heldLog) Logf(level slog.Level, format string, args ...any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.lines = append(h.lines, heldLine{level, fmt.Sprintf(format, args...)})
}

// Progress is dropped: the halves that run alongside report no progress of their own.
func (h *heldLog) Progress(events.Progress) {}

// writeTo writes the lines kept so far to log, in order, and forgets them.
func (h *heldLog) writeTo(log stepLog) {
	h.mu.Lock()
	lines := h.lines
	h.lines = nil
	h.mu.Unlock()
	for _, l := range lines {
		log.Logf(l.level, "%s", l.msg)
	}
}
