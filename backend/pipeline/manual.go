package pipeline

import (
	"context"
	"errors"
	"io"

	"ferry/backend/migration"
)

// Attachments gives the files an admin attached to a manual migration.
type Attachments interface {
	// AttachedSQL returns the path of the attached SQL dump.
	AttachedSQL(ctx context.Context, id int64) (string, error)
	// AttachedZip returns the path of the attached site zip.
	AttachedZip(ctx context.Context, id int64) (string, error)
}

// openAttachedSQL opens the dump attached to a manual migration.
func (p *Pipeline) openAttachedSQL(ctx context.Context, m migration.Migration) (io.ReadCloser, int64, error) {
	return nil, 0, migration.Fail("Database dump file is missing, empty, or corrupt", errors.New("manual migrations are not wired yet"))
}
