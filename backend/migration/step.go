package migration

// StepID names one of the ten steps of SPEC §2.
type StepID string

const (
	StepCheckDestination   StepID = "check_destination"
	StepAnalyseSource      StepID = "analyse_source"
	StepWaitForUpload      StepID = "wait_for_upload"
	StepDownloadFiles      StepID = "download_files"
	StepExportDatabase     StepID = "export_database"
	StepUploadFiles        StepID = "upload_files"
	StepImportDatabase     StepID = "import_database"
	StepConfigureWordPress StepID = "configure_wordpress"
	StepValidate           StepID = "validate"
	StepCleanUp            StepID = "clean_up"
)

// AllSteps is every step in the order they run.
var AllSteps = []StepID{
	StepCheckDestination, StepAnalyseSource, StepWaitForUpload, StepDownloadFiles,
	StepExportDatabase, StepUploadFiles, StepImportDatabase, StepConfigureWordPress,
	StepValidate, StepCleanUp,
}

var stepInfo = map[StepID]struct {
	number  int
	title   string
	verb    string // shown in the Status cell while running
	methods []Method
}{
	StepCheckDestination:   {1, "Check destination", "Checking destination", []Method{MethodFTP, MethodSFTP, MethodManual}},
	StepAnalyseSource:      {2, "Analyse source", "Analysing source", []Method{MethodFTP, MethodSFTP}},
	StepWaitForUpload:      {3, "Wait for upload", "Waiting for files", []Method{MethodManual}},
	StepDownloadFiles:      {4, "Download files", "Downloading files", []Method{MethodFTP, MethodSFTP}},
	StepExportDatabase:     {5, "Export database", "Exporting database", []Method{MethodFTP, MethodSFTP}},
	StepUploadFiles:        {6, "Upload files", "Uploading files", []Method{MethodFTP, MethodSFTP, MethodManual}},
	StepImportDatabase:     {7, "Import database", "Importing database", []Method{MethodFTP, MethodSFTP, MethodManual}},
	StepConfigureWordPress: {8, "Configure WordPress", "Configuring WordPress", []Method{MethodFTP, MethodSFTP, MethodManual}},
	StepValidate:           {9, "Validate", "Validating", []Method{MethodFTP, MethodSFTP, MethodManual}},
	StepCleanUp:            {10, "Clean up", "Cleaning up", []Method{MethodFTP, MethodSFTP, MethodManual}},
}

// Valid reports whether s is one of the ten steps.
func (s StepID) Valid() bool { _, ok := stepInfo[s]; return ok }

// Number is the step's number in SPEC §2 (1..10), 0 for an unknown step.
func (s StepID) Number() int { return stepInfo[s].number }

// Title is the step's name as the Steps tab shows it.
func (s StepID) Title() string { return stepInfo[s].title }

// Verb is the step's name as the Status cell shows it while it runs ("Downloading files").
func (s StepID) Verb() string { return stepInfo[s].verb }

// AppliesTo reports whether the step runs for method m.
func (s StepID) AppliesTo(m Method) bool {
	for _, x := range stepInfo[s].methods {
		if x == m {
			return true
		}
	}
	return false
}

// StepsFor lists the steps that run for method m, in order.
func StepsFor(m Method) []StepID {
	var out []StepID
	for _, s := range AllSteps {
		if s.AppliesTo(m) {
			out = append(out, s)
		}
	}
	return out
}

// After reports whether s comes after t in the step order.
func (s StepID) After(t StepID) bool { return s.Number() > t.Number() }

// StepState is the state of one step, as the Steps tab draws it.
type StepState string

const (
	// StepNotStarted is a grey circle.
	StepNotStarted StepState = "not_started"
	// StepRunning is a spinner with percent and speed.
	StepRunning StepState = "running"
	// StepCompleted is a green check; Retry skips it.
	StepCompleted StepState = "completed"
	// StepFailed is a red alert with the error.
	StepFailed StepState = "failed"
	// StepActionRequired is a red alert that says what the admin must do.
	StepActionRequired StepState = "action_required"
)

// StepStates lists every step state.
var StepStates = []StepState{StepNotStarted, StepRunning, StepCompleted, StepFailed, StepActionRequired}
