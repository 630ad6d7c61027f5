package service

import (
	"context"
	"strconv"
)

// Settings are the admin's preferences, kept in the history.
type Settings struct {
	// ConcurrentMigrations is how many migrations run at once (1..8, default 2).
	ConcurrentMigrations int `json:"concurrentMigrations"`
	// TransferConnections is the number of parallel connections per file transfer
	// (1..16), or 0, the default: automatic (4, growing to 8 on an FTP server while each
	// added connection still speeds the copy up).
	TransferConnections int `json:"transferConnections"`
	// Theme is "system", "light" or "dark".
	Theme string `json:"theme"`
	// DataDir is where the history and staging files live (read-only here: set
	// FERRY_DATA_DIR to move it).
	DataDir string `json:"dataDir"`
}

// Setting keys.
const (
	keyConcurrency = "concurrent_migrations"
	keyConnections = "transfer_connections"
	keyTheme       = "theme"
)

func (s *Service) intSetting(ctx context.Context, key string, def, lo, hi int) int {
	v, err := s.st.Setting(ctx, key)
	if err != nil {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return def
	}
	return n
}

// GetSettings returns the current settings.
func (s *Service) GetSettings(ctx context.Context) (Settings, error) {
	theme, err := s.st.Setting(ctx, keyTheme)
	if err != nil || (theme != "light" && theme != "dark") {
		theme = "system"
	}
	return Settings{
		ConcurrentMigrations: s.intSetting(ctx, keyConcurrency, 2, 1, 8),
		TransferConnections:  s.intSetting(ctx, keyConnections, 0, 0, 16),
		Theme:                theme,
		DataDir:              s.dataDir,
	}, nil
}

// SaveSettings validates and stores the settings; the runner and the pipeline take them
// at once (transfers already running keep their connections).
func (s *Service) SaveSettings(ctx context.Context, in Settings) (Settings, error) {
	fe := fieldErrors{}
	if in.ConcurrentMigrations < 1 || in.ConcurrentMigrations > 8 {
		fe.add("concurrentMigrations", "Choose between 1 and 8 migrations at once.")
	}
	if in.TransferConnections < 0 || in.TransferConnections > 16 {
		fe.add("transferConnections", "Choose between 1 and 16 connections, or leave it empty for automatic.")
	}
	if in.Theme != "system" && in.Theme != "light" && in.Theme != "dark" {
		fe.add("theme", "Choose system, light or dark.")
	}
	if len(fe) > 0 {
		return Settings{}, &Error{Code: CodeInvalid, Message: invalidMessage(fe), Fields: fe}
	}
	for k, v := range map[string]string{
		keyConcurrency: strconv.Itoa(in.ConcurrentMigrations),
		keyConnections: strconv.Itoa(in.TransferConnections),
		keyTheme:       in.Theme,
	} {
		if err := s.st.SetSetting(ctx, k, v); err != nil {
			return Settings{}, fail(err, "save settings")
		}
	}
	if r := s.getRunner(); r != nil {
		r.SetConcurrency(in.ConcurrentMigrations)
	}
	s.mu.RLock()
	p := s.pipe
	s.mu.RUnlock()
	if p != nil {
		p.SetConnections(in.TransferConnections)
	}
	s.log.Info("settings saved", "concurrent", in.ConcurrentMigrations, "connections", in.TransferConnections)
	return s.GetSettings(ctx)
}
