package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/annobridge/annobridge/internal/collab"
)

// MaxBodyBytes is the largest request body accepted (docs/architecture.md, HTTP conventions: 1 MiB).
const MaxBodyBytes = 1 << 20

// decodeJSON strictly decodes the request body into dst: JSON content type,
// at most 1 MiB, one value, no unknown fields, no key twice in an object, no
// key that matches a field only when case is ignored. Errors name the field.
func decodeJSON(r *http.Request, dst any) error {
	data, err := readJSON(r)
	if err != nil {
		return err
	}
	return decodeStrict(data, dst)
}

// decodeNamed decodes the body as decodeJSON does and answers which fields
// it named, for a handler where an absent field and a null one differ.
func decodeNamed(r *http.Request, dst any) (map[string]bool, error) {
	data, err := readJSON(r)
	if err != nil {
		return nil, err
	}
	if err := decodeStrict(data, dst); err != nil {
		return nil, err
	}
	var fields map[string]json.RawMessage
	_ = json.Unmarshal(data, &fields) // decodeStrict took it: an object
	named := make(map[string]bool, len(fields))
	for k := range fields {
		named[k] = true
	}
	return named, nil
}

// readJSON reads a JSON body whole (MaxBodyBytes at most).
func readJSON(r *http.Request) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return nil, collab.Errorf(collab.CodeUnsupported, "the body must be application/json")
		}
	}
	data, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, MaxBodyBytes))
	if err != nil {
		return nil, jsonError(err)
	}
	return data, nil
}

// decodeStrict decodes data, the whole body, into dst as decodeJSON does.
func decodeStrict(data []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		if isUnknownField(err) { // checkKeys names the field with its path and lists the known ones
			if kerr := checkKeys(data, reflect.TypeOf(dst)); kerr != nil {
				return kerr
			}
		}
		return jsonError(err)
	}
	var trailing json.RawMessage
	if err := dec.Decode(&trailing); !errors.Is(err, io.EOF) {
		if err != nil {
			return jsonError(err)
		}
		return invalidField("body", "must hold a single JSON value")
	}
	return checkKeys(data, reflect.TypeOf(dst))
}

// checkKeys refuses what encoding/json lets through in the objects of data,
// a single valid JSON value decoded into a value of type t: a key that
// appears twice in one object (the last would silently win), and a key that
// is not a field of the struct it fills but matches one when case is ignored
// (encoding/json would fill that field). The error names the key by its
// path, dotted like the fields of encoding/json's type errors.
func checkKeys(data []byte, t reflect.Type) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return walkKeys(dec, t, "")
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// walkKeys checks the next value of dec, to be decoded into t (nil: not
// known, only duplicate keys are checked).
func walkKeys(dec *json.Decoder, t reflect.Type, path string) error {
	tok, err := dec.Token()
	if err != nil {
		return jsonError(err)
	}
	delim, ok := tok.(json.Delim)
	if !ok {
		return nil // a scalar
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t != nil && (t.Kind() == reflect.Interface || reflect.PointerTo(t).Implements(unmarshalerType)) {
		t = nil // decoded by its own rules
	}
	switch delim {
	case '[':
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for dec.More() {
			if err := walkKeys(dec, elem, path); err != nil {
				return err
			}
		}
	case '{':
		var (
			fields map[string]reflect.Type // of a struct
			elem   reflect.Type            // of a map
		)
		if t != nil {
			switch t.Kind() {
			case reflect.Struct:
				fields = jsonFields(t)
			case reflect.Map:
				elem = t.Elem()
			}
		}
		seen := make(map[string]bool)
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return jsonError(err)
			}
			key, _ := tok.(string)
			field := key
			if path != "" {
				field = path + "." + key
			}
			if seen[key] {
				return invalidField(field, "appears more than once")
			}
			seen[key] = true
			next := elem
			if fields != nil {
				ft, known := fields[key]
				if !known {
					if name, ok := foldedField(fields, key); ok {
						return invalidField(field, fmt.Sprintf("is not a known field; field names are case-sensitive (did you mean %q?)", name))
					}
					return invalidField(field, "is not a known field; the fields are "+strings.Join(slices.Sorted(maps.Keys(fields)), ", "))
				}
				next = ft
			}
			if err := walkKeys(dec, next, field); err != nil {
				return err
			}
		}
	}
	if _, err := dec.Token(); err != nil { // the closing delimiter
		return jsonError(err)
	}
	return nil
}

// foldedField returns the field of fields that key names when case is
// ignored, as encoding/json matches them.
func foldedField(fields map[string]reflect.Type, key string) (string, bool) {
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		if strings.EqualFold(name, key) {
			return name, true
		}
	}
	return "", false
}

// jsonFields returns the JSON names of the fields encoding/json decodes into
// a struct of type t, with their types: exported fields by tag name or Go
// name, and the fields of embedded structs, which a field of the outer
// struct of the same name hides.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	return structFields(t, map[reflect.Type]bool{})
}

// structFields is jsonFields, not entering the embedded types in visiting.
func structFields(t reflect.Type, visiting map[reflect.Type]bool) map[string]reflect.Type {
	visiting[t] = true
	defer delete(visiting, t)
	fields := make(map[string]reflect.Type)
	var embedded []reflect.Type
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				if !visiting[ft] {
					embedded = append(embedded, ft)
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fields[name] = f.Type
	}
	for _, et := range embedded {
		for name, ft := range structFields(et, visiting) {
			if _, hidden := fields[name]; !hidden {
				fields[name] = ft
			}
		}
	}
	return fields
}

// renameField names a field of a validation error as the caller did (an
// older name a request may still use).
func renameField(err error, from, to string) error {
	var de *collab.Error
	if !errors.As(err, &de) || len(de.Fields) == 0 {
		return err
	}
	out := *de
	out.Fields = slices.Clone(de.Fields)
	for i := range out.Fields {
		if out.Fields[i].Field == from {
			out.Fields[i].Field = to
		}
	}
	return &out
}

func invalidField(field, msg string) error {
	var v collab.Validation
	v.Add(field, "%s", msg)
	return v.Err()
}

const unknownPf = "json: unknown field "

// isUnknownField reports encoding/json's error for a key no field takes.
func isUnknownField(err error) bool { return strings.HasPrefix(err.Error(), unknownPf) }

func jsonError(err error) error {
	var (
		syntax   *json.SyntaxError
		typ      *json.UnmarshalTypeError
		maxBytes *http.MaxBytesError
	)
	switch {
	case errors.As(err, &maxBytes):
		return collab.Errorf(collab.CodeTooLarge, "the body is larger than %d bytes", MaxBodyBytes)
	case errors.Is(err, io.EOF):
		return invalidField("body", "is empty; a JSON object is required")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return invalidField("body", "is not complete JSON")
	case errors.As(err, &syntax):
		return invalidField("body", fmt.Sprintf("is not valid JSON (at byte %d)", syntax.Offset))
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "body"
		}
		return invalidField(field, "must be a JSON "+jsonKind(typ.Type.Kind().String()))
	case isUnknownField(err):
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), unknownPf))
		return invalidField(name, "is not a known field")
	}
	return invalidField("body", "could not be read")
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice", "array":
		return "array"
	case "struct", "map":
		return "object"
	default:
		return "number"
	}
}

// pageOf reads limit and cursor from the query string.
func pageOf(r *http.Request) (collab.Page, error) {
	q := r.URL.Query()
	p := collab.Page{Cursor: q.Get("cursor")}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return p, invalidField("limit", "must be a whole number")
		}
		if n == 0 {
			return p, invalidField("limit", fmt.Sprintf("must be between 1 and %d", collab.MaxPageLimit))
		}
		p.Limit = n
	}
	return p.Normalize()
}

// list is the shape of every list answer.
type list[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"nextCursor"`
}

func newList[T any](items []T, next string) list[T] {
	l := list[T]{Items: items}
	if l.Items == nil {
		l.Items = []T{}
	}
	if next != "" {
		l.NextCursor = &next
	}
	return l
}
