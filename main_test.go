package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/require"

	"ferry/backend/migration"
	"ferry/backend/service"
)

func TestFormatError(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	decode := func(t *testing.T, v any) map[string]any {
		t.Helper()
		s, ok := v.(string)
		require.True(t, ok, "the runtime keeps only strings intact, got %T", v)
		var out map[string]any
		require.NoError(t, json.Unmarshal([]byte(s), &out))
		return out
	}
	t.Run("service error keeps code, message and fields", func(t *testing.T) {
		err := fmt.Errorf("create: %w", &service.Error{
			Code: service.CodeInvalid, Message: "Check the form",
			Fields: map[string]string{"destination.host": "Enter the host."},
			Err:    errors.New("cause with /home/admin/secret path"),
		})
		got := decode(t, formatError(quiet, err))
		require.Equal(t, "invalid_input", got["code"])
		require.Equal(t, "Check the form", got["message"])
		require.Equal(t, map[string]any{"destination.host": "Enter the host."}, got["fields"])
		require.NotContains(t, formatError(quiet, err), "secret path")
	})
	t.Run("any other error becomes internal without its text", func(t *testing.T) {
		got := decode(t, formatError(quiet, errors.New("open /home/admin/.ferry/key: password=hunter2")))
		require.Equal(t, "internal", got["code"])
		require.NotContains(t, got["message"], "hunter2")
		require.NotContains(t, got, "fields")
	})
}

func TestEnumOf(t *testing.T) {
	got := enumOf(migration.Tabs)
	require.Len(t, got, 3)
	require.Equal(t, enumValue[migration.Tab]{Value: migration.TabInProgress, TSName: "IN_PROGRESS"}, got[0])
}

func TestWindowStateRoundTrip(t *testing.T) {
	dir := t.TempDir()
	_, ok := loadWindow(dir)
	require.False(t, ok, "nothing saved yet")
	require.NoError(t, saveWindow(dir, windowState{Width: 1400, Height: 900, X: 40, Y: 60}))
	got, ok := loadWindow(dir)
	require.True(t, ok)
	require.Equal(t, windowState{Width: 1400, Height: 900, X: 40, Y: 60}, got)
	// A size no one can use (a window squeezed to nothing) is ignored.
	require.NoError(t, saveWindow(dir, windowState{Width: 10, Height: 10}))
	_, ok = loadWindow(dir)
	require.False(t, ok)
}

// TestLimitMemory: Ferry sets its soft memory limit, and an admin's GOMEMLIMIT wins.
func TestLimitMemory(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	t.Setenv("GOMEMLIMIT", "")
	debug.SetMemoryLimit(math.MaxInt64)
	limitMemory()
	require.EqualValues(t, memoryLimit, debug.SetMemoryLimit(-1))

	t.Setenv("GOMEMLIMIT", "1GiB")
	debug.SetMemoryLimit(math.MaxInt64)
	limitMemory()
	require.EqualValues(t, int64(math.MaxInt64), debug.SetMemoryLimit(-1))
}
