package service

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"ferry/backend/migration"
	"ferry/backend/secret"
	"ferry/backend/store"
)

// LogTailLines is how many log lines GetMigration includes; GetLogs pages the rest.
const LogTailLines = 200

// sortKeys maps ListQuery.Sort to store columns.
var sortKeys = map[string]store.Sort{
	"": store.SortID, "id": store.SortID, "user": store.SortUser, "email": store.SortEmail,
	"service": store.SortService, "domain": store.SortDomain, "method": store.SortMethod,
	"status": store.SortStatus, "createdAt": store.SortCreatedAt, "startedAt": store.SortStartedAt,
	"completedAt": store.SortCompletedAt, "updatedAt": store.SortUpdatedAt,
}

// ListMigrations returns one page of one tab, plus the counts of every tab.
func (s *Service) ListMigrations(ctx context.Context, q ListQuery) (ListResult, error) {
	s.sweepSometimes(ctx)
	fields := map[string]string{}
	tab := migration.Tab(q.Tab)
	if q.Tab == "" {
		tab = migration.TabInProgress
	} else if !tab.Valid() {
		fields["tab"] = "Choose one of in_progress, failed, successful."
	}
	sort, ok := sortKeys[q.Sort]
	if !ok {
		fields["sort"] = fmt.Sprintf("Cannot sort by %q.", q.Sort)
	}
	if q.Page == 0 {
		q.Page = 1
	}
	if q.PageSize == 0 {
		q.PageSize = 50
	}
	if q.Page < 1 {
		fields["page"] = "Page must be 1 or more."
	}
	if q.PageSize < 1 || q.PageSize > 500 {
		fields["pageSize"] = "Page size must be between 1 and 500."
	}
	var batchID int64
	if q.Batch != "" {
		b, err := s.st.BatchByRef(ctx, q.Batch)
		if errors.Is(err, store.ErrNotFound) {
			fields["batch"] = fmt.Sprintf("No batch is named %q.", q.Batch)
		} else if err != nil {
			return ListResult{}, fail(err, "list migrations")
		}
		batchID = b.ID
	}
	if len(fields) > 0 {
		return ListResult{}, &Error{Code: CodeInvalid, Message: "invalid list query", Fields: fields}
	}
	page, err := s.st.List(ctx, store.Query{Tab: tab, Search: q.Search, BatchID: batchID, Sort: sort, Desc: q.Desc,
		Limit: q.PageSize, Offset: (q.Page - 1) * q.PageSize})
	if err != nil {
		return ListResult{}, fail(err, "list migrations")
	}
	counts, err := s.TabCounts(ctx)
	if err != nil {
		return ListResult{}, err
	}
	out := ListResult{Rows: make([]MigrationRow, 0, len(page.Records)), Total: page.Total, Page: q.Page, PageSize: q.PageSize, Counts: counts}
	ids := make([]int64, 0, len(page.Records))
	for _, r := range page.Records {
		out.Rows = append(out.Rows, rowOf(r))
		ids = append(ids, r.ID)
	}
	names, err := s.st.BatchNames(ctx, ids)
	if err != nil {
		return ListResult{}, fail(err, "list migrations")
	}
	for i := range out.Rows {
		out.Rows[i].Batch = names[out.Rows[i].ID]
	}
	return out, nil
}

// TabCounts returns the live count of each tab.
func (s *Service) TabCounts(ctx context.Context) (TabCounts, error) {
	c, err := s.st.TabCounts(ctx)
	if err != nil {
		return TabCounts{}, fail(err, "count migrations")
	}
	return TabCounts{InProgress: c[migration.TabInProgress], Failed: c[migration.TabFailed], Successful: c[migration.TabSuccessful]}, nil
}

// GetMigration returns everything the details modal shows, secrets masked.
func (s *Service) GetMigration(ctx context.Context, id int64) (MigrationDetail, error) {
	r, err := s.st.Get(ctx, id)
	if err != nil {
		return MigrationDetail{}, fail(err, "get migration %d", id)
	}
	logs, err := s.st.LogTail(ctx, id, LogTailLines)
	if err != nil {
		return MigrationDetail{}, fail(err, "get migration %d", id)
	}
	files, err := s.st.Files(ctx, id)
	if err != nil {
		return MigrationDetail{}, fail(err, "get migration %d", id)
	}
	d := MigrationDetail{
		MigrationRow: rowOf(r),
		OldURL:       r.OldURL,
		NewURL:       r.NewURL,
		Destination:  endpointDTO(r.Destination),
		Options:      optionsDTO(r.Options),
		Steps:        stepDTOs(r.Migration),
		Logs:         logDTOs(logs),
		Files:        []AttachedFileDTO{},
	}
	if r.Method.Automatic() {
		d.Source = endpointDTO(r.Source)
	}
	for _, f := range files {
		d.Files = append(d.Files, AttachedFileDTO{Kind: f.Kind, Path: f.Path, Size: f.Size})
	}
	// SFTP host keys are pinned per host:port in the history, on first connection.
	for _, e := range []*EndpointDTO{&d.Source, &d.Destination} {
		if e.Protocol == string(migration.ProtocolSFTP) && e.HostKey == "" {
			port := e.Port
			if port == 0 {
				port = 22
			}
			if fp, err := s.st.HostKeys().Get(ctx, net.JoinHostPort(e.Host, strconv.Itoa(port))); err == nil {
				e.HostKey = fp
			}
		}
	}
	d.TotalMs, d.WallMs = durations(r.Migration, time.Now())
	if err := s.fillOutcome(ctx, &d, r.Migration); err != nil {
		return MigrationDetail{}, err
	}
	return d, nil
}

// GetLogs returns up to limit log lines after afterSeq (1..5000, 0 means 1000).
func (s *Service) GetLogs(ctx context.Context, id int64, afterSeq int64, limit int) ([]LogDTO, error) {
	if limit < 0 || limit > 5000 {
		return nil, &Error{Code: CodeInvalid, Message: "invalid log query", Fields: map[string]string{"limit": "Limit must be between 1 and 5000."}}
	}
	if _, err := s.st.Get(ctx, id); err != nil {
		return nil, fail(err, "get logs of migration %d", id)
	}
	lines, err := s.st.Logs(ctx, id, afterSeq, limit)
	if err != nil {
		return nil, fail(err, "get logs of migration %d", id)
	}
	return logDTOs(lines), nil
}

// ListUsers returns up to 20 owners whose name or email contains search.
func (s *Service) ListUsers(ctx context.Context, search string) ([]UserDTO, error) {
	us, err := s.st.Users(ctx, search, 20)
	if err != nil {
		return nil, fail(err, "list users")
	}
	out := make([]UserDTO, 0, len(us))
	for _, u := range us {
		out = append(out, userDTO(u))
	}
	return out, nil
}

// ListServices returns up to 20 service names containing search.
func (s *Service) ListServices(ctx context.Context, search string) ([]string, error) {
	names, err := s.st.Services(ctx, search, 20)
	if err != nil {
		return nil, fail(err, "list services")
	}
	if names == nil {
		names = []string{}
	}
	return names, nil
}

func userDTO(u migration.User) UserDTO {
	return UserDTO{ID: u.ID, Name: u.Name, Email: u.Email, Status: string(u.Status)}
}

func unixMS(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// rowOf turns a stored record into a table row.
func rowOf(r store.Record) MigrationRow {
	m := r.Migration
	row := MigrationRow{
		ID: m.ID, User: userDTO(m.User), Service: m.Service, Domain: m.Domain, Method: string(m.Method),
		Status: string(m.Status), Tab: string(m.Status.Tab()), StatusText: statusText(r),
		FailureReason: m.FailureReason, CurrentStep: string(m.CurrentStep),
		ActionRequired: m.Status == migration.StatusWaiting,
		Actions:        []string{},
		SourceSummary:  sourceSummary(m), DestinationSummary: endpointSummary(m.Destination),
		CreatedAt: unixMS(m.CreatedAt), StartedAt: unixMS(m.StartedAt), CompletedAt: unixMS(m.CompletedAt), UpdatedAt: unixMS(m.UpdatedAt),
	}
	if m.Status == migration.StatusFailed && m.CurrentStep.Valid() {
		row.FailedStep = m.CurrentStep.Title()
	}
	if m.Status == migration.StatusRunning {
		row.Progress = &ProgressDTO{Percent: r.Progress.Percent, Speed: r.Progress.Speed, ETASeconds: r.Progress.ETASeconds}
	}
	for _, a := range migration.AllowedActions(m.Facts()) {
		row.Actions = append(row.Actions, string(a))
	}
	return row
}

// statusText is what the Status cell says.
func statusText(r store.Record) string {
	switch r.Status {
	case migration.StatusQueued:
		return "Queued"
	case migration.StatusRunning:
		if !r.CurrentStep.Valid() {
			return "Starting…"
		}
		if p := ProgressText(r.Progress.Percent, r.Progress.Speed, r.Progress.ETASeconds); p != "" {
			return r.CurrentStep.Verb() + "… " + p
		}
		return r.CurrentStep.Verb() + "…"
	case migration.StatusWaiting:
		if r.CurrentStep == migration.StepWaitForUpload {
			return "Waiting for files"
		}
		return "Action required"
	case migration.StatusFailed:
		if r.FailureReason == "" {
			return "Failed"
		}
		return r.FailureReason
	case migration.StatusSuccessful:
		return "Completed"
	}
	return string(r.Status)
}

var protocolNames = map[migration.Protocol]string{
	migration.ProtocolFTP: "FTP", migration.ProtocolFTPS: "FTPS", migration.ProtocolSFTP: "SFTP", migration.ProtocolLocal: "Local",
}

func sourceSummary(m migration.Migration) string {
	if m.Method == migration.MethodManual {
		return "Manual upload (wordpress-files.zip + database.sql)"
	}
	return endpointSummary(m.Source)
}

// endpointSummary is the Domain hover text: "SFTP deploy@old.example.com:22 /var/www/html ·
// MySQL wp@127.0.0.1:3306/wp". It never includes a secret.
func endpointSummary(e migration.Endpoint) string {
	var b strings.Builder
	name := protocolNames[e.Protocol]
	if name == "" {
		name = strings.ToUpper(string(e.Protocol))
	}
	b.WriteString(name)
	if e.Protocol != migration.ProtocolLocal {
		b.WriteString(" ")
		if e.User != "" {
			b.WriteString(e.User + "@")
		}
		b.WriteString(e.Host)
		if e.Port != 0 {
			b.WriteString(":" + strconv.Itoa(e.Port))
		}
	}
	if e.Path != "" {
		b.WriteString(" " + e.Path)
	}
	b.WriteString(" · ")
	switch {
	case e.DB.FromWPConfig:
		b.WriteString("MySQL from wp-config.php")
	default:
		b.WriteString("MySQL ")
		if e.DB.User != "" {
			b.WriteString(e.DB.User + "@")
		}
		b.WriteString(e.DB.Host)
		if e.DB.Port != 0 {
			b.WriteString(":" + strconv.Itoa(e.DB.Port))
		}
		b.WriteString("/" + e.DB.Name)
		if e.DB.SSHTunnel {
			b.WriteString(" via SSH")
		}
	}
	return b.String()
}

func endpointDTO(e migration.Endpoint) EndpointDTO {
	return EndpointDTO{
		Protocol: string(e.Protocol), Host: e.Host, Port: e.Port, User: e.User,
		Password: secret.Mask(e.Password), HasPassword: e.Password != "", HasPrivateKey: e.PrivateKey != "",
		Path: e.Path, HostKey: e.HostKey, CertFingerprint: e.CertFingerprint,
		DB: DatabaseDTO{Host: e.DB.Host, Port: e.DB.Port, User: e.DB.User, Password: secret.Mask(e.DB.Password),
			HasPassword: e.DB.Password != "", Name: e.DB.Name, SSHTunnel: e.DB.SSHTunnel, FromWPConfig: e.DB.FromWPConfig,
			Access: e.DB.Access, SiteIP: e.DB.SiteIP},
	}
}

// stepDTOs lists every step of the migration's method, in order, whether stored or not.
func stepDTOs(m migration.Migration) []StepDTO {
	got := map[migration.StepID]migration.StepRecord{}
	for _, r := range m.Steps {
		got[r.Step] = r
	}
	out := []StepDTO{}
	for _, id := range migration.StepsFor(m.Method) {
		r, ok := got[id]
		if !ok {
			r = migration.StepRecord{Step: id, State: migration.StepNotStarted}
		}
		out = append(out, StepDTO{ID: string(id), Number: id.Number(), Title: id.Title(), State: string(r.State),
			StartedAt: unixMS(r.StartedAt), FinishedAt: unixMS(r.FinishedAt), DurationMs: r.Duration().Milliseconds(),
			Error: r.Error, Percent: r.Percent})
	}
	return out
}

func logDTOs(lines []store.LogLine) []LogDTO {
	out := make([]LogDTO, 0, len(lines))
	for _, l := range lines {
		out = append(out, LogDTO{Seq: l.Seq, Time: unixMS(l.Time), Level: l.Level, Step: string(l.Step), Message: l.Message})
	}
	return out
}

// durations returns the time the steps took (each step's last attempt, a running step up
// to now) and the wall span from the first start to the end (or now). They differ when a
// migration failed and was retried hours later: the admin asked for the work time, with
// the span shown apart.
func durations(m migration.Migration, now time.Time) (total, wall int64) {
	for _, r := range m.Steps {
		switch {
		case !r.StartedAt.IsZero() && !r.FinishedAt.IsZero():
			total += r.FinishedAt.Sub(r.StartedAt).Milliseconds()
		case !r.StartedAt.IsZero() && r.State == migration.StepRunning && m.Status == migration.StatusRunning:
			total += now.Sub(r.StartedAt).Milliseconds()
		}
	}
	switch {
	case !m.StartedAt.IsZero() && !m.CompletedAt.IsZero():
		wall = m.CompletedAt.Sub(m.StartedAt).Milliseconds()
	case !m.StartedAt.IsZero() && m.Status == migration.StatusRunning:
		wall = now.Sub(m.StartedAt).Milliseconds()
	}
	return total, wall
}
