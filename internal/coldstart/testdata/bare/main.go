// Command bare is the cold-start baseline: the smallest aws-lambda-go HTTP
// function, which answers every API Gateway v2 event with a 200. The
// coldstart harness builds it with the functions' tags and flags and times
// the functions against it.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func handle(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return events.APIGatewayV2HTTPResponse{
		StatusCode: 200,
		Headers:    map[string]string{"Content-Type": "application/json"},
		Body:       `{"status":"ok"}`,
	}, nil
}

func main() { lambda.Start(handle) }
