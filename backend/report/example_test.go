package report_test

import (
	"fmt"
	"os"
	"strings"
	"time"

	"ferry/backend/report"
)

// Example writes a one-migration report as CSV, with the owner anonymised.
func Example() {
	start := time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)
	ms := []report.Migration{{
		ID: 12, Status: "successful", User: report.User{Name: "Zoë Admin", Email: "zoe@example.com"},
		Service: "Business 10GB", Domain: "例え.テスト", Method: "sftp",
		StartedAt: start, CompletedAt: start.Add(90 * time.Second), Duration: 90 * time.Second,
		Upload: report.Transfer{Files: 52, Bytes: 233_534},
		Import: report.Database{Tables: 3, Rows: 185, Bytes: 25_201},
	}}
	var b strings.Builder
	if err := report.WriteCSV(&b, report.Anonymise(ms), report.CSVOptions{}); err != nil {
		fmt.Println(err)
		return
	}
	lines := strings.Split(b.String(), "\r\n")
	fmt.Println(strings.Join(strings.Split(lines[0], ",")[:6], ","))
	fmt.Println(strings.Join(strings.Split(lines[1], ",")[:6], ","))

	s := report.Summarise(ms)
	fmt.Println(s.Count, s.BytesMoved, s.Rows, s.MedianDuration)
	_ = report.WriteJSON(os.Stdout, nil)
	// Output:
	// id,status,user_name,user_email,service,domain
	// 12,successful,Customer 1,customer-3e693cf7e5b6@anonymised.invalid,Business 10GB,例え.テスト
	// 1 258735 185 1m30s
	// {
	//   "format": "ferry.report",
	//   "version": 1,
	//   "summary": {
	//     "count": 0,
	//     "bytesMoved": 0,
	//     "fileBytesUploaded": 0,
	//     "databaseBytesImported": 0,
	//     "filesUploaded": 0,
	//     "tablesImported": 0,
	//     "rowsImported": 0,
	//     "urlReplacements": 0,
	//     "totalDurationMs": 0,
	//     "medianDurationMs": 0,
	//     "firstStartedAt": null,
	//     "lastCompletedAt": null,
	//     "migrationsWithFailedChecks": 0,
	//     "warnings": 0
	//   },
	//   "migrations": []
	// }
}
