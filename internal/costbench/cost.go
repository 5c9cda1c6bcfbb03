// Package costbench prices three of the product's operations from what one
// run measured (issue 15): 1,000 review transitions, 1,000 accepted
// invitations and one 10,000-user add-all. The harness (cost_test.go,
// COSTBENCH=1 only) drives them on the local stack and writes the units it
// measured as JSON; Render prices them at Prices, the one table of AWS
// prices in the project, for internal/benchreport.
package costbench

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
)

// Price is one published on-demand price.
type Price struct {
	Component string  // what is billed
	Unit      string  // per what, as AWS states it
	PerUnit   float64 // USD per one unit of Count (requests, units, GB-seconds)
	Shown     string  // the price as AWS publishes it
	Source    string  // where the figure was read
}

// Region and PricesAsOf say where and when the prices hold: us-east-1,
// AWS's published on-demand prices (no free tier, no savings plan), as
// substantiated by the sources on each Price, the newest of which is dated
// PricesAsOf.
const (
	Region     = "us-east-1 (US East, N. Virginia)"
	PricesAsOf = "2026-09"
)

// The keys of Prices.
const (
	DynamoDBWrite = "ddb-wru"
	DynamoDBRead  = "ddb-rru"
	LambdaRequest = "lambda-req"
	LambdaArmGBs  = "lambda-arm-gbs"
	HTTPAPI       = "httpapi"
	SQSStandard   = "sqs-std"
	SQSFIFO       = "sqs-fifo"
	SESOutbound   = "ses"
)

// Prices is the one source of truth for the prices the report uses.
var Prices = map[string]Price{
	DynamoDBWrite: {"DynamoDB on-demand write request units", "per WRU", 0.625e-6, "$0.625 per million WRU",
		"aws.amazon.com/dynamodb/pricing/on-demand (Standard table class); the 50% on-demand cut effective 2024-11-01, " +
			"as restated with these figures by Airbyte's DynamoDB pricing guide (2025-07) and JusDB's cost guide (2025-08)"},
	DynamoDBRead: {"DynamoDB on-demand read request units", "per RRU", 0.125e-6, "$0.125 per million RRU", "as above"},
	LambdaRequest: {"Lambda requests", "per invocation", 0.20e-6, "$0.20 per million requests",
		"aws.amazon.com/lambda/pricing (as read 2026-09-20 in api-evangelist/aws-lambda plans)"},
	LambdaArmGBs: {"Lambda duration, Arm (arm64)", "per GB-second", 0.0000133334, "$0.0000133334 per GB-second (first 7.5 billion GB-s a month)",
		"aws.amazon.com/lambda/pricing; the Arm rate as restated by CloudChipr's Lambda pricing guide and the artillery npm package's price table"},
	HTTPAPI: {"API Gateway HTTP API requests", "per request (512 KB metering unit)", 1.00e-6, "$1.00 per million (first 300 million a month)",
		"aws.amazon.com/api-gateway/pricing, as restated by the AWS whitepaper \"Best practices for API Gateway private APIs\" (cost optimization) and awsforengineers.com (2025-05)"},
	SQSStandard: {"SQS standard queue requests", "per request (64 KB chunk)", 0.40e-6, "$0.40 per million (first 100 billion a month)",
		"aws.amazon.com/sqs/pricing, as restated by cloudburn.io (2026-03) and factualminds.com (2026-06); 64 KB chunks per aws.amazon.com/sqs/features"},
	SQSFIFO: {"SQS FIFO queue requests", "per request (64 KB chunk)", 0.50e-6, "$0.50 per million (first 100 billion a month)", "as above"},
	SESOutbound: {"SES outbound email (à la carte)", "per email", 0.10e-3, "$0.10 per 1,000 emails",
		"aws.amazon.com/ses/pricing: $0.0001 per outbound recipient à la carte in the AWS Price List for us-east-1 published 2026-07-22 " +
			"(read in api-evangelist/amazon-ses plans); since 2026-07-21 new accounts default to the Essentials plan at $0.16 per 1,000"},
}

// Run is what one harness run measured, as the harness writes it.
type Run struct {
	When     string         `json:"when"`     // UTC time of the run
	Host     string         `json:"host"`     // GOOS/GOARCH and CPUs
	MemoryMB map[string]int `json:"memoryMB"` // function → MemorySize in template.yaml
	Ops      []Op           `json:"ops"`      // in the report's order
	Notes    []string       `json:"notes"`    // what the run saw besides
}

// Op is one operation's measured units, over Measured of its unit.
type Op struct {
	Key      string  `json:"key"`
	Name     string  `json:"name"`     // e.g. "review transition"
	Unit     string  `json:"unit"`     // what Measured and Target count
	Measured int     `json:"measured"` // how many were run
	Target   int     `json:"target"`   // how many are priced
	Priced   string  `json:"priced"`   // e.g. "1,000 review transitions"
	Elapsed  float64 `json:"elapsedSeconds"`
	// DynamoDB, from the app's own meter (ReturnConsumedCapacity TOTAL,
	// summed per request and per invocation) and, to check it, the calls
	// an SDK middleware saw on the wire.
	RoundTrips int     `json:"ddbRoundTrips"`
	WireCalls  int     `json:"ddbWireCalls"`
	RCU        float64 `json:"rcu"`
	WCU        float64 `json:"wcu"`
	// Lambda invocations by function: HTTP requests and queue batches.
	Lambda []Fn `json:"lambda"`
	// HTTP API requests.
	HTTPRequests int `json:"httpRequests"`
	// SQS requests by queue and action; empty receives apart.
	SQS           []SQSCall `json:"sqs"`
	EmptyReceives int       `json:"emptyReceives"`
	// Mails the mailer sent (SES SendEmail calls in AWS).
	Mails int `json:"mails"`
}

// Fn is one function's invocations in an operation.
type Fn struct {
	Function    string  `json:"function"`
	Invocations int     `json:"invocations"`
	HandlerMs   float64 `json:"handlerMs"` // summed handler time
	BilledMs    int64   `json:"billedMs"`  // summed, each rounded up to 1 ms
	MaxMs       float64 `json:"maxMs"`
}

// SQSCall is one action on one queue.
type SQSCall struct {
	Queue    string `json:"queue"`
	FIFO     bool   `json:"fifo"`
	Action   string `json:"action"`
	Requests int    `json:"requests"`
	Chunks   int    `json:"chunks"` // billed requests: 64 KB chunks of payload
}

// Cost is an operation priced at Target, in USD, by component.
type Cost struct {
	Scale                             float64 // Target / Measured
	RCU, WCU                          float64
	Invocations, GBs                  float64
	HTTP, SQSStd, SQSFIFO, Mails      float64
	DDBRead, DDBWrite                 float64
	LambdaReq, LambdaDur              float64
	HTTPCost, SQSStdCost, SQSFIFOCost float64
	SESCost, Total                    float64
	memoryMissing                     []string
}

// Price prices an operation at its Target with the given memory sizes.
func (o Op) Price(memoryMB map[string]int) Cost {
	c := Cost{Scale: 1}
	if o.Measured > 0 && o.Target > 0 {
		c.Scale = float64(o.Target) / float64(o.Measured)
	}
	c.RCU, c.WCU = o.RCU*c.Scale, o.WCU*c.Scale
	for _, f := range o.Lambda {
		mb, ok := memoryMB[f.Function]
		if !ok {
			c.memoryMissing = append(c.memoryMissing, f.Function)
		}
		gbs := float64(f.BilledMs) / 1000 * float64(mb) / 1024 * c.Scale
		c.GBs += gbs
		c.Invocations += float64(f.Invocations) * c.Scale
	}
	c.HTTP = float64(o.HTTPRequests) * c.Scale
	for _, q := range o.SQS {
		if q.FIFO {
			c.SQSFIFO += float64(q.Chunks) * c.Scale
		} else {
			c.SQSStd += float64(q.Chunks) * c.Scale
		}
	}
	c.Mails = float64(o.Mails) * c.Scale
	c.DDBRead = c.RCU * Prices[DynamoDBRead].PerUnit
	c.DDBWrite = c.WCU * Prices[DynamoDBWrite].PerUnit
	c.LambdaReq = c.Invocations * Prices[LambdaRequest].PerUnit
	c.LambdaDur = c.GBs * Prices[LambdaArmGBs].PerUnit
	c.HTTPCost = c.HTTP * Prices[HTTPAPI].PerUnit
	c.SQSStdCost = c.SQSStd * Prices[SQSStandard].PerUnit
	c.SQSFIFOCost = c.SQSFIFO * Prices[SQSFIFO].PerUnit
	c.SESCost = c.Mails * Prices[SESOutbound].PerUnit
	c.Total = c.DDBRead + c.DDBWrite + c.LambdaReq + c.LambdaDur + c.HTTPCost + c.SQSStdCost + c.SQSFIFOCost + c.SESCost
	return c
}

// Parse reads a run the harness wrote.
func Parse(raw []byte) (Run, error) {
	var r Run
	err := json.Unmarshal(raw, &r)
	return r, err
}

func usd(v float64) string {
	switch {
	case v == 0:
		return "$0"
	case v < 0.0001:
		return fmt.Sprintf("$%.6f", v)
	case v < 0.01:
		return fmt.Sprintf("$%.5f", v)
	default:
		return fmt.Sprintf("$%.4f", v)
	}
}

func num(v float64) string {
	if v == math.Trunc(v) {
		return group(int64(v))
	}
	if v >= 100 {
		return group(int64(math.Round(v)))
	}
	return fmt.Sprintf("%.1f", v)
}

func group(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + group(-n)
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Render writes the report's "Cost per operation" body (without its
// heading) for a run.
func Render(r Run) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Measured by `internal/costbench` (TestCostPerOperation, COSTBENCH=1) on %s, %s, on the local stack, in the same `make bench` run; "+
		"priced at AWS's published on-demand prices for %s (the table below; free tiers, savings plans, storage, data transfer, CloudWatch "+
		"Logs and X-Ray ignored). The units are measured, the prices are AWS's, their product is an estimate.\n\n", r.When, r.Host, Region)

	b.WriteString("| Operation | Priced | Measured | DynamoDB RRU / WRU | Lambda invocations / GB-s | HTTP API requests | SQS requests standard / FIFO | SES mails |\n")
	b.WriteString("|---|---|---|---:|---:|---:|---:|---:|\n")
	costs := make([]Cost, len(r.Ops))
	for i, o := range r.Ops {
		c := o.Price(r.MemoryMB)
		costs[i] = c
		scaled := ""
		if c.Scale != 1 {
			scaled = fmt.Sprintf(", scaled ×%.4g", c.Scale)
		}
		fmt.Fprintf(&b, "| %s | %s | %s %s in %.1f s%s | %s / %s | %s / %.2f | %s | %s / %s | %s |\n", o.Name, o.Priced, group(int64(o.Measured)), o.Unit, o.Elapsed, scaled,
			num(c.RCU), num(c.WCU), num(c.Invocations), c.GBs, num(c.HTTP), num(c.SQSStd), num(c.SQSFIFO), num(c.Mails))
	}
	b.WriteString("\n| Operation | Priced | DynamoDB reads | DynamoDB writes | Lambda requests | Lambda duration | HTTP API | SQS standard | SQS FIFO | SES | **Total** |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for i, o := range r.Ops {
		c := costs[i]
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | **%s** |\n", o.Name, o.Priced, usd(c.DDBRead), usd(c.DDBWrite), usd(c.LambdaReq),
			usd(c.LambdaDur), usd(c.HTTPCost), usd(c.SQSStdCost), usd(c.SQSFIFOCost), usd(c.SESCost), usd(c.Total))
	}

	b.WriteString("\nPer operation, as measured (before scaling):\n\n")
	b.WriteString("| Operation | DynamoDB round trips (meter / wire) | RCU | WCU | HTTP API requests | Lambda: function × invocations, mean billed ms, memory | SQS: queue action × requests | empty receives (not priced) | mails |\n")
	b.WriteString("|---|---:|---:|---:|---:|---|---|---:|---:|\n")
	for _, o := range r.Ops {
		per := func(v float64) string {
			if o.Measured == 0 {
				return "-"
			}
			return fmt.Sprintf("%.2f", v/float64(o.Measured))
		}
		var fns, qs []string
		lambda := append([]Fn(nil), o.Lambda...)
		sort.Slice(lambda, func(i, j int) bool { return lambda[i].Function < lambda[j].Function })
		for _, f := range lambda {
			mean := 0.0
			if f.Invocations > 0 {
				mean = float64(f.BilledMs) / float64(f.Invocations)
			}
			fns = append(fns, fmt.Sprintf("%s × %s, %.1f ms, %d MB", f.Function, group(int64(f.Invocations)), mean, r.MemoryMB[f.Function]))
		}
		for _, q := range o.SQS {
			kind := "standard"
			if q.FIFO {
				kind = "FIFO"
			}
			qs = append(qs, fmt.Sprintf("%s (%s) %s × %s", q.Queue, kind, q.Action, group(int64(q.Chunks))))
		}
		fmt.Fprintf(&b, "| %s (%s %s) | %s / %s (per %s: %s) | %s | %s | %s | %s | %s | %s | %s |\n", o.Name, group(int64(o.Measured)), o.Unit,
			group(int64(o.RoundTrips)), group(int64(o.WireCalls)), strings.TrimSuffix(o.Unit, "s"), per(float64(o.RoundTrips)),
			num(o.RCU), num(o.WCU), group(int64(o.HTTPRequests)), strings.Join(fns, "; "), strings.Join(qs, "; "), group(int64(o.EmptyReceives)), group(int64(o.Mails)))
	}

	b.WriteString("\nPrices (one table in `internal/costbench`, ")
	fmt.Fprintf(&b, "%s, on-demand, as published by AWS and substantiated as of %s; a price change is a change to that table):\n\n", Region, PricesAsOf)
	b.WriteString("| Component | Price | Source |\n|---|---|---|\n")
	for _, k := range []string{DynamoDBWrite, DynamoDBRead, LambdaRequest, LambdaArmGBs, HTTPAPI, SQSStandard, SQSFIFO, SESOutbound} {
		p := Prices[k]
		fmt.Fprintf(&b, "| %s | %s | %s |\n", p.Component, p.Shown, p.Source)
	}

	b.WriteString("\nHow the units were measured:\n\n")
	b.WriteString("- **DynamoDB**: the app's own meter (`ddbstore.WithMeter`; every store call asks `ReturnConsumedCapacity: TOTAL`), read from each HTTP request's log line " +
		"(`ddbRoundTrips`, `rcu`, `wcu`) and put on each consumer invocation's context, as `app.DynamoDBMeter` does for requests. The capacity is DynamoDB Local's own " +
		"report, which for transactions already counts 2 units per KB written (and 2 per 4 KB read) as DynamoDB bills them; on-demand bills RRU/WRU as the units " +
		"consumed. The wire column counts every DynamoDB call an SDK middleware saw: a meter that missed calls would show as a difference.\n")
	b.WriteString("- **Lambda**: one invocation per HTTP request (the function of the route, as in template.yaml) and one per SQS batch a consumer handled " +
		"(the local pollers play the event source mappings, with the template's batch sizes). Duration is the handler's time measured here, each invocation " +
		"rounded up to 1 ms as Lambda bills it; it is a **local estimate** of billed duration (this machine's CPUs and DynamoDB Local on loopback, not Graviton " +
		"and DynamoDB in AWS), cold starts and their init time excluded. GB-seconds use the MemorySize of each function in template.yaml (arm64).\n")
	b.WriteString("- **HTTP API**: one request per call the client made (every answer under 512 KB).\n")
	b.WriteString("- **SQS**: every SendMessage, ReceiveMessage that returned messages, DeleteMessageBatch and ChangeMessageVisibility, counted by an SDK middleware, " +
		"in 64 KB chunks of payload; FIFO (the review handoff queue) and standard queues priced apart. Receives that returned nothing are the pollers' idle long " +
		"polls: in AWS the event source mappings poll an idle queue all the time whatever the traffic, a fixed cost per queue, not per operation, so they are " +
		"listed but not priced.\n")
	b.WriteString("- **SES**: one SendEmail per mail the mailer sent (each to one recipient).\n")
	b.WriteString("- Not per operation, so not priced: the handoff function's scheduled outbox sweep (one query a minute), the idle polls, storage of what the operations wrote.\n")
	for _, n := range r.Notes {
		b.WriteString("- " + n + "\n")
	}
	var miss []string
	for _, c := range costs {
		miss = append(miss, c.memoryMissing...)
	}
	if len(miss) > 0 {
		fmt.Fprintf(&b, "- **No MemorySize found in template.yaml for %s: its duration is priced at 0.**\n", strings.Join(miss, ", "))
	}
	return b.String()
}
