package archive_test

import (
	"archive/zip"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"ferry/backend/archive"
)

// ExampleVerifyZip checks a site zip the way the Verify button does.
func ExampleVerifyZip() {
	dir, _ := os.MkdirTemp("", "ferry-example")
	defer os.RemoveAll(dir)
	p := filepath.Join(dir, "wordpress-files.zip")
	f, _ := os.Create(p)
	w := zip.NewWriter(f)
	for name, body := range map[string]string{
		"public_html/wp-includes/version.php": "<?php\n$wp_version = '6.5.2';\n",
		"public_html/wp-config-sample.php":    "<?php\n$table_prefix = 'wp_';\n",
		"public_html/index.php":               "<?php\n",
	} {
		ew, _ := w.Create(name)
		ew.Write([]byte(body))
	}
	w.Close()
	f.Close()

	kind, _ := archive.Sniff(p)
	fmt.Println("kind:", kind)
	rep, err := archive.VerifyZip(context.Background(), p, archive.Limits{}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("usable:", rep.OK())
	for _, line := range rep.Found[1:] { // Found[0] gives sizes
		fmt.Println("found:", line)
	}
	for _, pr := range rep.Problems {
		fmt.Println("warning:", pr.Warning, pr.Message)
	}
	// Output:
	// kind: site_zip
	// usable: true
	// found: WordPress sits in the folder 'public_html/' of the zip; its contents go to the docroot
	// found: WordPress 6.5.2
	// warning: true wordpress-files.zip: wp-config.php is missing from the archive; Ferry will write one for the destination from wp-config-sample.php.
}
