package cli

import (
	"bytes"
	"context"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestVersion(t *testing.T) {
	want := "ferry " + Version + " " + runtime.GOOS + "/" + runtime.GOARCH + "\n"
	for _, args := range [][]string{{"--version"}, {"-version"}, {"-v"}, {"version"}} {
		t.Run(args[0], func(t *testing.T) {
			require.True(t, IsCommand(args[0]))
			var out, errOut bytes.Buffer
			require.Equal(t, ExitOK, Run(context.Background(), args, &out, &errOut))
			require.Equal(t, want, out.String())
			require.Empty(t, errOut.String())
		})
	}
	t.Run("extra argument", func(t *testing.T) {
		var out, errOut bytes.Buffer
		require.Equal(t, ExitUsage, Run(context.Background(), []string{"version", "now"}, &out, &errOut))
		require.Empty(t, out.String())
	})
}

func TestUnknownCommandPrintsUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	require.Equal(t, ExitUsage, Run(context.Background(), []string{"frobnicate"}, &out, &errOut))
	require.Empty(t, out.String())
	require.Contains(t, errOut.String(), `unknown command "frobnicate"`)
	require.Contains(t, errOut.String(), "Usage: ferry [command]")
}
