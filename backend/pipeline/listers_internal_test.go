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

type plainTree struct{ transfer.Tree }

func (plainTree) Close() error { return nil }

type listerTree struct{ plainTree }

func (listerTree) List(context.Context, string) ([]transfer.Entry, error) {
	return []transfer.Entry{{Path: "wp-content", IsDir: true}}, nil
}

// A batch migration's connections are wrapped to count against the budget; the wrapper
// must keep List, or ListAll walks the whole source on one connection.
func TestLimitedTreeKeepsLister(t *testing.T) {
	l := hostlimit.New(hostlimit.Config{Lookup: func(int64) (hostlimit.Hosts, bool) {
		return hostlimit.Hosts{Source: "127.0.0.1", Destination: "127.0.0.1"}, true
	}})
	ctx := l.Context(context.Background(), 1)
	ep := migration.Endpoint{Protocol: migration.ProtocolFTP, Host: "127.0.0.1", Port: 2121}
	for _, tc := range []struct {
		tree   transfer.Tree
		lister bool
	}{{listerTree{}, true}, {plainTree{}, false}} {
		open := limited(ep, func(context.Context) (transfer.Tree, error) { return tc.tree, nil })
		tr, err := open(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ls, ok := tr.(transfer.Lister)
		if ok != tc.lister {
			t.Errorf("%T wrapped: Lister %v, want %v", tc.tree, ok, tc.lister)
		}
		if ok {
			es, err := ls.List(ctx, ".")
			if err != nil || len(es) != 1 || es[0].Path != "wp-content" {
				t.Errorf("List through the wrapper = %v, %v; want the tree's one entry", es, err)
			}
		}
		if err := tr.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	}
}
