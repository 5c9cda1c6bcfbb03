package httpapi

import (
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
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

var pathParam = regexp.MustCompile(`\{(\w+)\}`)

// OpenAPI renders the API's routes as an OpenAPI 3 document, from the same
// route table the routers serve.
func OpenAPI() string {
	type op struct{ method, fn string }
	paths := map[string][]op{}
	seen := map[string]bool{}
	for _, fn := range Functions {
		for _, p := range Patterns(fn) {
			if seen[p] {
				continue
			}
			seen[p] = true
			method, path, _ := strings.Cut(p, " ")
			paths[path] = append(paths[path], op{strings.ToLower(method), fn})
		}
	}
	keys := make([]string, 0, len(paths))
	for k := range paths {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(`openapi: 3.0.3
info:
  title: annobridge
  version: "1"
  description: >-
    Cross-organization collaboration backend for data-annotation platforms.
    Errors are application/problem+json (RFC 9457); lists take limit and
    cursor and answer {items, nextCursor}; mutating POSTs honour an
    Idempotency-Key header. See docs/ for the rules.
security:
  - bearer: []
components:
  securitySchemes:
    bearer:
      type: http
      scheme: bearer
      bearerFormat: JWT
  schemas:
    Problem:
      type: object
      properties:
        type: {type: string}
        title: {type: string}
        status: {type: integer}
        detail: {type: string}
        instance: {type: string}
        requestId: {type: string}
        errors:
          type: array
          items:
            type: object
            properties:
              field: {type: string}
              message: {type: string}
  responses:
    Problem:
      description: An error, as a problem document.
      content:
        application/problem+json:
          schema: {$ref: "#/components/schemas/Problem"}
paths:
`)
	for _, path := range keys {
		fmt.Fprintf(&b, "  %s:\n", path)
		ops := paths[path]
		sort.Slice(ops, func(i, j int) bool { return ops[i].method < ops[j].method })
		for _, o := range ops {
			pattern := strings.ToUpper(o.method) + " " + path
			id := o.method + strings.NewReplacer("/", "_", "{", "", "}", "", "-", "_", ".", "_").Replace(path)
			fmt.Fprintf(&b, "    %s:\n      operationId: %s\n      tags: [%s]\n", o.method, id, o.fn)
			if isPublic(pattern) {
				b.WriteString("      security: []\n")
			}
			params := pathParam.FindAllStringSubmatch(path, -1)
			if len(params) > 0 {
				b.WriteString("      parameters:\n")
				for _, p := range params {
					fmt.Fprintf(&b, "        - {name: %s, in: path, required: true, schema: {type: string}}\n", p[1])
				}
			}
			b.WriteString("      responses:\n        \"2XX\":\n          description: Success.\n        default:\n          $ref: \"#/components/responses/Problem\"\n")
		}
	}
	return b.String()
}

func (a *API) openapi(w http.ResponseWriter, _ *http.Request) error {
	w.Header().Set("Content-Type", "application/yaml")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write([]byte(OpenAPI()))
	return nil
}
