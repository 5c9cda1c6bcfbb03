// Package streampoll plays the Lambda DynamoDB stream event source locally:
// it reads every shard of the table's stream from where it began (the
// shards open at its start from their end, as the event source's LATEST
// does; shards opened later from their start) and hands each batch, as
// events.DynamoDBEvent, to the same handler the Lambda runs. A batch with
// failures is read again from the first failed record (the event source's
// ReportBatchItemFailures), after RetryDelay; a record that fails more
// than MaxRetries times is logged and skipped (where the event source sends
// it to its on-failure destination).
package streampoll

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// API is the part of the streams client the poller uses.
type API interface {
	DescribeStream(context.Context, *dynamodbstreams.DescribeStreamInput, ...func(*dynamodbstreams.Options)) (*dynamodbstreams.DescribeStreamOutput, error)
	GetShardIterator(context.Context, *dynamodbstreams.GetShardIteratorInput, ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetShardIteratorOutput, error)
	GetRecords(context.Context, *dynamodbstreams.GetRecordsInput, ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetRecordsOutput, error)
}

// Poller reads one stream.
type Poller struct {
	Client     API
	StreamARN  string
	BatchSize  int32 // at most 1000
	Interval   time.Duration
	RetryDelay time.Duration
	MaxRetries int
	Handle     func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error)
	Log        *slog.Logger

	shards map[string]*shard
}

type shard struct {
	iterator string // "" once the shard is closed and read
	retryAt  time.Time
	failSeq  string // the record that failed last, and how often in a row
	fails    int
	last     string // the last record handled: an expired iterator resumes after it
}

// Run polls until ctx ends.
func (p *Poller) Run(ctx context.Context) {
	p.shards = map[string]*shard{}
	first := true
	for ctx.Err() == nil {
		if err := p.discover(ctx, first); err != nil {
			if ctx.Err() == nil {
				p.Log.Warn("describe stream", "err", err)
			}
		} else {
			first = false
		}
		busy := false
		for id, sh := range p.shards {
			if sh.iterator != "" && time.Now().After(sh.retryAt) {
				if p.read(ctx, id, sh) {
					busy = true
				}
			}
		}
		if !busy {
			select {
			case <-ctx.Done():
			case <-time.After(p.Interval):
			}
		}
	}
}

// discover finds the stream's shards; those open at the first pass start
// at their end (LATEST), any found later at their start.
func (p *Poller) discover(ctx context.Context, first bool) error {
	var start *string
	for {
		out, err := p.Client.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: &p.StreamARN, ExclusiveStartShardId: start})
		if err != nil {
			return err
		}
		for _, s := range out.StreamDescription.Shards {
			id := aws.ToString(s.ShardId)
			if _, ok := p.shards[id]; ok {
				continue
			}
			closed := s.SequenceNumberRange != nil && s.SequenceNumberRange.EndingSequenceNumber != nil
			if first && closed {
				p.shards[id] = &shard{} // history before the poller: not ours
				continue
			}
			typ := types.ShardIteratorTypeTrimHorizon
			if first {
				typ = types.ShardIteratorTypeLatest
			}
			it, err := p.Client.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: &p.StreamARN, ShardId: &id, ShardIteratorType: typ})
			if err != nil {
				return err
			}
			p.shards[id] = &shard{iterator: aws.ToString(it.ShardIterator)}
		}
		start = out.StreamDescription.LastEvaluatedShardId
		if start == nil {
			return nil
		}
	}
}

// read reads one batch of a shard; true when it had records.
func (p *Poller) read(ctx context.Context, id string, sh *shard) bool {
	out, err := p.Client.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: &sh.iterator, Limit: aws.Int32(max(1, min(p.BatchSize, 1000)))})
	if err != nil {
		var expired *types.ExpiredIteratorException
		if errors.As(err, &expired) {
			// Resume after the last record handled (never from the start:
			// that would send again what was sent); with none handled, at
			// the shard's end.
			in := &dynamodbstreams.GetShardIteratorInput{StreamArn: &p.StreamARN, ShardId: &id, ShardIteratorType: types.ShardIteratorTypeLatest}
			if sh.last != "" {
				in.ShardIteratorType, in.SequenceNumber = types.ShardIteratorTypeAfterSequenceNumber, &sh.last
			}
			if it, ierr := p.Client.GetShardIterator(ctx, in); ierr == nil {
				sh.iterator = aws.ToString(it.ShardIterator)
			}
		} else if ctx.Err() == nil {
			p.Log.Warn("get records", "shard", id, "err", err)
		}
		return false
	}
	if len(out.Records) == 0 {
		sh.iterator = aws.ToString(out.NextShardIterator)
		return false
	}
	ev := events.DynamoDBEvent{Records: make([]events.DynamoDBEventRecord, len(out.Records))}
	for i, r := range out.Records {
		ev.Records[i] = record(r, p.StreamARN)
	}
	resp, err := p.Handle(ctx, ev)
	failedAt := -1
	if err != nil {
		failedAt = 0
	} else if len(resp.BatchItemFailures) > 0 {
		for i, r := range ev.Records {
			for _, f := range resp.BatchItemFailures {
				if f.ItemIdentifier == r.Change.SequenceNumber && (failedAt < 0 || i < failedAt) {
					failedAt = i
				}
			}
		}
	}
	if failedAt < 0 {
		sh.iterator, sh.last = aws.ToString(out.NextShardIterator), ev.Records[len(ev.Records)-1].Change.SequenceNumber
		return true
	}
	// Read again from the first failure, after the delay; past it once it
	// failed more than MaxRetries times in a row.
	seq := ev.Records[failedAt].Change.SequenceNumber
	if seq == sh.failSeq {
		sh.fails++
	} else {
		sh.failSeq, sh.fails = seq, 1
	}
	from := types.ShardIteratorTypeAtSequenceNumber
	if sh.fails > p.MaxRetries {
		p.Log.Error("stream record failed too often: skipped", "shard", id, "sequence", seq, "fails", sh.fails, "err", err)
		from, sh.failSeq, sh.fails = types.ShardIteratorTypeAfterSequenceNumber, "", 0
	}
	it, ierr := p.Client.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: &p.StreamARN, ShardId: &id,
		ShardIteratorType: from, SequenceNumber: &seq})
	if ierr != nil {
		p.Log.Warn("stream retry iterator", "shard", id, "err", ierr)
		return false
	}
	sh.iterator, sh.retryAt = aws.ToString(it.ShardIterator), time.Now().Add(p.RetryDelay)
	p.Log.Warn("stream batch failed; reading it again", "shard", id, "from", seq, "err", err)
	return false
}

// record converts a streams record to the Lambda event's (string and
// number attributes of the keys and new image; the rest is not needed).
func record(r types.Record, arn string) events.DynamoDBEventRecord {
	out := events.DynamoDBEventRecord{EventID: aws.ToString(r.EventID), EventName: string(r.EventName), EventSource: "aws:dynamodb",
		EventSourceArn: arn, AWSRegion: "us-east-1", EventVersion: aws.ToString(r.EventVersion)}
	if d := r.Dynamodb; d != nil {
		out.Change = events.DynamoDBStreamRecord{Keys: attrs(d.Keys), NewImage: attrs(d.NewImage),
			SequenceNumber: aws.ToString(d.SequenceNumber), StreamViewType: string(d.StreamViewType)}
		if d.SizeBytes != nil {
			out.Change.SizeBytes = *d.SizeBytes
		}
		if d.ApproximateCreationDateTime != nil {
			out.Change.ApproximateCreationDateTime = events.SecondsEpochTime{Time: *d.ApproximateCreationDateTime}
		}
	}
	return out
}

func attrs(m map[string]types.AttributeValue) map[string]events.DynamoDBAttributeValue {
	if m == nil {
		return nil
	}
	out := make(map[string]events.DynamoDBAttributeValue, len(m))
	for k, v := range m {
		switch t := v.(type) {
		case *types.AttributeValueMemberS:
			out[k] = events.NewStringAttribute(t.Value)
		case *types.AttributeValueMemberN:
			out[k] = events.NewNumberAttribute(t.Value)
		case *types.AttributeValueMemberBOOL:
			out[k] = events.NewBooleanAttribute(t.Value)
		}
	}
	return out
}

// TableDescriber reads a table's description (its stream's ARN).
type TableDescriber interface {
	DescribeTable(context.Context, *dynamodb.DescribeTableInput, ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
}

// ForTable is a poller of the table's stream, read through the DynamoDB
// endpoint (DynamoDB Local serves the streams API on its own port).
func ForTable(ctx context.Context, db TableDescriber, awsCfg aws.Config, endpoint, table string, log *slog.Logger,
	handle func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error)) (*Poller, error) {
	out, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &table})
	if err != nil {
		return nil, fmt.Errorf("describe %s: %w", table, err)
	}
	arn := aws.ToString(out.Table.LatestStreamArn)
	if arn == "" {
		return nil, fmt.Errorf("table %s has no stream", table)
	}
	client := dynamodbstreams.NewFromConfig(awsCfg, func(o *dynamodbstreams.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
	return &Poller{Client: client, StreamARN: arn, BatchSize: 100, Interval: 250 * time.Millisecond, RetryDelay: time.Second,
		MaxRetries: 10, Handle: handle, Log: log.With("poller", "table-stream")}, nil
}
