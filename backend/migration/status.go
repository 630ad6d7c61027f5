package migration

import (
	"errors"
	"fmt"
)

// Status is where a migration stands. Each constant says who moves a migration out of it.
type Status string

const (
	// StatusQueued: created or retried, waiting for a free worker. The runner moves it to
	// running; the admin may stop it (→ failed), mark it failed or delete it.
	StatusQueued Status = "queued"
	// StatusRunning: a worker is executing its steps. The runner moves it to waiting,
	// failed or successful; Stop and Mark as Failed move it to failed.
	StatusRunning Status = "running"
	// StatusWaiting: action required from the admin (a manual migration waiting for its
	// files). Continue Import moves it to queued; Stop / Mark as Failed to failed.
	StatusWaiting Status = "waiting"
	// StatusFailed: a step failed, the admin stopped it, or Ferry was closed mid-run.
	// Retry moves it to queued; Mark as Successful to successful.
	StatusFailed Status = "failed"
	// StatusSuccessful: every step completed, or the admin marked it done by hand.
	// Terminal: only Delete removes it.
	StatusSuccessful Status = "successful"
)

// Statuses lists every status.
var Statuses = []Status{StatusQueued, StatusRunning, StatusWaiting, StatusFailed, StatusSuccessful}

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	for _, x := range Statuses {
		if s == x {
			return true
		}
	}
	return false
}

// Tab is one of the three tabs of the table.
type Tab string

const (
	TabInProgress Tab = "in_progress"
	TabFailed     Tab = "failed"
	TabSuccessful Tab = "successful"
)

// Tabs lists the tabs in display order.
var Tabs = []Tab{TabInProgress, TabFailed, TabSuccessful}

// Valid reports whether t is a known tab.
func (t Tab) Valid() bool { return t == TabInProgress || t == TabFailed || t == TabSuccessful }

// Tab is the tab a migration with status s is listed in.
func (s Status) Tab() Tab {
	switch s {
	case StatusFailed:
		return TabFailed
	case StatusSuccessful:
		return TabSuccessful
	}
	return TabInProgress
}

// StatusesIn lists the statuses shown in tab t.
func StatusesIn(t Tab) []Status {
	var out []Status
	for _, s := range Statuses {
		if s.Tab() == t {
			out = append(out, s)
		}
	}
	return out
}

// transitions is every status change anyone may make, admin or runner.
var transitions = map[Status][]Status{
	StatusQueued:     {StatusRunning, StatusFailed},
	StatusRunning:    {StatusWaiting, StatusFailed, StatusSuccessful, StatusQueued},
	StatusWaiting:    {StatusQueued, StatusRunning, StatusFailed},
	StatusFailed:     {StatusQueued, StatusSuccessful, StatusWaiting}, // waiting: switched to manual
	StatusSuccessful: {},
}

// CanTransition reports whether a migration may move from one status to another.
func CanTransition(from, to Status) bool {
	for _, x := range transitions[from] {
		if x == to {
			return true
		}
	}
	return false
}

// ErrTransition is returned (wrapped) when a status change is not in the table.
var ErrTransition = errors.New("status change not allowed")

// CheckTransition returns nil when from → to is allowed, else an error wrapping ErrTransition.
func CheckTransition(from, to Status) error {
	if CanTransition(from, to) {
		return nil
	}
	return fmt.Errorf("%w: %s → %s", ErrTransition, from, to)
}
