package main

import (
	"os"
	"runtime/debug"
)

// memoryLimit is the heap size from which the garbage collector works harder instead of
// letting the heap grow to twice what is live: a database import holds many batches in
// flight, and without it a migration's peak RSS passes 200 MB for garbage alone (40 ms
// WAN bench: 214 MB without, 166 MB with, in the same time). It is soft: a heap that
// needs more gets it. GOMEMLIMIT, when set, decides instead.
const memoryLimit = 150 << 20

// limitMemory applies memoryLimit unless GOMEMLIMIT is set.
func limitMemory() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
}
