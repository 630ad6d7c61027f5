package service

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestProgressText(t *testing.T) {
	for _, tc := range []struct {
		pct, speed, eta float64
		want            string
	}{
		{42, 12.4e6, 65, "42% · 12.4 MB/s · 1 min left"},
		{0, 0, -1, ""},
		{5, 900, -1, "5% · 900 B/s"},
		{99, 2.5e9, 30, "99% · 2.5 GB/s · less than a minute left"},
		{10, 1e6, 4800, "10% · 1.0 MB/s · 1 h 20 min left"},
	} {
		require.Equal(t, tc.want, ProgressText(tc.pct, tc.speed, tc.eta))
	}
}
