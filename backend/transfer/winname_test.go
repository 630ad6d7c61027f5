package transfer_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"ferry/backend/transfer"
)

func TestWindowsNameProblem(t *testing.T) {
	for _, tc := range []struct {
		name string
		bad  bool
	}{
		{"index.php", false},
		{".htaccess", false},
		{"café menu.txt", false},
		{"console.php", false},
		{"auxiliary.css", false},
		{"com10", false},
		{"lpt", false},
		{"aux.php", true},
		{"AUX", true},
		{"con", true},
		{"Con.tar.gz", true},
		{"nul .txt", true},
		{"com1", true},
		{"LPT9.log", true},
		{"com²", true},
		{"conout$", true},
		{"index.php.", true},
		{"trailing ", true},
		{"a:b.txt", true},
		{"what?.html", true},
		{"star*.css", true},
		{`back\slash`, true},
		{"pipe|name", true},
		{"quote\".txt", true},
		{"<tag>", true},
		{"tab\there", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			why := transfer.WindowsNameProblem(tc.name)
			require.Equal(t, tc.bad, why != "", "why: %q", why)
		})
	}
}

func TestCheckWindowsPath(t *testing.T) {
	require.NoError(t, transfer.CheckWindowsPath("wp-content/uploads/2024/01/a.jpg"))
	err := transfer.CheckWindowsPath("wp-content/aux/x.php")
	require.ErrorIs(t, err, transfer.ErrInvalidPath)
	require.Contains(t, err.Error(), "AUX is a device name")
}

func TestWindowsNames(t *testing.T) {
	var w transfer.WindowsNames
	for _, p := range []string{"wp-content", "wp-content/uploads", "wp-content/uploads/Logo.png", "index.php"} {
		w.Add(p)
	}
	require.NoError(t, w.Err())

	w.Add("wp-content/uploads/logo.png")
	w.Add("wp-content/plugins/x/con.php")
	w.Add("WP-CONTENT")
	err := w.Err()
	require.ErrorIs(t, err, transfer.ErrInvalidPath)
	require.Equal(t, "3 names cannot be written to a Windows folder; rename them on the source:\n"+
		"'wp-content/uploads/Logo.png' and 'wp-content/uploads/logo.png' differ only in upper/lower case, and Windows treats them as one name\n"+
		"'wp-content/plugins/x/con.php' ('con.php') is reserved on Windows (CON is a device name)\n"+
		"'wp-content' and 'WP-CONTENT' differ only in upper/lower case, and Windows treats them as one name: invalid path", err.Error())

	var many transfer.WindowsNames
	for i := range 25 {
		many.Add(fmt.Sprintf("f%d:x", i))
	}
	require.Contains(t, many.Err().Error(), "… and 15 more")
}
