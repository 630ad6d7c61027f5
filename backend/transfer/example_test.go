package transfer_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"ferry/backend/transfer"
	"ferry/backend/transfer/local"
)

// ExampleMirror copies a site folder into a staging folder and writes the manifest
// next to it, the way the "Download files" step does with an FTP or SFTP source.
func ExampleMirror() {
	src, _ := os.MkdirTemp("", "site")
	staging, _ := os.MkdirTemp("", "staging")
	defer os.RemoveAll(src)
	defer os.RemoveAll(staging)
	_ = os.WriteFile(filepath.Join(src, ".htaccess"), []byte("RewriteEngine On\n"), 0o644)
	_ = os.MkdirAll(filepath.Join(src, "wp-content/cache"), 0o755)
	_ = os.WriteFile(filepath.Join(src, "wp-content/cache/page.html"), []byte("cached"), 0o644)

	man, err := transfer.Mirror(context.Background(), local.Opener(src), local.Opener(staging), transfer.MirrorOptions{
		Exclude:      []string{"wp-content/cache/**"},
		ManifestPath: filepath.Join(staging, transfer.ManifestName),
	})
	if err != nil {
		fmt.Println(transfer.Message(err))
		return
	}
	for _, f := range man.Files {
		fmt.Println(f.Path, f.Size, f.SHA256[:12])
	}
	// Output: .htaccess 17 116a3fcab830
}
