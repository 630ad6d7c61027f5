// Package mysqldb moves WordPress databases for Ferry: it opens MySQL/MariaDB connections
// (directly, over TLS, or through an SSH tunnel on the site's SFTP login), dumps a database
// to a stream of plain SQL, imports such a stream (Ferry's own dumps, mysqldump files,
// .sql.gz) with values rewritten on the way, and inspects servers for the analysis, check
// and validation steps.
//
// Everything streams: a dump or an import holds a few megabytes of SQL at a time however
// large the database is. Errors never contain passwords.
package mysqldb
