package httpapi

//go:generate go run ./gendoc

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
)

// isPublic reports whether a route is served without a bearer token: the
// health check, this document, the invitation preview and the acceptance
// page (which has its own session).
func isPublic(pattern string) bool {
	method, path, _ := strings.Cut(pattern, " ")
	return pattern == "GET /healthz" || pattern == "GET /openapi.yaml" || pattern == "GET /invitations/{ref}" ||
		(strings.HasPrefix(path, "/invitations/page") && method != "")
}

// PublicPatterns lists the routes served without a token, for the template
// check (their HttpApi events must say Authorizer NONE).
func PublicPatterns() map[string]bool {
	out := map[string]bool{}
	for _, fn := range Functions {
		for _, p := range Patterns(fn) {
			if isPublic(p) {
				out[p] = true
			}
		}
	}
	return out
}

// op is what a route takes and answers, for the OpenAPI document: the
// request and answer bodies are the Go types the handler decodes and
// encodes, so the document is built from them (schemaOf) and the tests
// check every call against it.
type op struct {
	summary string
	in      any    // the JSON request body's type, as a zero value; nil: none
	inMedia string // a request body of another media type (text/csv)
	inOpt   bool   // the body may be left out
	html    bool   // a page: errors may be HTML pages too
	query   []param
	headers []param
	outs    []answer // the success answers; every route may answer 4XX and 5XX problems
}

// param is a query or header parameter.
type param struct {
	name, about string
	schema      map[string]any
	required    bool
}

// answer is one success status and its body type (nil: no content).
type answer struct {
	status int
	body   any
	media  string // "" application/json
}

func doc(summary string) op { return op{summary: summary} }

// body sets the JSON request body's type.
func (o op) body(v any) op { o.in = v; return o }

// optionalBody sets a JSON request body that may be left out.
func (o op) optionalBody(v any) op { o.in, o.inOpt = v, true; return o }

// media sets a request body of another media type.
func (o op) media(m string) op { o.inMedia = m; return o }

// ok adds a success answer with a JSON body.
func (o op) ok(status int, body any) op {
	o.outs = append(slices.Clone(o.outs), answer{status: status, body: body})
	return o
}

// noContent adds a success answer without a body.
func (o op) noContent(status int) op {
	o.outs = append(slices.Clone(o.outs), answer{status: status})
	return o
}

// okMedia adds a success answer of another media type.
func (o op) okMedia(status int, media string) op {
	o.outs = append(slices.Clone(o.outs), answer{status: status, media: media})
	return o
}

// q adds a query parameter: a string, or the schema given.
func (o op) q(name, about string, schema ...map[string]any) op {
	s := map[string]any{"type": "string"}
	if len(schema) > 0 {
		s = schema[0]
	}
	o.query = append(slices.Clone(o.query), param{name: name, about: about, schema: s})
	return o
}

// paged adds limit and cursor.
func (o op) paged() op {
	return o.q("limit", "How many items to answer (1 to 200, default 50).", map[string]any{"type": "integer", "minimum": 1, "maximum": 200}).
		q("cursor", "The nextCursor of the previous page.")
}

// header adds a request header parameter.
func (o op) header(name, about string) op {
	o.headers = append(slices.Clone(o.headers), param{name: name, about: about, schema: map[string]any{"type": "string"}})
	return o
}

// idempotent adds the Idempotency-Key header of mutating POSTs.
func (o op) idempotent() op {
	return o.header("Idempotency-Key", "Replays the first answer for the same key and body (24 hours); another body is 422.")
}

var pathParam = regexp.MustCompile(`\{(\w+)\}`)

// tagAbout describes each function's group of routes.
var tagAbout = map[string]string{
	"membership":    "Orgs, workspaces, projects, groups and project members.",
	"invite":        "Share links and invitations by email.",
	"accept":        "Accepting invitations (JSON and the acceptance page) and the caller's own view.",
	"collaborators": "Workspace collaborators, workspace members, project partners and background jobs.",
	"review":        "Items, the two-stage review, tasks, audit and analytics.",
}

// OpenAPIDocument builds the API's OpenAPI 3.0.3 document from the route
// table and the Go types of its bodies.
func OpenAPIDocument() map[string]any {
	g := &schemas{defs: map[string]any{}, names: map[string]reflect.Type{}}
	problemRef := g.ref(reflect.TypeFor[problem]())
	paths := map[string]map[string]any{}
	seen := map[string]bool{}
	var tags []any
	for _, fn := range Functions {
		tags = append(tags, map[string]any{"name": fn, "description": tagAbout[fn]})
		for _, rt := range (&API{}).routes(fn) {
			if seen[rt.pattern] {
				continue
			}
			seen[rt.pattern] = true
			method, path, _ := strings.Cut(rt.pattern, " ")
			if paths[path] == nil {
				paths[path] = map[string]any{}
			}
			paths[path][strings.ToLower(method)] = g.operation(fn, rt, problemRef)
		}
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{
			"title":   "annobridge",
			"version": "1",
			"description": "Cross-organization collaboration backend for data-annotation platforms. " +
				"Errors are application/problem+json (RFC 9457); lists take limit and cursor and answer {items, nextCursor}; " +
				"mutating POSTs honour an Idempotency-Key header. See docs/ for the rules.",
			"license": map[string]any{"name": "Proprietary", "url": "https://annobridge.dev/license"},
		},
		"servers":  []any{map[string]any{"url": "http://127.0.0.1:8080", "description": "make run"}},
		"security": []any{map[string]any{"bearer": []any{}}},
		"tags":     tags,
		"paths":    paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
			"schemas":         g.defs,
		},
	}
}

// OpenAPI renders the document as JSON, which is also YAML.
func OpenAPI() string {
	b, err := json.MarshalIndent(OpenAPIDocument(), "", "  ")
	if err != nil {
		panic(fmt.Sprintf("openapi: %v", err)) // the document is built from static types
	}
	return string(b) + "\n"
}

func (g *schemas) operation(fn string, rt route, problemRef map[string]any) map[string]any {
	method, path, _ := strings.Cut(rt.pattern, " ")
	o := rt.doc
	id := strings.ToLower(method) + strings.NewReplacer("/", "_", "{", "", "}", "", "-", "_", ".", "_").Replace(path)
	out := map[string]any{"operationId": id, "summary": o.summary, "tags": []any{fn}}
	if isPublic(rt.pattern) {
		out["security"] = []any{}
	}
	var params []any
	for _, p := range pathParam.FindAllStringSubmatch(path, -1) {
		params = append(params, map[string]any{"name": p[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
	}
	for _, p := range o.query {
		params = append(params, map[string]any{"name": p.name, "in": "query", "description": p.about, "required": p.required, "schema": p.schema})
	}
	for _, p := range o.headers {
		params = append(params, map[string]any{"name": p.name, "in": "header", "description": p.about, "required": p.required, "schema": p.schema})
	}
	if len(params) > 0 {
		out["parameters"] = params
	}
	switch {
	case o.in != nil:
		out["requestBody"] = map[string]any{"required": !o.inOpt, "content": map[string]any{
			"application/json": map[string]any{"schema": g.of(reflect.TypeOf(o.in))}}}
	case o.inMedia != "":
		out["requestBody"] = map[string]any{"required": true, "content": map[string]any{
			o.inMedia: map[string]any{"schema": map[string]any{"type": "string"}}}}
	}
	problemBody := map[string]any{"application/problem+json": map[string]any{"schema": problemRef}}
	if o.html {
		problemBody["text/html"] = map[string]any{"schema": map[string]any{"type": "string"}}
	}
	responses := map[string]any{
		"4XX": map[string]any{"description": "The request was refused; the problem says why and names the field.", "content": problemBody},
		"5XX": map[string]any{"description": "The service failed or is unavailable; retry later.", "content": problemBody},
	}
	for _, a := range o.outs {
		r := map[string]any{"description": http.StatusText(a.status) + "."}
		switch {
		case a.media != "":
			r["content"] = map[string]any{a.media: map[string]any{"schema": map[string]any{"type": "string"}}}
		case a.body != nil:
			r["content"] = map[string]any{"application/json": map[string]any{"schema": g.of(reflect.TypeOf(a.body))}}
		}
		responses[strconv.Itoa(a.status)] = r
	}
	out["responses"] = responses
	return out
}

// schemas turns Go types into OpenAPI 3.0.3 schemas the way encoding/json
// encodes them: named structs become components (additionalProperties
// false; the fields without omitempty or omitzero are required).
type schemas struct {
	defs  map[string]any
	names map[string]reflect.Type
}

var timeType = reflect.TypeFor[time.Time]()

// ref is the component reference of a named struct type, defining it once.
func (g *schemas) ref(t reflect.Type) map[string]any {
	name := componentName(t)
	if prev, ok := g.names[name]; ok {
		if prev != t {
			panic(fmt.Sprintf("openapi: %v and %v are both component %s", prev, t, name))
		}
	} else {
		g.names[name] = t
		g.defs[name] = nil // placeholder while recursing
		g.defs[name] = g.object(t)
	}
	return map[string]any{"$ref": "#/components/schemas/" + name}
}

// componentName is a type's component name: its Go name without a JSON
// suffix, capitalized; a generic list[T] is T's name and List.
func componentName(t reflect.Type) string {
	name := t.Name()
	if i := strings.IndexByte(name, '['); i >= 0 {
		base := name[:i]
		arg := name[i+1 : len(name)-1]
		arg = arg[strings.LastIndexByte(arg, '.')+1:]
		name = strings.TrimSuffix(arg, "JSON") + strings.ToUpper(base[:1]) + base[1:]
	}
	name = strings.TrimSuffix(name, "JSON")
	r := []rune(name)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}

// of is the schema of a value of type t.
func (g *schemas) of(t reflect.Type) map[string]any {
	if t == timeType {
		return map[string]any{"type": "string", "format": "date-time"}
	}
	switch t.Kind() {
	case reflect.Pointer:
		s := g.of(t.Elem())
		if _, isRef := s["$ref"]; isRef {
			return map[string]any{"type": "object", "allOf": []any{s}, "nullable": true}
		}
		s = cloneMap(s)
		s["nullable"] = true
		return s
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		if t == reflect.TypeFor[json.RawMessage]() {
			return anyValue()
		}
		return map[string]any{"type": "array", "items": g.of(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.of(t.Elem())}
	case reflect.Interface:
		return anyValue()
	case reflect.Struct:
		if t.Name() != "" {
			return g.ref(t)
		}
		return g.object(t)
	}
	panic(fmt.Sprintf("openapi: no schema for %v", t))
}

// object is the schema of a struct's JSON object.
func (g *schemas) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	g.fields(t, props, &required)
	sort.Strings(required)
	s := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

func (g *schemas) fields(t reflect.Type, props map[string]any, required *[]string) {
	for f := range t.Fields() {
		tag := f.Tag.Get("json")
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			switch {
			case f.Type.Kind() == reflect.Struct:
				g.fields(f.Type, props, required) // embedded: its fields are the object's
				continue
			case f.Type.Kind() == reflect.Pointer && f.Type.Elem().Kind() == reflect.Struct:
				var optional []string // an embedded pointer's fields come and go together
				g.fields(f.Type.Elem(), props, &optional)
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		omitted := strings.Contains(opts, "omitempty") || strings.Contains(opts, "omitzero")
		ft := f.Type
		if ft.Kind() == reflect.Pointer && omitted {
			ft = ft.Elem() // left out when nil, never null
		}
		s := g.of(ft)
		if e := f.Tag.Get("enum"); e != "" {
			s = cloneMap(s)
			var vals []any
			for _, v := range strings.Split(e, ",") {
				vals = append(vals, v)
			}
			s["enum"] = vals
		}
		if d := f.Tag.Get("doc"); d != "" {
			s = cloneMap(s)
			if _, isRef := s["$ref"]; isRef {
				s = map[string]any{"allOf": []any{s}}
			}
			s["description"] = d
		}
		if f.Tag.Get("deprecated") == "true" {
			s = cloneMap(s)
			s["deprecated"] = true
		}
		props[name] = s
		if !omitted {
			*required = append(*required, name)
		}
	}
}

// anyValue is the schema of any JSON value, null included (OpenAPI 3.0
// allows nullable on a typed schema only).
func anyValue() map[string]any {
	return map[string]any{"description": "Any JSON value.", "anyOf": []any{
		map[string]any{"type": "object", "nullable": true, "additionalProperties": true},
		map[string]any{"type": "array", "items": map[string]any{}},
		map[string]any{"type": "string"}, map[string]any{"type": "number"}, map[string]any{"type": "boolean"},
	}}
}

func cloneMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (a *API) openapi(w http.ResponseWriter, _ *http.Request) error {
	w.Header().Set("Content-Type", "application/yaml")
	w.Header().Set("Cache-Control", "public, max-age=300")
	openAPIOnce.Do(func() { openAPIText = OpenAPI() })
	_, _ = w.Write([]byte(openAPIText))
	return nil
}

// The document, rendered once.
var (
	openAPIOnce sync.Once
	openAPIText string
)
