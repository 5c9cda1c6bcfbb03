package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/annobridge/annobridge/internal/collab"
)

// MaxBodyBytes is the largest request body accepted (SPEC §8: 1 MiB).
const MaxBodyBytes = 1 << 20

// decodeJSON strictly decodes the request body into dst: JSON content type,
// at most 1 MiB, one value, no unknown fields. Errors name the field.
func decodeJSON(r *http.Request, dst any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return collab.Errorf(collab.CodeUnsupported, "the body must be application/json")
		}
	}
	body := http.MaxBytesReader(nil, r.Body, MaxBodyBytes)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	var trailing json.RawMessage
	if err := dec.Decode(&trailing); !errors.Is(err, io.EOF) {
		if err != nil {
			return jsonError(err)
		}
		return invalidField("body", "must hold a single JSON value")
	}
	return nil
}

func invalidField(field, msg string) error {
	var v collab.Validation
	v.Add(field, "%s", msg)
	return v.Err()
}

func jsonError(err error) error {
	var (
		syntax    *json.SyntaxError
		typ       *json.UnmarshalTypeError
		maxBytes  *http.MaxBytesError
		unknownPf = "json: unknown field "
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
	case strings.HasPrefix(err.Error(), unknownPf):
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
