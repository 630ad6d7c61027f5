package pipeline

import (
	"slices"

	"ferry/backend/archive"
	"ferry/backend/wordpress"
)

// Results is what a migration's steps found and did, kept with the migration for the
// Details modal and the reports. It never holds a secret.
type Results struct {
	// From Analyse source (or Verify for manual migrations).
	WordPressVersion string `json:"wordpressVersion,omitempty"`
	TablePrefix      string `json:"tablePrefix,omitempty"`
	OldURL           string `json:"oldUrl,omitempty"` // the site URL found in the source database
	SourceFiles      int64  `json:"sourceFiles,omitempty"`
	SourceBytes      int64  `json:"sourceBytes,omitempty"`
	SourceDBBytes    int64  `json:"sourceDbBytes,omitempty"`
	SourceTables     int    `json:"sourceTables,omitempty"`
	// ConfigMode is the permission bits of the source's wp-config.php, 0 when the
	// protocol does not say (FTP): Configure WordPress never makes it wider.
	ConfigMode uint32 `json:"configMode,omitempty"`

	// From Check destination.
	DestinationFree int64 `json:"destinationFree,omitempty"` // -1 when the protocol cannot tell

	Download *TransferStats `json:"download,omitempty"`
	Upload   *TransferStats `json:"upload,omitempty"`
	Export   *DatabaseStats `json:"export,omitempty"`
	Import   *DatabaseStats `json:"import,omitempty"`

	// SourceRows are the exact rows per table the export wrote, for validation.
	SourceRows map[string]int64 `json:"sourceRows,omitempty"`
	// ImportedTables is Import's resume cursor: tables committed whole.
	ImportedTables []string `json:"importedTables,omitempty"`
	// CreatedTables are the tables an import of this migration created (recorded before
	// each is created): a retry after a crash replaces them instead of refusing them as
	// tables that already exist.
	CreatedTables []string `json:"createdTables,omitempty"`
	// ImportedRows and ImportedColumns are the rows and URL replacements of each table
	// committed whole, by whichever attempt committed it (see fold).
	ImportedRows    map[string]int64        `json:"importedRows,omitempty"`
	ImportedColumns []wordpress.ColumnStats `json:"importedColumns,omitempty"`
	// ImportedExtras counts the admin's extra replacements over every attempt.
	ImportedExtras []wordpress.ExtraStats `json:"importedExtras,omitempty"`

	Replacements *wordpress.Stats `json:"replacements,omitempty"`
	// Kept are the values the import copied unchanged on purpose (serialized values
	// already broken on the source), over all attempts: Validate warns about each
	// instead of failing the migration.
	Kept []KeptValue `json:"keptUnchanged,omitempty"`
	// KeptOverflow counts kept values beyond what one import records (maxKept).
	KeptOverflow int64             `json:"keptOverflow,omitempty"`
	Validation   []wordpress.Check `json:"validation,omitempty"`
	Warnings     []string          `json:"warnings,omitempty"`
	// ValidationWarnings are the Warnings the last Validate added, replaced by the next.
	ValidationWarnings []string `json:"validationWarnings,omitempty"`
	// Agents are PHP agents uploaded and not removed yet (see dbroute.go).
	Agents []AgentFile `json:"agents,omitempty"`
	// DatabaseRoutes is how each side's database was reached ("source", "destination":
	// "Direct", "SSH command", …), as the log says it.
	DatabaseRoutes map[string]string `json:"databaseRoutes,omitempty"`

	// Verified fingerprints the attached files of a manual migration as its last
	// successful Verify saw them: Continue Import refuses files changed since.
	Verified *VerifiedFiles `json:"verified,omitempty"`
}

// VerifiedFiles are the fingerprints of a manual migration's site zip and dump.
type VerifiedFiles struct {
	Zip archive.Fingerprint `json:"zip"`
	SQL archive.Fingerprint `json:"sql"`
}

// TransferStats describes a file copy.
type TransferStats struct {
	Files      int64 `json:"files"`
	Bytes      int64 `json:"bytes"`
	DurationMs int64 `json:"durationMs"`
}

// DatabaseStats describes a dump or an import.
type DatabaseStats struct {
	Tables     int   `json:"tables"`
	Rows       int64 `json:"rows"`
	Bytes      int64 `json:"bytes"`
	DurationMs int64 `json:"durationMs"`
}

// addWarning appends w once.
func (r *Results) addWarning(w string) {
	for _, x := range r.Warnings {
		if x == w {
			return
		}
	}
	r.Warnings = append(r.Warnings, w)
}

// setValidationWarnings replaces the warnings an earlier Validate added with ws.
func (r *Results) setValidationWarnings(ws []string) {
	var keep []string
	for _, w := range r.Warnings {
		if !slices.Contains(r.ValidationWarnings, w) {
			keep = append(keep, w)
		}
	}
	r.Warnings = keep
	for _, w := range ws {
		r.addWarning(w)
	}
	r.ValidationWarnings = append([]string(nil), ws...)
}
