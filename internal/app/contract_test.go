package app_test

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/annobridge/annobridge/internal/contract"
	"github.com/annobridge/annobridge/internal/httpapi"
)

// contractChecker checks the Lambda handlers' answers (and the events they
// accepted) against the OpenAPI document, as internal/httpapi's tests do
// for the routers.
var contractChecker = func() *contract.Checker {
	c, err := contract.Load([]byte(httpapi.OpenAPI()))
	if err != nil {
		panic(err)
	}
	return c
}()

// checkContract replays one API Gateway event and its Lambda answer through
// the contract check and fails the test for what it finds. The event's
// verified claims stand for the bearer token the document asks for.
func checkContract(t *testing.T, ev events.APIGatewayV2HTTPRequest, res events.APIGatewayV2HTTPResponse) {
	t.Helper()
	body := ev.Body
	if ev.IsBase64Encoded {
		raw, err := base64.StdEncoding.DecodeString(ev.Body)
		if err != nil {
			t.Fatalf("%s: body: %v", ev.RouteKey, err)
		}
		body = string(raw)
	}
	target := ev.RawPath
	if ev.RawQueryString != "" {
		target += "?" + ev.RawQueryString
	}
	req := httptest.NewRequest(ev.RequestContext.HTTP.Method, target, strings.NewReader(body))
	for k, v := range ev.Headers {
		req.Header.Set(k, v)
	}
	if a := ev.RequestContext.Authorizer; a != nil && a.JWT != nil && req.Header.Get("Authorization") == "" {
		req.Header.Set("Authorization", "Bearer verified-by-the-gateway")
	}
	answer := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		for k, v := range res.Headers {
			w.Header().Set(k, v)
		}
		for k, vs := range res.MultiValueHeaders {
			for _, v := range vs {
				w.Header().Add(k, v)
			}
		}
		w.WriteHeader(res.StatusCode)
		out := res.Body
		if res.IsBase64Encoded {
			raw, _ := base64.StdEncoding.DecodeString(res.Body)
			out = string(raw)
		}
		_, _ = io.WriteString(w, out)
	})
	rec := httptest.NewRecorder()
	contractChecker.Middleware(answer).ServeHTTP(rec, req)
	for _, v := range contractChecker.Take(rec.Header().Get("X-Request-Id")) {
		t.Errorf("contract: %s", v)
	}
}
