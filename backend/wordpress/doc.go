// Package wordpress knows what Ferry needs to know about WordPress itself: where a
// site lives in a file tree and which version it is (DetectFiles), what its
// wp-config.php says and how to point it at the destination database (ParseConfig,
// RewriteConfig), which prefix and URL a database dump holds (DetectDump), how to move
// the site URL inside database values without breaking PHP serialized data
// (Replacer), and how to check the moved site (RowCounts, Files, SerializedValues,
// SiteURL, Replacer.OldURLLeft, HTTP).
//
// Nothing here does network or database I/O of its own except the optional HTTP check
// in validation; callers feed it bytes, file trees and iterators.
package wordpress
