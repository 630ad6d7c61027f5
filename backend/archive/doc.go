// Package archive handles the two files an admin attaches to a manual migration: the
// site zip and the database dump (.sql, .sql.gz or a zip holding the .sql).
//
// Sniff and Attach recognise a file by its content in a few reads, so attaching a
// multi-GB file is instant. VerifyZip and ScanSQL read everything once, streamed, and
// return a report of what they found and every problem, each problem one sentence that
// says what to do. Extract streams the zip's entries straight into a transfer.Tree in
// parallel, refusing unsafe archives before it writes anything.
//
// Nothing here trusts the archive: names are sanitised (zip-slip, absolute paths,
// control characters), links are refused, and sizes and compression ratios are counted
// while streaming rather than read from headers, so a zip bomb stops at the limit.
package archive
