package local

import "ferry/backend/transfer"

// checkName refuses, before any file is touched, a path Windows cannot hold (aux.php,
// a:b, "index.php."): written anyway it would open a device, fail half-way or land under
// another name.
func checkName(clean string) error { return transfer.CheckWindowsPath(clean) }
