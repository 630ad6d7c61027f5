package report

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestExtraReplacementsInReports: the admin's extra find → replace pairs show in the JSON
// and PDF reports with how often each was applied.
func TestExtraReplacementsInReports(t *testing.T) {
	ms := sample()[:1]
	ms[0].Replacements.Extras = []ExtraReplacement{{Find: "cdn.old-host.net", Replace: "static.example.com", Replacements: 1234}}

	var j bytes.Buffer
	require.NoError(t, WriteJSON(&j, ms))
	var doc struct {
		Migrations []struct {
			Replacements struct {
				Extras []jsonExtra `json:"extras"`
			} `json:"replacements"`
		} `json:"migrations"`
	}
	require.NoError(t, json.Unmarshal(j.Bytes(), &doc))
	require.Equal(t, []jsonExtra{{Find: "cdn.old-host.net", Replace: "static.example.com", Replacements: 1234}}, doc.Migrations[0].Replacements.Extras)

	var p bytes.Buffer
	require.NoError(t, WritePDF(&p, ms, PDFOptions{}))
	require.Contains(t, pdfText(t, p.Bytes()), "Extra replacement cdn.old-host.net → static.example.com: 1,234")
}
