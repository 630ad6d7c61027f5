package pipeline

import "ferry/backend/wordpress"

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

	Replacements *wordpress.Stats `json:"replacements,omitempty"`
	// StreamCheck holds the checks Import made on the values it rewrote.
	StreamCheck *StreamCheck      `json:"streamCheck,omitempty"`
	Validation  []wordpress.Check `json:"validation,omitempty"`
	Warnings    []string          `json:"warnings,omitempty"`
	// Agents are PHP agents uploaded and not removed yet (see dbroute.go).
	Agents []AgentFile `json:"agents,omitempty"`
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
