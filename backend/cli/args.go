package cli

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"ferry/backend/service"
)

// parseArgs parses flags wherever they stand, so `ferry retry 12 --from-start` works as
// well as `ferry retry --from-start 12`: the standard flag package stops at the first
// argument that is not a flag. Everything after "--" stays positional.
func parseArgs(fs *flag.FlagSet, args []string) error {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if len(args) > 0 && len(rest) < len(args) && args[len(args)-len(rest)-1] == "--" {
			positional = append(positional, rest...)
			break
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
	return fs.Parse(append([]string{"--"}, positional...))
}

// describe spells out a service error with its per-field messages, each field named as
// the command's flag (list, export).
func describe(err error) string {
	return describeAs(err, func(k string) string { return "--" + k }, "")
}

// describeSpec is describe for `ferry migrate`, whose fields are the job file's JSON
// fields: the CLI has no form and no such flags.
func describeSpec(err error) string {
	return describeAs(err, func(k string) string { return fmt.Sprintf("%q", k) }, "Check the job file: ")
}

func describeAs(err error, name func(string) string, prefix string) string {
	var e *service.Error
	if !errors.As(err, &e) {
		return err.Error()
	}
	msg := e.Message
	if rest, ok := strings.CutPrefix(msg, "Check the form: "); ok && prefix != "" {
		msg = prefix + rest
	}
	if len(e.Fields) == 0 {
		return msg
	}
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, name(k)+": "+e.Fields[k])
	}
	return msg + " (" + strings.Join(parts, "; ") + ")"
}

// jsonError says where in the job file a decoding error is, as line:column, and names
// the field and the kind of value expected instead of Go's type names.
func jsonError(path string, data []byte, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		line, col := position(data, syn.Offset)
		return fmt.Errorf("%s:%d:%d: not valid JSON: %s", path, line, col, strings.TrimPrefix(syn.Error(), "invalid character "))
	case errors.As(err, &typ):
		line, col := position(data, typ.Offset)
		return fmt.Errorf("%s:%d:%d: %s must be %s, not a JSON %s", path, line, col, fieldName(typ.Field), kindOf(typ.Type.Kind().String()), typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%s: the JSON ends too early (a missing } or ]?)", path)
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return fmt.Errorf("%s: unknown field %s (see README: \"ferry migrate\" job files)", path, f)
	}
	return fmt.Errorf("%s: %w", path, err)
}

// position turns a byte offset into a 1-based line and column.
func position(data []byte, off int64) (line, col int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	line, col = 1, 1
	for _, b := range data[:off] {
		if b == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

// fieldName turns the decoder's Go-side field path (CreateInput.source.port) into the job
// file's own (source.port).
func fieldName(f string) string {
	if i := strings.Index(f, "."); i >= 0 && strings.ToUpper(f[:1]) == f[:1] {
		f = f[i+1:]
	}
	if f == "" {
		return "the value"
	}
	return f
}

func kindOf(k string) string {
	switch {
	case strings.HasPrefix(k, "int"), strings.HasPrefix(k, "uint"), strings.HasPrefix(k, "float"):
		return "a number"
	case k == "string":
		return "a string"
	case k == "bool":
		return "true or false"
	case k == "slice":
		return "a list"
	case k == "struct", k == "map":
		return "an object"
	}
	return "a " + k
}
