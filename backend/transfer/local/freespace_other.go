//go:build !unix && !windows

package local

import "ferry/backend/transfer"

func freeSpace(string) (int64, error) { return 0, transfer.ErrUnsupported }
