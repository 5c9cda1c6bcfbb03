// Command gendoc writes the API's OpenAPI document to docs/openapi.json
// (go generate ./internal/httpapi), for Redocly and for readers; a test
// fails when the file and the routes disagree.
package main

import (
	"log"
	"os"

	"github.com/annobridge/annobridge/internal/httpapi"
)

func main() {
	out := "../../docs/openapi.json"
	if len(os.Args) > 1 {
		out = os.Args[1]
	}
	if err := os.WriteFile(out, []byte(httpapi.OpenAPI()), 0o644); err != nil {
		log.Fatal(err)
	}
}
