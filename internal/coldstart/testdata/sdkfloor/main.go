// Command sdkfloor is a reference point for the cold-start harness, not a
// goal: the bare handler plus the least every annobridge function needs at
// init, a DynamoDB and an SQS client, built from the runtime's environment
// without aws-sdk-go-v2/config, behind interfaces of the operations
// internal/ddbstore and internal/sqsqueue call (so that the linker keeps
// them, as it does in the functions). Its distance from the bare handler is
// about what those two SDK clients themselves cost.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// table is the part of the DynamoDB client internal/ddbstore uses.
type table interface {
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
	BatchGetItem(context.Context, *dynamodb.BatchGetItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
	BatchWriteItem(context.Context, *dynamodb.BatchWriteItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
}

// sender is the part of the SQS client internal/sqsqueue uses.
type sender interface {
	SendMessage(context.Context, *sqs.SendMessageInput, ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

var (
	db    table
	queue sender
)

func handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	if db == nil || queue == nil {
		return events.APIGatewayV2HTTPResponse{StatusCode: 500}, nil
	}
	if req.RawPath == "/coldstart/call-every-operation" {
		// Never sent by the harness: it keeps the operations in the binary.
		return callEveryOperation(ctx)
	}
	return events.APIGatewayV2HTTPResponse{
		StatusCode: 200,
		Headers:    map[string]string{"Content-Type": "application/json"},
		Body:       `{"status":"ok"}`,
	}, nil
}

func main() {
	cfg := aws.Config{
		Region: os.Getenv("AWS_REGION"),
		Credentials: credentials.NewStaticCredentialsProvider(
			os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), os.Getenv("AWS_SESSION_TOKEN")),
	}
	db = dynamodb.NewFromConfig(cfg)
	queue = sqs.NewFromConfig(cfg)
	lambda.Start(handle)
}

// callEveryOperation calls each operation once, so that the linker keeps
// them (and their serializers) as it does in the functions.
func callEveryOperation(ctx context.Context) (events.APIGatewayV2HTTPResponse, error) {
	calls := []func() error{
		func() error { _, err := db.GetItem(ctx, &dynamodb.GetItemInput{}); return err },
		func() error { _, err := db.PutItem(ctx, &dynamodb.PutItemInput{}); return err },
		func() error { _, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{}); return err },
		func() error { _, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{}); return err },
		func() error { _, err := db.Query(ctx, &dynamodb.QueryInput{}); return err },
		func() error { _, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{}); return err },
		func() error { _, err := db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{}); return err },
		func() error { _, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{}); return err },
		func() error { _, err := queue.SendMessage(ctx, &sqs.SendMessageInput{}); return err },
	}
	for _, call := range calls {
		if err := call(); err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
	}
	return events.APIGatewayV2HTTPResponse{StatusCode: 204}, nil
}
