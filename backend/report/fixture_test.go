package report

import "time"

// t0 is a fixed clock so golden files never change by themselves.
var t0 = time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)

// steps returns the steps of an automatic migration, each taking d.
func steps(start time.Time, d time.Duration, ids ...string) []Step {
	titles := map[string]string{
		"check_destination": "Check destination", "analyse_source": "Analyse source", "wait_for_upload": "Wait for upload",
		"download_files": "Download files", "export_database": "Export database", "upload_files": "Upload files",
		"import_database": "Import database", "configure_wordpress": "Configure WordPress", "validate": "Validate", "clean_up": "Clean up",
	}
	numbers := map[string]int{"check_destination": 1, "analyse_source": 2, "wait_for_upload": 3, "download_files": 4,
		"export_database": 5, "upload_files": 6, "import_database": 7, "configure_wordpress": 8, "validate": 9, "clean_up": 10}
	var out []Step
	for _, id := range ids {
		out = append(out, Step{ID: id, Number: numbers[id], Title: titles[id], State: "completed",
			StartedAt: start, FinishedAt: start.Add(d), Duration: d})
		start = start.Add(d)
	}
	return out
}

var autoSteps = []string{"check_destination", "analyse_source", "download_files", "export_database", "upload_files",
	"import_database", "configure_wordpress", "validate", "clean_up"}

var manualSteps = []string{"check_destination", "wait_for_upload", "upload_files", "import_database",
	"configure_wordpress", "validate", "clean_up"}

// sample is three migrations that exercise every part of a report: accents and CJK, an
// SFTP source with a tunnel, a manual upload with a failed check and warnings, and an
// owner whose name a spreadsheet would run as a formula.
func sample() []Migration {
	okChecks := []Check{{Name: "row_counts", OK: true, Message: "3 tables, 185 rows match"},
		{Name: "files", OK: true, Message: "52 files match"}, {Name: "site_url", OK: true, Message: "siteurl and home are https://例え.テスト"}}
	return []Migration{
		{
			ID: 7, Status: "successful", User: User{Name: "Zoë Ångström", Email: "zoe@example.com"}, Service: "Business 10GB",
			Domain: "例え.テスト", Method: "sftp", OldURL: "http://old.test", NewURL: "https://例え.テスト",
			Source: Endpoint{Protocol: "sftp", Host: "old.example.com", Port: 22, User: "deploy", Path: "/var/www/html",
				DB: DatabaseHost{Host: "127.0.0.1", Port: 3306, User: "wp", Name: "wp", SSHTunnel: true}},
			Destination: Endpoint{Protocol: "ftps", Host: "new.example.net", Port: 21, User: "zoe", Path: "/public_html",
				DB: DatabaseHost{Host: "db.example.net", Port: 3306, User: "zoe_wp", Name: "zoe_wp"}},
			StartedAt: t0, CompletedAt: t0.Add(9 * 75 * time.Second), Duration: 9 * 75 * time.Second,
			Steps: steps(t0, 75*time.Second, autoSteps...), WordPressVersion: "6.4.3",
			Download: Transfer{Files: 52, Bytes: 85_321, Duration: 75 * time.Second},
			Upload:   Transfer{Files: 52, Bytes: 85_321, Duration: 75 * time.Second},
			Export:   Database{Tables: 3, Rows: 185, Bytes: 40_112, Duration: 75 * time.Second},
			Import:   Database{Tables: 3, Rows: 185, Bytes: 40_112, Duration: 75 * time.Second},
			Replacements: Replacements{Total: 245, Values: 184, Columns: []ColumnReplacements{
				{Table: "wp_options", Column: "option_value", Values: 4, Replacements: 5},
				{Table: "wp_postmeta", Column: "meta_value", Values: 120, Replacements: 120},
				{Table: "wp_posts", Column: "guid", Values: 60, Replacements: 60},
				{Table: "wp_posts", Column: "post_content", Values: 60, Replacements: 60},
			}},
			Validation: okChecks,
		},
		{
			ID: 8, Status: "successful", User: User{Name: "山田太郎", Email: "taro@example.jp"}, Service: "Starter",
			Domain: "café.example.org", Method: "manual", OldURL: "https://café.example.org", NewURL: "https://café.example.org",
			Source: Endpoint{Protocol: "manual"},
			Destination: Endpoint{Protocol: "local", Path: "/srv/www/café",
				DB: DatabaseHost{Host: "127.0.0.1", Port: 3306, User: "wp", Name: "cafe"}},
			StartedAt: t0.Add(time.Hour), CompletedAt: t0.Add(time.Hour + 42*time.Second), Duration: 42 * time.Second,
			Steps:        steps(t0.Add(time.Hour), 6*time.Second, manualSteps...),
			Upload:       Transfer{Files: 1_204, Bytes: 48_500_000, Duration: 6 * time.Second},
			Import:       Database{Tables: 12, Rows: 10_450, Bytes: 7_800_000, Duration: 6 * time.Second},
			Replacements: Replacements{Broken: 2},
			Validation: []Check{{Name: "row_counts", OK: true, Message: "12 tables match"},
				{Name: "http", OK: false, Message: "GET https://café.example.org/ returned 503 Service Unavailable"}},
			Warnings: []string{"A caching drop-in (advanced-cache.php) was found: clear its cache after the move",
				"2 serialized values were already damaged in the source and were copied unchanged"},
		},
		{
			ID: 9, Status: "successful", User: User{Name: "=HYPERLINK(\"http://evil\")", Email: "zoe@example.com"}, Service: "Pro",
			Domain: "zoe.example.com", Method: "ftp", OldURL: "http://zoe.example.com", NewURL: "https://zoe.example.com",
			Source:      Endpoint{Protocol: "ftp", Host: "ftp.old.example", Port: 21, User: "zoe", Path: "/", DB: DatabaseHost{FromWPConfig: true}},
			Destination: Endpoint{Protocol: "sftp", Host: "sftp.new.example", Port: 2222, User: "zoe", Path: "/home/zoe/www", DB: DatabaseHost{Host: "localhost", Name: "zoe"}},
			StartedAt:   t0.Add(2 * time.Hour), CompletedAt: t0.Add(2*time.Hour + 3*time.Hour + 5*time.Minute), Duration: 3*time.Hour + 5*time.Minute,
			Steps:    steps(t0.Add(2*time.Hour), (3*time.Hour+5*time.Minute)/9, autoSteps...),
			Download: Transfer{Files: 250_000, Bytes: 12_400_000_000, Duration: time.Hour},
			Upload:   Transfer{Files: 250_000, Bytes: 12_400_000_000, Duration: time.Hour},
			Export:   Database{Tables: 48, Rows: 2_000_000, Bytes: 900_000_000, Duration: 10 * time.Minute},
			Import:   Database{Tables: 48, Rows: 2_000_000, Bytes: 900_000_000, Duration: 20 * time.Minute},
			Replacements: Replacements{Total: 1, Values: 1, Columns: []ColumnReplacements{
				{Table: "wp_options", Column: "option_value", Values: 1, Replacements: 1}}},
			Validation: okChecks[:2],
		},
	}
}
