package inspect

import (
	"fmt"
	"runtime/debug"
	"sort"

	"github.com/lbdiag/lbdiag/inventory"
)

// Resource identifies what a finding is about.
type Resource struct {
	// Kind is the Kubernetes kind (Ingress, Service, BackendConfig, ...),
	// the Compute Engine type in singular PascalCase (BackendService,
	// Subnetwork, ...), or Cluster.
	Kind     string `json:"kind"`
	Project  string `json:"project"`
	Location string `json:"location,omitempty"`
	Cluster  string `json:"cluster,omitempty"`
	// Namespace is empty outside Kubernetes.
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

// String renders the resource as "Kind namespace/name".
func (r Resource) String() string {
	if r.Namespace != "" {
		return r.Kind + " " + r.Namespace + "/" + r.Name
	}
	return r.Kind + " " + r.Name
}

// Finding is one problem.
type Finding struct {
	Rule     string   `json:"rule"`
	Severity Severity `json:"severity"`
	Title    string   `json:"title"`
	// Message says what is wrong, naming the field values that prove it.
	Message  string   `json:"message"`
	Resource Resource `json:"resource"`
	// Evidence holds the values the message rests on.
	Evidence map[string]any `json:"evidence,omitempty"`
	// Remediation is the exact command or manifest change that fixes it.
	Remediation string `json:"remediation"`
	Docs        string `json:"docs,omitempty"`
}

// Pass is one rule's view of a run.
type Pass struct {
	Inventory *inventory.Inventory
	rule      *Rule
	findings  []Finding
}

// Report adds a finding; rule, severity, title and docs come from the rule.
func (p *Pass) Report(f Finding) {
	f.Rule, f.Severity, f.Title, f.Docs = p.rule.ID, p.rule.Severity, p.rule.Title, p.rule.Doc.URL
	p.findings = append(p.findings, f)
}

// Result is the outcome of running rules.
type Result struct {
	Findings []Finding
	// Failures are rules that crashed, as coverage entries: what they
	// would have checked is unknown.
	Failures []inventory.Coverage
}

// Run runs every rule over inv. A rule that panics is reported as a
// coverage failure; the others still run. Findings are sorted by severity
// (errors first), rule, and resource.
func Run(inv *inventory.Inventory, rules []*Rule) Result {
	var res Result
	for _, r := range rules {
		fs, err := runOne(inv, r)
		if err != nil {
			res.Failures = append(res.Failures, inventory.Coverage{
				Source: inventory.Source("inspect." + r.ID), Scope: inventory.ProjectScope(inv.Project),
				Status: inventory.StatusError, Error: err.Error(),
				Hint: "this rule crashed, so what it checks is unknown; this is a bug in lbdiag, please report it",
			})
			continue
		}
		res.Findings = append(res.Findings, fs...)
	}
	SortFindings(res.Findings)
	return res
}

func runOne(inv *inventory.Inventory, r *Rule) (fs []Finding, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("rule %s panicked: %v\n%s", r.ID, v, debug.Stack())
		}
	}()
	p := &Pass{Inventory: inv, rule: r}
	r.Check(p)
	return p.findings, nil
}

// SortFindings orders findings by severity (most severe first), rule,
// then resource.
func SortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		ka := []string{a.Resource.Project, a.Resource.Location, a.Resource.Cluster, a.Resource.Namespace, a.Resource.Kind, a.Resource.Name, a.Message}
		kb := []string{b.Resource.Project, b.Resource.Location, b.Resource.Cluster, b.Resource.Namespace, b.Resource.Kind, b.Resource.Name, b.Message}
		for k := range ka {
			if ka[k] != kb[k] {
				return ka[k] < kb[k]
			}
		}
		return false
	})
}
