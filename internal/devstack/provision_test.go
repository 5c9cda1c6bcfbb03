package devstack

import (
	"context"
	"maps"
	"testing"
)

// Provision creates the template's table and queues on endpoints that
// already run (here a started stack's), keeps a table that is already
// there, and names the same table and queues a started stack does.
func TestProvisionOnRunningEndpoints(t *testing.T) {
	NeedStack(t)
	s, err := Start(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	root, err := FindRoot()
	if err != nil {
		t.Fatal(err)
	}
	p, err := Provision(context.Background(), root, s.DynamoDBEndpoint, s.SQSEndpoint)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.Env(), s.Env(); !maps.Equal(got, want) {
		t.Fatalf("provisioned %v, started %v", got, want)
	}
	if _, err := Provision(context.Background(), root, "http://dynamodb.example.com", s.SQSEndpoint); err == nil {
		t.Fatal("provisioned off loopback")
	}
}
