package pipeline

import (
	"context"
	"testing"

	"ferry/backend/hostlimit"
	"ferry/backend/migration"
	"ferry/backend/transfer"
	"ferry/backend/transfer/sftp"
)

// A batch migration's listing must fit its share of the host's connection budget: asking
// for all of transfer.ListConnections made two migrations analysing at once wait for each
// other's connections until the budget's stall timeout let one past.
func TestListersWithinBatchShare(t *testing.T) {
	ctx := context.Background()
	if got := listers(ctx, migration.ProtocolFTP); got != transfer.ListConnections {
		t.Errorf("single migration over FTP: %d listers, want %d", got, transfer.ListConnections)
	}
	l := hostlimit.New(hostlimit.Config{Lookup: func(int64) (hostlimit.Hosts, bool) {
		return hostlimit.Hosts{Source: "old.example.net", Destination: "new.example.com"}, true
	}})
	bctx := l.Context(ctx, 1)
	share := hostlimit.Workers(bctx, transfer.ListConnections)
	if share >= transfer.ListConnections || share < 1 {
		t.Fatalf("share of the default budget = %d, want 1..%d", share, transfer.ListConnections-1)
	}
	for _, proto := range []migration.Protocol{migration.ProtocolFTP, migration.ProtocolFTPS} {
		if got := listers(bctx, proto); got != share {
			t.Errorf("batch migration over %s: %d listers, want its share %d", proto, got, share)
		}
	}
	if got := listers(bctx, migration.ProtocolSFTP); got != sftp.DownloadStreams {
		t.Errorf("batch migration over SFTP: %d listers, want %d requests on the one login", got, sftp.DownloadStreams)
	}
}
