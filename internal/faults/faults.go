// Package faults makes a chosen share of AWS SDK calls fail, for tests: a
// middleware on the DynamoDB and SQS clients that answers throttling,
// transaction conflicts, server errors or a lost response (the call applied,
// its answer never arrived), and a crash switch that fails every call until
// a restart. Only tests install it (through config.Config.APIOptions).
package faults

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	smithymiddleware "github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Kind is a kind of fault.
type Kind string

// The kinds.
const (
	Throttle     Kind = "throttle"      // ThrottlingException: the SDK retries it
	Conflict     Kind = "conflict"      // TransactionCanceledException with TransactionConflict reasons (transactions only)
	ServerError  Kind = "server_error"  // an HTTP 500
	LostResponse Kind = "lost_response" // the call applied; a timeout is answered
)

// Kinds lists every kind.
var Kinds = []Kind{Throttle, Conflict, ServerError, LostResponse}

// Injector decides which calls fail. The zero value injects nothing.
type Injector struct {
	mu      sync.Mutex
	rate    float64
	kinds   []Kind
	rng     *rand.Rand
	calls   int
	faults  map[Kind]int
	crashed atomic.Bool
}

// New returns an injector failing rate (0..1) of the calls with the kinds
// given (all when none), from a fixed seed so a run can be repeated.
func New(rate float64, seed uint64, kinds ...Kind) *Injector {
	if len(kinds) == 0 {
		kinds = Kinds
	}
	return &Injector{rate: rate, kinds: kinds, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), faults: map[Kind]int{}}
}

// SetRate changes the share of failing calls (0 stops injecting).
func (in *Injector) SetRate(rate float64) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.rate = rate
}

// Crash makes every call fail until Restart, as if the process had died.
func (in *Injector) Crash() { in.crashed.Store(true) }

// Restart ends a crash.
func (in *Injector) Restart() { in.crashed.Store(false) }

// Counts reports the calls seen and the faults injected by kind.
func (in *Injector) Counts() (calls int, faults map[Kind]int) {
	in.mu.Lock()
	defer in.mu.Unlock()
	out := make(map[Kind]int, len(in.faults))
	for k, v := range in.faults {
		out[k] = v
	}
	return in.calls, out
}

// ResetCounts starts the counts again (a new run on the same injector).
func (in *Injector) ResetCounts() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.calls, in.faults = 0, map[Kind]int{}
}

// ErrCrashed is every call's answer during a crash.
var ErrCrashed = errors.New("faults: the process crashed")

// pick decides the fault of one call of op ("" for none).
func (in *Injector) pick(op string) Kind {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.calls++
	if in.rate <= 0 || in.rng.Float64() >= in.rate {
		return ""
	}
	k := in.kinds[in.rng.IntN(len(in.kinds))]
	if k == Conflict && op != "TransactWriteItems" {
		k = Throttle
	}
	in.faults[k]++
	return k
}

// APIOption installs the injector on a client's middleware stack, after
// the SDK's retries (each attempt may fail on its own, as on the wire).
func (in *Injector) APIOption(stack *smithymiddleware.Stack) error {
	return stack.Finalize.Add(smithymiddleware.FinalizeMiddlewareFunc("InjectFaults",
		func(ctx context.Context, input smithymiddleware.FinalizeInput, next smithymiddleware.FinalizeHandler) (smithymiddleware.FinalizeOutput, smithymiddleware.Metadata, error) {
			if in.crashed.Load() {
				return smithymiddleware.FinalizeOutput{}, smithymiddleware.Metadata{}, ErrCrashed
			}
			op := middleware.GetOperationName(ctx)
			switch in.pick(op) {
			case Throttle:
				return smithymiddleware.FinalizeOutput{}, smithymiddleware.Metadata{},
					&smithy.GenericAPIError{Code: "ThrottlingException", Message: "injected: rate exceeded", Fault: smithy.FaultServer}
			case Conflict:
				conflict := types.CancellationReason{Code: ptr("TransactionConflict"), Message: ptr("injected: transaction conflict")}
				return smithymiddleware.FinalizeOutput{}, smithymiddleware.Metadata{}, &types.TransactionCanceledException{
					Message: ptr("Transaction cancelled (injected)"), CancellationReasons: []types.CancellationReason{conflict}}
			case ServerError:
				return smithymiddleware.FinalizeOutput{}, smithymiddleware.Metadata{}, &smithyhttp.ResponseError{
					Response: &smithyhttp.Response{Response: &http.Response{StatusCode: http.StatusInternalServerError}},
					Err:      fmt.Errorf("injected: internal server error in %s", op)}
			case LostResponse:
				// The call reaches the service and applies; the answer is lost.
				if _, _, err := next.HandleFinalize(ctx, input); err != nil {
					return smithymiddleware.FinalizeOutput{}, smithymiddleware.Metadata{}, err
				}
				return smithymiddleware.FinalizeOutput{}, smithymiddleware.Metadata{},
					&net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}
			}
			return next.HandleFinalize(ctx, input)
		}), smithymiddleware.After)
}

func ptr(s string) *string { return &s }
