package migration

import (
	"errors"
	"fmt"
	"strings"
)

// Failure is an error that carries the plain, specific reason shown in the Failed tab
// ("Cannot connect to FTP server", "WordPress not found at specified path") next to the
// detailed cause, which goes to the log. Steps return it; the runner reads it back.
type Failure struct {
	Reason string
	Err    error
}

// Error joins the reason and the cause, saying each once: when the cause repeats the
// reason it stands alone, and when the reason already quotes the cause it does.
func (f *Failure) Error() string {
	if f.Err == nil {
		return f.Reason
	}
	cause := f.Err.Error()
	if strings.HasPrefix(cause, f.Reason) {
		return cause
	}
	if cause == "" || strings.Contains(f.Reason, cause) {
		return f.Reason
	}
	return fmt.Sprintf("%s: %s", f.Reason, cause)
}

// Unwrap exposes the cause.
func (f *Failure) Unwrap() error { return f.Err }

// Fail wraps err with the reason an admin reads in the Failed tab.
func Fail(reason string, err error) error { return &Failure{Reason: reason, Err: err} }

// ReasonOf returns the admin-facing reason of err: the outermost Failure's reason (with the
// cause appended when it adds information), else err's own text.
func ReasonOf(err error) string {
	var f *Failure
	if errors.As(err, &f) {
		return f.Error()
	}
	if err == nil {
		return ""
	}
	return err.Error()
}

// ShortReasonOf returns the reason alone, without the cause, for the Status column; the
// whole text (ReasonOf) goes to the step and the log.
func ShortReasonOf(err error) string {
	var f *Failure
	if errors.As(err, &f) {
		return f.Reason
	}
	if err == nil {
		return ""
	}
	return err.Error()
}

// ErrActionRequired is returned by a step that cannot go on until the admin acts (a manual
// migration waiting for its files); the runner parks the migration in StatusWaiting.
var ErrActionRequired = errors.New("action required")
