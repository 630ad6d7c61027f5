package migration

import (
	"errors"
	"fmt"
)

// Action is something the admin can do to a migration (SPEC §3 and §4).
type Action string

const (
	ActionShow           Action = "show"
	ActionStop           Action = "stop"
	ActionRetry          Action = "retry"
	ActionRetryFromStart Action = "retry_from_start"
	ActionMarkSuccessful Action = "mark_successful"
	ActionMarkFailed     Action = "mark_failed"
	ActionDelete         Action = "delete"
	ActionVerify         Action = "verify"
	ActionContinueImport Action = "continue_import"
	ActionAttach         Action = "attach"
	// ActionEdit changes a failed (or still waiting manual) migration's settings; the next
	// Retry resumes where the change allows it.
	ActionEdit Action = "edit"
	// ActionSwitchToManual turns a failed automatic migration into a manual one that keeps
	// its destination and options and waits for the admin's files.
	ActionSwitchToManual Action = "switch_to_manual"
)

// Actions lists every action.
var Actions = []Action{
	ActionShow, ActionStop, ActionRetry, ActionRetryFromStart, ActionMarkSuccessful,
	ActionMarkFailed, ActionDelete, ActionVerify, ActionContinueImport, ActionAttach,
	ActionEdit, ActionSwitchToManual,
}

// Facts is what the transition table needs to know about a migration.
type Facts struct {
	Status      Status
	Method      Method
	CurrentStep StepID
	Attached    bool // manual: both files attached
	Verified    bool // manual: the last Verify found no blocking problem
}

// ErrNotAllowed is wrapped by every refusal of Allowed.
var ErrNotAllowed = errors.New("action not allowed")

// importStarted reports whether a manual migration's import has started (Continue Import
// was pressed), after which it can no longer be stopped (SPEC §3) and a failure can be
// retried. Continue Import needs a verified migration and leaves Wait for upload, so a
// verified migration that no longer waits has started, even while Check destination
// (which runs first) is its current step.
func (f Facts) importStarted() bool {
	if f.CurrentStep.Valid() && f.CurrentStep.After(StepWaitForUpload) {
		return true
	}
	return f.Method == MethodManual && f.Verified && f.Status != StatusWaiting
}

// Allowed returns nil when action a is allowed for a migration with facts f, else an
// error wrapping ErrNotAllowed whose text says why in words an admin understands.
func Allowed(f Facts, a Action) error {
	no := func(why string) error { return fmt.Errorf("%w: %s", ErrNotAllowed, why) }
	switch a {
	case ActionShow, ActionDelete:
		return nil
	case ActionStop:
		if f.Status.Tab() != TabInProgress {
			return no("only a migration in progress can be stopped")
		}
		if f.Method == MethodManual && f.importStarted() {
			return no("a manual migration cannot be stopped once its import has started")
		}
		return nil
	case ActionRetry:
		if f.Status != StatusFailed {
			return no("only a failed migration can be retried")
		}
		if f.Method == MethodManual && !f.importStarted() {
			return no("this manual migration failed before its files were uploaded; use Retry from start")
		}
		return nil
	case ActionRetryFromStart:
		if f.Status != StatusFailed {
			return no("only a failed migration can be retried")
		}
		return nil
	case ActionMarkSuccessful:
		if f.Status != StatusFailed {
			return no("only a failed migration can be marked as successful")
		}
		return nil
	case ActionMarkFailed:
		if f.Status.Tab() != TabInProgress {
			return no("only a migration in progress can be marked as failed")
		}
		return nil
	case ActionAttach, ActionVerify:
		if f.Method != MethodManual {
			return no("only a manual migration takes attached files")
		}
		if f.Status != StatusWaiting || f.CurrentStep != StepWaitForUpload {
			return no("files can only be attached and verified while the migration waits for them")
		}
		if a == ActionVerify && !f.Attached {
			return no("attach both wordpress-files.zip and database.sql first")
		}
		return nil
	case ActionEdit:
		if f.Status == StatusFailed {
			return nil
		}
		if f.Method == MethodManual && f.Status == StatusWaiting && f.CurrentStep == StepWaitForUpload {
			return nil
		}
		return no("only a failed migration, or a manual one waiting for its files, can be edited")
	case ActionSwitchToManual:
		if f.Status != StatusFailed {
			return no("only a failed migration can switch to the manual method")
		}
		if f.Method == MethodManual {
			return no("this migration is already manual")
		}
		return nil
	case ActionContinueImport:
		if f.Method != MethodManual || f.Status != StatusWaiting || f.CurrentStep != StepWaitForUpload {
			return no("only a manual migration waiting for its files can continue")
		}
		if !f.Verified {
			return no("run Verify successfully before continuing the import")
		}
		return nil
	}
	return no(fmt.Sprintf("unknown action %q", a))
}

// AllowedActions lists the actions allowed for f, in the order of Actions.
func AllowedActions(f Facts) []Action {
	var out []Action
	for _, a := range Actions {
		if Allowed(f, a) == nil {
			out = append(out, a)
		}
	}
	return out
}

// Result is the status an action leaves the migration in; ok is false for actions that
// do not change the status by themselves (show, delete, attach, verify).
func Result(a Action) (s Status, ok bool) {
	switch a {
	case ActionStop, ActionMarkFailed:
		return StatusFailed, true
	case ActionRetry, ActionRetryFromStart, ActionContinueImport:
		return StatusQueued, true
	case ActionMarkSuccessful:
		return StatusSuccessful, true
	case ActionSwitchToManual:
		return StatusWaiting, true
	}
	return "", false
}

// Reasons an admin sees in the Failed tab for failures the admin caused.
const (
	ReasonStopped      = "Stopped by admin"
	ReasonMarkedFailed = "Marked as failed by admin"
)

// InterruptedReason is the failure reason of a run found running at start-up.
func InterruptedReason(step StepID) string {
	if step.Valid() {
		return "Interrupted: Ferry was closed during " + step.Title()
	}
	return "Interrupted: Ferry was closed"
}
