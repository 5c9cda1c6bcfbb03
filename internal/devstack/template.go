package devstack

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// The parts of template.yaml the local stack is built from, so that the
// local table and queues are the deployed ones.

type cfnTemplate struct {
	Globals struct {
		Function struct {
			Environment struct {
				Variables map[string]yaml.Node `yaml:"Variables"`
			} `yaml:"Environment"`
		} `yaml:"Function"`
	} `yaml:"Globals"`
	Resources map[string]struct {
		Type       string    `yaml:"Type"`
		Properties yaml.Node `yaml:"Properties"`
	} `yaml:"Resources"`
}

// TableDef is the table's definition in the template.
type TableDef struct {
	LogicalID            string
	AttributeDefinitions []struct {
		AttributeName string `yaml:"AttributeName"`
		AttributeType string `yaml:"AttributeType"`
	} `yaml:"AttributeDefinitions"`
	KeySchema              []keyElement `yaml:"KeySchema"`
	GlobalSecondaryIndexes []struct {
		IndexName  string       `yaml:"IndexName"`
		KeySchema  []keyElement `yaml:"KeySchema"`
		Projection struct {
			ProjectionType   string   `yaml:"ProjectionType"`
			NonKeyAttributes []string `yaml:"NonKeyAttributes"`
		} `yaml:"Projection"`
	} `yaml:"GlobalSecondaryIndexes"`
	TimeToLiveSpecification struct {
		AttributeName string `yaml:"AttributeName"`
		Enabled       bool   `yaml:"Enabled"`
	} `yaml:"TimeToLiveSpecification"`
	StreamSpecification struct {
		StreamViewType string `yaml:"StreamViewType"`
	} `yaml:"StreamSpecification"`
}

type keyElement struct {
	AttributeName string `yaml:"AttributeName"`
	KeyType       string `yaml:"KeyType"`
}

// QueueDef is one queue of the template.
type QueueDef struct {
	LogicalID                 string
	QueueName                 string `yaml:"QueueName"`
	FifoQueue                 bool   `yaml:"FifoQueue"`
	ContentBasedDeduplication bool   `yaml:"ContentBasedDeduplication"`
	VisibilityTimeout         int    `yaml:"VisibilityTimeout"`
	MessageRetentionPeriod    int    `yaml:"MessageRetentionPeriod"`
	RedrivePolicy             struct {
		DeadLetterTargetArn string `yaml:"deadLetterTargetArn"` // "Logical.Arn"
		MaxReceiveCount     int    `yaml:"maxReceiveCount"`
	} `yaml:"RedrivePolicy"`
}

// DLQ returns the logical id of the queue's dead-letter queue, or "".
func (q QueueDef) DLQ() string {
	id, _, _ := strings.Cut(q.RedrivePolicy.DeadLetterTargetArn, ".")
	return id
}

// ConsumerDef is a function with an SQS event source.
type ConsumerDef struct {
	Function  string // logical id, e.g. HandoffFunction
	Queue     string // logical id of the queue
	BatchSize int
}

// Template is what the local stack needs from template.yaml.
type Template struct {
	Table     TableDef
	Queues    []QueueDef        // dead-letter queues first
	EnvRefs   map[string]string // env var (global or a function's) -> logical id it !Refs
	Consumers []ConsumerDef
	// Consumers are the SQS event sources: a function's SQS events and the
	// template's AWS::Lambda::EventSourceMapping resources.
	// Routes lists each function's HttpApi routes as "METHOD /path".
	Routes map[string][]string
	// PublicRoutes are the routes whose event says Authorizer NONE.
	PublicRoutes map[string]bool
	// Functions lists the logical ids of every function.
	Functions []string
}

// LoadTemplate reads and interprets the SAM template at path.
func LoadTemplate(path, stackName string) (Template, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return Template{}, fmt.Errorf("read template: %w", err)
	}
	var t cfnTemplate
	if err := yaml.Unmarshal(raw, &t); err != nil {
		return Template{}, fmt.Errorf("parse template: %w", err)
	}
	out := Template{EnvRefs: map[string]string{}, Routes: map[string][]string{}, PublicRoutes: map[string]bool{}}
	addEnv := func(vars map[string]yaml.Node) error {
		for name, v := range vars {
			if v.Tag != "!Ref" {
				continue
			}
			if prev, ok := out.EnvRefs[name]; ok && prev != v.Value {
				return fmt.Errorf("%s refers to %s in one place and %s in another", name, prev, v.Value)
			}
			out.EnvRefs[name] = v.Value
		}
		return nil
	}
	if err := addEnv(t.Globals.Function.Environment.Variables); err != nil {
		return Template{}, err
	}
	ids := make([]string, 0, len(t.Resources))
	for id := range t.Resources {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var tables int
	for _, id := range ids {
		res := t.Resources[id]
		switch res.Type {
		case "AWS::DynamoDB::Table":
			tables++
			if err := res.Properties.Decode(&out.Table); err != nil {
				return Template{}, fmt.Errorf("table %s: %w", id, err)
			}
			out.Table.LogicalID = id
		case "AWS::SQS::Queue":
			q := QueueDef{LogicalID: id}
			if err := res.Properties.Decode(&q); err != nil {
				return Template{}, fmt.Errorf("queue %s: %w", id, err)
			}
			q.QueueName = strings.ReplaceAll(q.QueueName, "${AWS::StackName}", stackName)
			if q.QueueName == "" {
				q.QueueName = stackName + "-" + id
			}
			out.Queues = append(out.Queues, q)
		case "AWS::Serverless::Function":
			out.Functions = append(out.Functions, id)
			var fn struct {
				Environment struct {
					Variables map[string]yaml.Node `yaml:"Variables"`
				} `yaml:"Environment"`
				Events map[string]struct {
					Type       string `yaml:"Type"`
					Properties struct {
						Queue     string `yaml:"Queue"` // "Logical.Arn"
						BatchSize int    `yaml:"BatchSize"`
						Method    string `yaml:"Method"`
						Path      string `yaml:"Path"`
						Auth      struct {
							Authorizer string `yaml:"Authorizer"`
						} `yaml:"Auth"`
					} `yaml:"Properties"`
				} `yaml:"Events"`
			}
			if err := res.Properties.Decode(&fn); err != nil {
				return Template{}, fmt.Errorf("function %s: %w", id, err)
			}
			if err := addEnv(fn.Environment.Variables); err != nil {
				return Template{}, fmt.Errorf("function %s: %w", id, err)
			}
			for _, ev := range fn.Events {
				if ev.Type == "HttpApi" {
					route := ev.Properties.Method + " " + ev.Properties.Path
					out.Routes[id] = append(out.Routes[id], route)
					if ev.Properties.Auth.Authorizer == "NONE" {
						out.PublicRoutes[route] = true
					}
				}
				if ev.Type != "SQS" {
					continue
				}
				q, _, _ := strings.Cut(ev.Properties.Queue, ".")
				out.Consumers = append(out.Consumers, ConsumerDef{Function: id, Queue: q, BatchSize: ev.Properties.BatchSize})
			}
		case "AWS::Lambda::EventSourceMapping":
			var m struct {
				FunctionName   string `yaml:"FunctionName"`   // !Ref Function
				EventSourceArn string `yaml:"EventSourceArn"` // !GetAtt Queue.Arn
				BatchSize      int    `yaml:"BatchSize"`
			}
			if err := res.Properties.Decode(&m); err != nil {
				return Template{}, fmt.Errorf("event source mapping %s: %w", id, err)
			}
			q, attr, _ := strings.Cut(m.EventSourceArn, ".")
			if attr != "Arn" || m.FunctionName == "" {
				return Template{}, fmt.Errorf("event source mapping %s: want FunctionName !Ref and EventSourceArn !GetAtt <queue>.Arn", id)
			}
			out.Consumers = append(out.Consumers, ConsumerDef{Function: m.FunctionName, Queue: q, BatchSize: m.BatchSize})
		}
	}
	if tables != 1 {
		return Template{}, fmt.Errorf("template has %d tables; the single-table design wants exactly one", tables)
	}
	// Dead-letter queues must exist before the queues that name them.
	sort.SliceStable(out.Queues, func(i, j int) bool {
		return out.Queues[i].DLQ() == "" && out.Queues[j].DLQ() != ""
	})
	return out, nil
}
