// Package service holds the use cases the UI (through app.go) and the headless
// commands call: list, get, create, delete, mark, stop, retry, attach, verify, continue,
// export. It owns input validation and turns every failure into an *Error with a Code.
package service
