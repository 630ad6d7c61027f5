package migration

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// The expectation below is written from SPEC §3 as literal tables, not derived from
// Allowed: for each status, the actions allowed to an automatic migration and to a manual
// one before, at and after its Wait for upload step. Attach, Verify and Continue import
// are added by the second table.
var base = struct{ show, stop, retry, fromStart, markOK, markFailed, del Action }{
	ActionShow, ActionStop, ActionRetry, ActionRetryFromStart, ActionMarkSuccessful, ActionMarkFailed, ActionDelete,
}

var expectedBase = map[Status]map[string][]Action{
	StatusQueued: {
		"auto":          {base.show, base.stop, base.markFailed, base.del},
		"manual-before": {base.show, base.stop, base.markFailed, base.del},
		"manual-at":     {base.show, base.stop, base.markFailed, base.del},
		"manual-after":  {base.show, base.markFailed, base.del},
	},
	StatusRunning: {
		"auto":          {base.show, base.stop, base.markFailed, base.del},
		"manual-before": {base.show, base.stop, base.markFailed, base.del},
		"manual-at":     {base.show, base.stop, base.markFailed, base.del},
		"manual-after":  {base.show, base.markFailed, base.del},
	},
	StatusWaiting: {
		"auto":          {base.show, base.stop, base.markFailed, base.del},
		"manual-before": {base.show, base.stop, base.markFailed, base.del},
		"manual-at":     {base.show, base.stop, base.markFailed, base.del},
		"manual-after":  {base.show, base.markFailed, base.del},
	},
	StatusFailed: {
		"auto":          {base.show, base.retry, base.fromStart, base.markOK, base.del, ActionEdit, ActionSwitchToManual},
		"manual-before": {base.show, base.fromStart, base.markOK, base.del, ActionEdit},
		"manual-at":     {base.show, base.fromStart, base.markOK, base.del, ActionEdit},
		"manual-after":  {base.show, base.retry, base.fromStart, base.markOK, base.del, ActionEdit},
	},
	StatusSuccessful: {
		"auto":          {base.show, base.del},
		"manual-before": {base.show, base.del},
		"manual-at":     {base.show, base.del},
		"manual-after":  {base.show, base.del},
	},
}

// expectedUpload is what a manual migration waiting at Wait for upload may also do,
// keyed by (attached, verified).
var expectedUpload = map[[2]bool][]Action{
	{false, false}: {ActionAttach, ActionEdit},
	{true, false}:  {ActionAttach, ActionVerify, ActionEdit},
	{false, true}:  {ActionAttach, ActionContinueImport, ActionEdit},
	{true, true}:   {ActionAttach, ActionVerify, ActionContinueImport, ActionEdit},
}

func kindOf(m Method, step StepID, st Status, verified bool) string {
	if m != MethodManual {
		return "auto"
	}
	// Continue Import (which needs a verified migration) starts the import: from then on
	// it counts as after Wait for upload, even while Check destination runs again.
	if verified && st != StatusWaiting {
		return "manual-after"
	}
	switch step {
	case "", StepCheckDestination, StepAnalyseSource: // steps 1-2 come before step 3, even one that does not apply
		return "manual-before"
	case StepWaitForUpload:
		return "manual-at"
	}
	return "manual-after"
}

func TestAllowedExhaustive(t *testing.T) {
	steps := append([]StepID{""}, AllSteps...)
	n := 0
	for _, st := range Statuses {
		for _, m := range Methods {
			for _, step := range steps {
				for _, attached := range []bool{false, true} {
					for _, verified := range []bool{false, true} {
						f := Facts{Status: st, Method: m, CurrentStep: step, Attached: attached, Verified: verified}
						want := slices.Clone(expectedBase[st][kindOf(m, step, st, verified)])
						if m == MethodManual && st == StatusWaiting && step == StepWaitForUpload {
							want = append(want, expectedUpload[[2]bool{attached, verified}]...)
						}
						for _, a := range Actions {
							n++
							err := Allowed(f, a)
							if slices.Contains(want, a) {
								require.NoError(t, err, "%+v %s", f, a)
								continue
							}
							require.Error(t, err, "%+v %s should be refused", f, a)
							require.True(t, errors.Is(err, ErrNotAllowed), "%+v %s", f, a)
							require.Greater(t, len(err.Error()), len(ErrNotAllowed.Error())+2, "a refusal says why")
						}
						got := AllowedActions(f)
						var inOrder []Action
						for _, a := range Actions {
							if slices.Contains(want, a) {
								inOrder = append(inOrder, a)
							}
						}
						require.Equal(t, inOrder, got, "%+v", f)
					}
				}
			}
		}
	}
	require.Equal(t, len(Statuses)*len(Methods)*11*4*len(Actions), n)
}

func TestAllowedUnknownAction(t *testing.T) {
	err := Allowed(Facts{Status: StatusFailed, Method: MethodFTP}, "teleport")
	require.ErrorIs(t, err, ErrNotAllowed)
	require.Contains(t, err.Error(), "teleport")
}

func TestResult(t *testing.T) {
	want := map[Action]Status{
		ActionStop: StatusFailed, ActionMarkFailed: StatusFailed, ActionRetry: StatusQueued,
		ActionRetryFromStart: StatusQueued, ActionContinueImport: StatusQueued, ActionMarkSuccessful: StatusSuccessful,
		ActionSwitchToManual: StatusWaiting,
	}
	for _, a := range Actions {
		s, ok := Result(a)
		w, changes := want[a]
		require.Equal(t, changes, ok, a)
		require.Equal(t, w, s, a)
	}
}

// TestActionResultsAreTransitions checks the two tables agree: whenever an action that
// changes the status is allowed, the change it makes is in the transition table.
func TestActionResultsAreTransitions(t *testing.T) {
	for _, st := range Statuses {
		for _, m := range Methods {
			for _, step := range append([]StepID{""}, AllSteps...) {
				f := Facts{Status: st, Method: m, CurrentStep: step, Attached: true, Verified: true}
				for _, a := range AllowedActions(f) {
					if to, ok := Result(a); ok {
						require.True(t, CanTransition(st, to), "%s allowed in %s but %s → %s is not a transition", a, st, st, to)
					}
				}
			}
		}
	}
}

func TestCanTransitionEveryPair(t *testing.T) {
	allowed := map[[2]Status]bool{
		{StatusQueued, StatusRunning}: true, {StatusQueued, StatusFailed}: true,
		{StatusRunning, StatusWaiting}: true, {StatusRunning, StatusFailed}: true,
		{StatusRunning, StatusSuccessful}: true, {StatusRunning, StatusQueued}: true,
		{StatusWaiting, StatusQueued}: true, {StatusWaiting, StatusRunning}: true, {StatusWaiting, StatusFailed}: true,
		{StatusFailed, StatusQueued}: true, {StatusFailed, StatusSuccessful}: true, {StatusFailed, StatusWaiting}: true,
	}
	all := append(slices.Clone(Statuses), "paused", "")
	for _, from := range all {
		for _, to := range all {
			want := allowed[[2]Status{from, to}]
			require.Equal(t, want, CanTransition(from, to), "%q → %q", from, to)
			err := CheckTransition(from, to)
			if want {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, ErrTransition)
				require.Contains(t, err.Error(), fmt.Sprintf("%s → %s", from, to))
			}
		}
	}
}

func TestInterruptedReason(t *testing.T) {
	require.Equal(t, "Interrupted: Ferry was closed during Download files", InterruptedReason(StepDownloadFiles))
	require.Equal(t, "Interrupted: Ferry was closed", InterruptedReason(""))
	require.Equal(t, "Interrupted: Ferry was closed", InterruptedReason("nap"))
}
