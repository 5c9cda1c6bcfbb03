package app

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/awslabs/aws-lambda-go-api-proxy/core"

	"github.com/annobridge/annobridge/internal/auth"
	"github.com/annobridge/annobridge/internal/collab"
)

// GatewayAuthenticator reads the claims API Gateway's JWT authorizer
// verified, from the request context that ProxyWithContext filled from the
// Lambda event. It never reads a header.
type GatewayAuthenticator struct{}

// Authenticate returns the caller named by the authorizer's claims.
func (GatewayAuthenticator) Authenticate(r *http.Request) (collab.Caller, error) {
	rc, ok := core.GetAPIGatewayV2ContextFromContext(r.Context())
	if !ok || rc.Authorizer == nil || rc.Authorizer.JWT == nil {
		return collab.Caller{}, collab.Errorf(collab.CodeUnauthenticated, "the request carries no verified token")
	}
	c, err := auth.FromGatewayClaims(rc.Authorizer.JWT.Claims)
	if err != nil {
		return collab.Caller{}, collab.Wrap(collab.CodeUnauthenticated, err, "the verified token's identity claims are not usable")
	}
	return collab.Caller{UserID: c.Subject, Email: c.Email, Name: c.Name}, nil
}

// GatewaySourceIP is the client address API Gateway saw (requestContext.
// http.sourceIp of the Lambda event), never a forwarding header.
func GatewaySourceIP(r *http.Request) string {
	if rc, ok := core.GetAPIGatewayV2ContextFromContext(r.Context()); ok && rc.HTTP.SourceIP != "" {
		return rc.HTTP.SourceIP
	}
	return "unknown"
}

// StripProxyHeaders drops every X-GoLambdaProxy-* request header before
// routing: the adapter's header-based context must never be trusted.
func StripProxyHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for name := range r.Header {
			if strings.HasPrefix(strings.ToLower(name), "x-golambdaproxy-") {
				r.Header.Del(name)
			}
		}
		next.ServeHTTP(w, r)
	})
}

// WithLambdaIDs returns log adding to every record logged with a Lambda
// invocation's context the ids that find it elsewhere: apiRequestId, the
// HTTP API's request id (the access log's requestId), and lambdaRequestId,
// the invocation's (the START, END and REPORT lines of the function's log).
// The request log line's own requestId is the X-Request-Id answered to the
// client (docs/operations.md, "Logs").
func WithLambdaIDs(log *slog.Logger) *slog.Logger { return slog.New(lambdaIDs{log.Handler()}) }

type lambdaIDs struct{ slog.Handler }

func (h lambdaIDs) Handle(ctx context.Context, r slog.Record) error {
	if rc, ok := core.GetAPIGatewayV2ContextFromContext(ctx); ok && rc.RequestID != "" {
		r.AddAttrs(slog.String("apiRequestId", rc.RequestID))
	}
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		r.AddAttrs(slog.String("lambdaRequestId", lc.AwsRequestID))
	}
	return h.Handler.Handle(ctx, r)
}

func (h lambdaIDs) WithAttrs(attrs []slog.Attr) slog.Handler {
	return lambdaIDs{h.Handler.WithAttrs(attrs)}
}

func (h lambdaIDs) WithGroup(name string) slog.Handler { return lambdaIDs{h.Handler.WithGroup(name)} }
