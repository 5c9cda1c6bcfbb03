package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/annobridge/annobridge/internal/app"
)

// A line logged while a Lambda serves an HTTP API request carries the API's
// request id (the access log's requestId) and the invocation's.
func TestLogLinesCarryGatewayAndLambdaIDs(t *testing.T) {
	var buf bytes.Buffer
	log := app.WithLambdaIDs(slog.New(slog.NewJSONHandler(&buf, nil)).With("function", "membership"))
	h := httpadapter.NewV2(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.InfoContext(r.Context(), "request", "status", 200)
		log.Info("no context")
		w.WriteHeader(http.StatusNoContent)
	}))
	ev := events.APIGatewayV2HTTPRequest{RawPath: "/healthz", RequestContext: events.APIGatewayV2HTTPRequestContext{
		RequestID: "Ab1cDEfGhIJKLmN=", HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET", Path: "/healthz"}}}
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "6f3c8d1e-0000-4000-8000-000000000001"})
	if _, err := h.ProxyWithContext(ctx, ev); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(&buf)
	var first, second map[string]any
	if err := dec.Decode(&first); err != nil {
		t.Fatal(err)
	}
	if err := dec.Decode(&second); err != nil {
		t.Fatal(err)
	}
	if first["apiRequestId"] != "Ab1cDEfGhIJKLmN=" || first["lambdaRequestId"] != "6f3c8d1e-0000-4000-8000-000000000001" || first["function"] != "membership" {
		t.Fatalf("with the request's context: %v", first)
	}
	if _, ok := second["apiRequestId"]; ok {
		t.Fatalf("without a context: %v", second)
	}
}
