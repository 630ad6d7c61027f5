package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestHeadless(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{nil, false},
		{[]string{"list"}, true},
		{[]string{"--version"}, true},
		{[]string{"-h"}, true},
		{[]string{"frobnicate"}, true}, // cli.Run prints usage and exits 2
		{[]string{"-psn_0_12345"}, false},
	} {
		require.Equal(t, tc.want, headless(tc.args), "%q", tc.args)
	}
}
