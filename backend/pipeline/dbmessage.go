package pipeline

import (
	"errors"
	"fmt"

	"ferry/backend/migration"
	"ferry/backend/mysqldb"
)

// sourceConnFailure words a failure to reach the source database. A refused login names
// the user and the server it tried (user@host:port), never the password: the admin needs to
// know which of the credentials Ferry used, read from wp-config.php or typed in the form.
func sourceConnFailure(db migration.Database, ce *mysqldb.ConnError) error {
	via := ""
	if db.SSHTunnel {
		via = " through the SSH tunnel"
	}
	if errors.Is(ce, mysqldb.ErrAccessDenied) {
		return migration.Fail(fmt.Sprintf("Login failed on the source database as %s@%s%s", db.User, hostPort(db), via), ce.Err)
	}
	return migration.Fail("Cannot connect to the source database: "+ce.Msg, ce.Err)
}
