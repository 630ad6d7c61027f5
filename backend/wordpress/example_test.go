package wordpress_test

import (
	"fmt"

	"ferry/backend/wordpress"
)

func ExampleReplacer() {
	r, err := wordpress.NewReplacer("http://old.test", "https://new.example/blog")
	if err != nil {
		panic(err)
	}
	// A widget option: the string grows, its serialized length is recomputed.
	out, changed := r.RewriteString("wp_options", "option_value",
		[]byte(`a:1:{s:4:"text";s:28:"<a href="http://old.test/">x";}`))
	fmt.Println(string(out), changed)
	// Elementor JSON with escaped slashes, and a host that only looks similar.
	out, _ = r.RewriteString("wp_postmeta", "meta_value", []byte(`{"url":"http:\/\/old.test\/a","b":"http:\/\/bold.test"}`))
	fmt.Println(string(out))
	fmt.Println(r.Stats().Values, "values changed")
	// Output:
	// a:1:{s:4:"text";s:37:"<a href="https://new.example/blog/">x";} true
	// {"url":"https:\/\/new.example\/blog\/a","b":"http:\/\/bold.test"}
	// 2 values changed
}

func ExampleRewriteConfig() {
	src := []byte("<?php\ndefine( 'DB_NAME', 'old_db' ); // keep this comment\n$table_prefix = 'wp_';\n")
	out, _, err := wordpress.RewriteConfig(src, wordpress.Changes{DBName: "new_db", DBPassword: "it's"})
	if err != nil {
		panic(err)
	}
	fmt.Print(string(out))
	// Output:
	// <?php
	// define( 'DB_NAME', 'new_db' ); // keep this comment
	// $table_prefix = 'wp_';
	// define( 'DB_PASSWORD', 'it\'s' );
}
