package pipeline

import (
	"ferry/backend/migration"
	"ferry/backend/wordpress"
)

// newReplacer is the import's rewrite: oldURL to the migration's new URL, plus the admin's
// extra find → replace pairs.
func newReplacer(oldURL string, m migration.Migration) (*wordpress.Replacer, error) {
	rw, err := wordpress.NewReplacer(oldURL, m.NewURL)
	if err != nil {
		return nil, err
	}
	if len(m.Options.Replacements) > 0 {
		extras := make([]wordpress.Extra, 0, len(m.Options.Replacements))
		for _, r := range m.Options.Replacements {
			extras = append(extras, wordpress.Extra{Find: r.Find, Replace: r.Replace})
		}
		if err := rw.SetExtras(extras); err != nil {
			return nil, err
		}
	}
	return rw, nil
}
