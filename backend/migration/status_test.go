package migration

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestTabs(t *testing.T) {
	want := map[Status]Tab{
		StatusQueued: TabInProgress, StatusRunning: TabInProgress, StatusWaiting: TabInProgress,
		StatusFailed: TabFailed, StatusSuccessful: TabSuccessful,
	}
	require.Len(t, Statuses, len(want))
	for _, s := range Statuses {
		require.True(t, s.Valid())
		require.Equal(t, want[s], s.Tab(), s)
	}
	require.False(t, Status("paused").Valid())
	require.Equal(t, []Status{StatusQueued, StatusRunning, StatusWaiting}, StatusesIn(TabInProgress))
	require.Equal(t, []Status{StatusFailed}, StatusesIn(TabFailed))
	require.Equal(t, []Status{StatusSuccessful}, StatusesIn(TabSuccessful))
	require.Empty(t, StatusesIn("archive"))
	for _, tab := range Tabs {
		require.True(t, tab.Valid())
	}
	require.False(t, Tab("archive").Valid())
}

func TestStepsFor(t *testing.T) {
	auto := []StepID{StepCheckDestination, StepAnalyseSource, StepDownloadFiles, StepExportDatabase,
		StepUploadFiles, StepImportDatabase, StepConfigureWordPress, StepValidate, StepCleanUp}
	require.Equal(t, auto, StepsFor(MethodFTP))
	require.Equal(t, auto, StepsFor(MethodSFTP))
	require.Equal(t, []StepID{StepCheckDestination, StepWaitForUpload, StepUploadFiles, StepImportDatabase,
		StepConfigureWordPress, StepValidate, StepCleanUp}, StepsFor(MethodManual))
	require.Empty(t, StepsFor("scp"))
}

func TestStepInfo(t *testing.T) {
	cases := []struct {
		step        StepID
		number      int
		title, verb string
	}{
		{StepCheckDestination, 1, "Check destination", "Checking destination"},
		{StepAnalyseSource, 2, "Analyse source", "Analysing source"},
		{StepWaitForUpload, 3, "Wait for upload", "Waiting for files"},
		{StepDownloadFiles, 4, "Download files", "Downloading files"},
		{StepExportDatabase, 5, "Export database", "Exporting database"},
		{StepUploadFiles, 6, "Upload files", "Uploading files"},
		{StepImportDatabase, 7, "Import database", "Importing database"},
		{StepConfigureWordPress, 8, "Configure WordPress", "Configuring WordPress"},
		{StepValidate, 9, "Validate", "Validating"},
		{StepCleanUp, 10, "Clean up", "Cleaning up"},
	}
	require.Len(t, AllSteps, len(cases))
	for i, tc := range cases {
		t.Run(string(tc.step), func(t *testing.T) {
			require.Equal(t, tc.step, AllSteps[i])
			require.True(t, tc.step.Valid())
			require.Equal(t, tc.number, tc.step.Number())
			require.Equal(t, tc.title, tc.step.Title())
			require.Equal(t, tc.verb, tc.step.Verb())
			if i > 0 {
				require.True(t, tc.step.After(AllSteps[i-1]))
				require.False(t, AllSteps[i-1].After(tc.step))
			}
		})
	}
	require.False(t, StepID("nap").Valid())
	require.Zero(t, StepID("nap").Number())
}

func TestMethodsAndProtocols(t *testing.T) {
	for _, m := range Methods {
		require.True(t, m.Valid())
	}
	require.False(t, Method("scp").Valid())
	require.True(t, MethodFTP.Automatic())
	require.True(t, MethodSFTP.Automatic())
	require.False(t, MethodManual.Automatic())
	ports := map[Protocol]int{ProtocolFTP: 21, ProtocolFTPS: 21, ProtocolSFTP: 22, ProtocolLocal: 0}
	for p, port := range ports {
		require.True(t, p.Valid())
		require.Equal(t, port, p.DefaultPort())
	}
	require.False(t, Protocol("smb").Valid())
}

func TestFactsAndDuration(t *testing.T) {
	m := Migration{Status: StatusWaiting, Method: MethodManual, CurrentStep: StepWaitForUpload, Attached: true}
	require.Equal(t, Facts{Status: StatusWaiting, Method: MethodManual, CurrentStep: StepWaitForUpload, Attached: true}, m.Facts())
	start := time.Unix(100, 0)
	require.Equal(t, 90*time.Second, StepRecord{StartedAt: start, FinishedAt: start.Add(90 * time.Second)}.Duration())
	require.Zero(t, StepRecord{StartedAt: start}.Duration())
}
