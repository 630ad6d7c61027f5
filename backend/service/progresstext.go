package service

import (
	"fmt"
	"math"
	"strings"
)

// ProgressText formats a running step's progress the way the Status cell shows it:
// "42% · 12.4 MB/s · 1 min left". Parts that are unknown are left out.
func ProgressText(percent, speed, etaSeconds float64) string {
	var parts []string
	if percent > 0 {
		parts = append(parts, fmt.Sprintf("%d%%", int(percent)))
	}
	if speed > 0 {
		parts = append(parts, Rate(speed))
	}
	if etaSeconds >= 0 && speed > 0 && percent < 100 {
		parts = append(parts, TimeLeft(etaSeconds))
	}
	return strings.Join(parts, " · ")
}

// Rate formats bytes per second in SI units ("12.4 MB/s").
func Rate(bps float64) string {
	units := []string{"B/s", "kB/s", "MB/s", "GB/s"}
	i := 0
	for bps >= 1000 && i < len(units)-1 {
		bps /= 1000
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0f %s", bps, units[i])
	}
	return fmt.Sprintf("%.1f %s", bps, units[i])
}

// TimeLeft formats an ETA coarsely, as people say it ("less than a minute left",
// "3 min left", "1 h 20 min left").
func TimeLeft(sec float64) string {
	switch {
	case sec < 60:
		return "less than a minute left"
	case sec < 3600:
		return fmt.Sprintf("%d min left", int(math.Round(sec/60)))
	}
	h := int(sec / 3600)
	m := int(math.Round((sec - float64(h)*3600) / 60))
	return fmt.Sprintf("%d h %d min left", h, m)
}
