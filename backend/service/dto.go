package service

// DTOs are what the bound methods take and return: camelCase JSON, times as Unix
// milliseconds UTC (0 when unset), secrets masked. The frontend's types are generated
// from these by Wails (frontend/wailsjs/go/models.ts).

// ListQuery asks for one page of one tab.
type ListQuery struct {
	Tab    string `json:"tab"`    // in_progress | failed | successful
	Search string `json:"search"` // matches ID, user name, email, domain, service
	// Batch limits the rows to one batch's migrations (its ID or name); "" lists all.
	Batch string `json:"batch,omitempty"`
	// Sort is one of id, user, service, domain, status, createdAt, completedAt.
	Sort     string `json:"sort"`
	Desc     bool   `json:"desc"`
	Page     int    `json:"page"`     // 1-based
	PageSize int    `json:"pageSize"` // 1..500, default 50
}

// TabCounts is the live count of each tab.
type TabCounts struct {
	InProgress int `json:"inProgress"`
	Failed     int `json:"failed"`
	Successful int `json:"successful"`
}

// UserDTO is a site owner.
type UserDTO struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Email  string `json:"email"`
	Status string `json:"status"` // active | suspended
}

// ProgressDTO is the last known progress of the running step.
type ProgressDTO struct {
	Percent    float64 `json:"percent"`
	Speed      float64 `json:"speed"`      // bytes/s
	ETASeconds float64 `json:"etaSeconds"` // -1 unknown
}

// MigrationRow is one row of the table.
type MigrationRow struct {
	ID      int64   `json:"id"`
	User    UserDTO `json:"user"`
	Service string  `json:"service"`
	Domain  string  `json:"domain"`
	Method  string  `json:"method"`
	// Batch names the batch the migration belongs to, "" when it was made on its own.
	Batch  string `json:"batch"`
	Status string `json:"status"` // queued | running | waiting | failed | successful
	Tab    string `json:"tab"`
	// StatusText is what the Status cell says: "Downloading files… 42%", the failure reason, "Completed".
	StatusText    string `json:"statusText"`
	FailureReason string `json:"failureReason"`
	CurrentStep   string `json:"currentStep"`
	// FailedStep names the step a failed migration stopped at ("Upload files"), for the
	// Failed tab's "Upload files: Login incorrect…"; empty otherwise.
	FailedStep     string       `json:"failedStep"`
	ActionRequired bool         `json:"actionRequired"`
	Progress       *ProgressDTO `json:"progress"`
	// Actions are the actions the transition table allows now (migration.Action values).
	Actions            []string `json:"actions"`
	SourceSummary      string   `json:"sourceSummary"`      // "SFTP user@old.example.com:/var/www/html"
	DestinationSummary string   `json:"destinationSummary"` // "Local /srv/www/new → MySQL db@127.0.0.1"
	CreatedAt          int64    `json:"createdAt"`
	StartedAt          int64    `json:"startedAt"`
	CompletedAt        int64    `json:"completedAt"`
	UpdatedAt          int64    `json:"updatedAt"`
}

// ListResult is one page plus the counts of every tab.
type ListResult struct {
	Rows     []MigrationRow `json:"rows"`
	Total    int            `json:"total"` // rows matching tab+search
	Page     int            `json:"page"`
	PageSize int            `json:"pageSize"`
	Counts   TabCounts      `json:"counts"`
}

// StepDTO is one step in the Steps tab.
type StepDTO struct {
	ID         string  `json:"id"`
	Number     int     `json:"number"`
	Title      string  `json:"title"`
	State      string  `json:"state"` // not_started | running | completed | failed | action_required
	StartedAt  int64   `json:"startedAt"`
	FinishedAt int64   `json:"finishedAt"`
	DurationMs int64   `json:"durationMs"`
	Error      string  `json:"error"`
	Percent    float64 `json:"percent"`
}

// LogDTO is one log line.
type LogDTO struct {
	Seq     int64  `json:"seq"`
	Time    int64  `json:"time"`
	Level   string `json:"level"` // debug | info | warn | error
	Step    string `json:"step"`
	Message string `json:"message"`
}

// DatabaseDTO describes a database; Password is masked ("••••••••") unless revealed.
type DatabaseDTO struct {
	Host         string `json:"host"`
	Port         int    `json:"port"`
	User         string `json:"user"`
	Password     string `json:"password"`
	HasPassword  bool   `json:"hasPassword"`
	Name         string `json:"name"`
	SSHTunnel    bool   `json:"sshTunnel"`
	FromWPConfig bool   `json:"fromWpConfig"`
	// Access is the database route: "" or "automatic", "direct", "ssh-tunnel",
	// "ssh-command" or "php" (through the site). sshTunnel true means "ssh-tunnel".
	Access string `json:"access,omitempty"`
	// SiteIP, for the PHP route, is dialled instead of the site URL's DNS answer.
	SiteIP string `json:"siteIp,omitempty"`
}

// EndpointDTO describes a source or destination; secrets are masked.
type EndpointDTO struct {
	Protocol        string      `json:"protocol"` // ftp | ftps | sftp | local
	Host            string      `json:"host"`
	Port            int         `json:"port"`
	User            string      `json:"user"`
	Password        string      `json:"password"`
	HasPassword     bool        `json:"hasPassword"`
	HasPrivateKey   bool        `json:"hasPrivateKey"`
	Path            string      `json:"path"`
	HostKey         string      `json:"hostKey"`
	CertFingerprint string      `json:"certFingerprint"`
	DB              DatabaseDTO `json:"db"`
}

// AttachedFileDTO is a file attached to a manual migration.
type AttachedFileDTO struct {
	Kind string `json:"kind"` // site_zip | sql | sql_gz | sql_zip
	Path string `json:"path"`
	Size int64  `json:"size"`
}

// MigrationDetail is everything the details modal shows.
type MigrationDetail struct {
	MigrationRow
	OldURL      string            `json:"oldUrl"`
	NewURL      string            `json:"newUrl"`
	Source      EndpointDTO       `json:"source"`
	Destination EndpointDTO       `json:"destination"`
	Options     OptionsDTO        `json:"options"`
	Steps       []StepDTO         `json:"steps"`
	Logs        []LogDTO          `json:"logs"` // the tail; GetLogs pages the rest
	Files       []AttachedFileDTO `json:"files"`
	// TotalMs is the time the steps took; WallMs the span from the first start to the end,
	// which also counts the time between a failure and its Retry.
	TotalMs int64 `json:"totalMs"`
	WallMs  int64 `json:"wallMs"`
	// Checks are Validate's checks and Warnings what the admin should know although the
	// migration passed (a value broken on the source, a hard-coded WP_HOME), secrets masked.
	Checks   []CheckDTO `json:"checks"`
	Warnings []string   `json:"warnings"`
}

// CheckDTO is one of Validate's checks.
type CheckDTO struct {
	Name    string `json:"name"`
	OK      bool   `json:"ok"`
	Message string `json:"message"`
}

// OptionsDTO are the admin's choices.
type OptionsDTO struct {
	Overwrite  bool     `json:"overwrite"`
	FreshSalts bool     `json:"freshSalts"`
	Excludes   []string `json:"excludes"`
	HTTPCheck  bool     `json:"httpCheck"`
	HTTPIP     string   `json:"httpIp"`
	// Replacements are extra find → replace pairs applied after the URL rewrite.
	Replacements []ReplacementDTO `json:"replacements"`
	// FilesOverFTPOnly: an FTP source's small files do not come through its site's PHP.
	FilesOverFTPOnly bool `json:"filesOverFtpOnly"`
}

// DatabaseInput is a database as typed in the form (password in clear, once).
type DatabaseInput struct {
	Host         string `json:"host"`
	Port         int    `json:"port"`
	User         string `json:"user"`
	Password     string `json:"password"`
	Name         string `json:"name"`
	SSHTunnel    bool   `json:"sshTunnel"`
	FromWPConfig bool   `json:"fromWpConfig"`
	// Access is the database route: "" or "automatic", "direct", "ssh-tunnel",
	// "ssh-command" or "php" (through the site). sshTunnel true means "ssh-tunnel".
	Access string `json:"access,omitempty"`
	// SiteIP, for the PHP route, is dialled instead of the site URL's DNS answer.
	SiteIP string `json:"siteIp,omitempty"`
}

// EndpointInput is a source or destination as typed in the form.
type EndpointInput struct {
	Protocol        string        `json:"protocol"`
	Host            string        `json:"host"`
	Port            int           `json:"port"`
	User            string        `json:"user"`
	Password        string        `json:"password"`
	PrivateKey      string        `json:"privateKey"` // PEM text, or empty
	Passphrase      string        `json:"passphrase"`
	Path            string        `json:"path"`
	CertFingerprint string        `json:"certFingerprint"`
	DB              DatabaseInput `json:"db"`
}

// CreateInput is the New migration form.
type CreateInput struct {
	Method      string        `json:"method"` // ftp | sftp | manual
	UserID      int64         `json:"userId"` // an existing owner, or 0 to create one from UserName/UserEmail
	UserName    string        `json:"userName"`
	UserEmail   string        `json:"userEmail"`
	Service     string        `json:"service"`
	Domain      string        `json:"domain"`
	OldURL      string        `json:"oldUrl"`
	NewURL      string        `json:"newUrl"`
	Source      EndpointInput `json:"source"` // ignored for manual
	Destination EndpointInput `json:"destination"`
	Options     OptionsDTO    `json:"options"`
}

// BulkResult reports a bulk action: which IDs it did and why the others were refused.
type BulkResult struct {
	Done   []int64          `json:"done"`
	Failed map[int64]string `json:"failed"`
}

// ReplacementDTO is one extra find → replace pair of the form and the report.
type ReplacementDTO struct {
	Find    string `json:"find"`
	Replace string `json:"replace"`
}
