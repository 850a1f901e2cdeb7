// Package inspect is lbdiag's rule framework: rules are declared values
// that read an inventory and report findings. Rules never perform I/O; a
// rule whose inputs were not read completely for a scope stays silent there,
// and the inventory's coverage record says why.
package inspect

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/lbdiag/lbdiag/inventory"
)

// Severity ranks findings. Error: broken now or will fail provisioning.
// Warning: will cause errors under common conditions. Info: hygiene.
type Severity int

// Severities, from least to most severe.
const (
	Info Severity = iota + 1
	Warning
	Error
)

func (s Severity) String() string {
	switch s {
	case Info:
		return "info"
	case Warning:
		return "warning"
	case Error:
		return "error"
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// MarshalText encodes a severity as its name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText decodes a severity name.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// ParseSeverity parses "error", "warning" or "info".
func ParseSeverity(s string) (Severity, error) {
	switch strings.ToLower(s) {
	case "error":
		return Error, nil
	case "warning":
		return Warning, nil
	case "info":
		return Info, nil
	}
	return 0, fmt.Errorf("unknown severity %q (want error, warning or info)", s)
}

// Doc is a rule's documentation.
type Doc struct {
	// Why says what breaks, for whom, and how it shows.
	Why string
	// Fix says how to repair it.
	Fix string
	// Sources are the public documents and code the rule rests on.
	Sources []string
	// URL is the primary public page to read more; findings link to it.
	URL string
}

// Rule is one check. It is a declared value, listed in an explicit registry.
type Rule struct {
	// ID is stable kebab-case and never reused for another meaning.
	ID string
	// Severity is the severity of the rule's findings: the most they can
	// have. A finding may set a lower one (a latent or dead reference).
	Severity Severity
	// Title states the good state ("Every ... exists").
	Title string
	Doc   Doc
	// Check reports findings through the pass. It must not perform I/O.
	Check func(p *Pass)
	// WholeProject marks a rule whose verdict rests on the project's
	// lists being whole: that something referenced is absent from them,
	// or that nothing uses a resource. A trace reads only the resources
	// one request meets (inventory.Partial), so Run skips these rules
	// there; every other rule judges the objects that were read.
	WholeProject bool
	// Needs lists the optional reads (OptionalReads) the rule's verdicts
	// rest on. A run whose rules need none of them does not make it.
	Needs []inventory.Source
	// JudgesOnly, when set, is the read the rule judges alone, one a run
	// makes only when asked (--logs, --metrics, --network-analyzer): a
	// run that did not make it judged nothing with the rule, so its
	// suppressions are not called stale.
	JudgesOnly inventory.Source
}

// OptionalReads are the reads a run makes only when one of its rules
// needs them: each costs more than a list (a call per backend group, per
// VPC, per log query) or serves only a few rules. The lists every rule
// reads are always made.
var OptionalReads = []inventory.Source{
	inventory.ComputeBackendHealth, inventory.ComputeEffectiveFirewalls, inventory.ComputeProject, inventory.ComputeRegions,
	inventory.CertificateManagerMaps, inventory.KubeEvents, inventory.KubePods,
	inventory.LoggingRequests, inventory.LoggingHealthChecks, inventory.LoggingPassthrough,
	inventory.RecommenderLBInsights, inventory.DNSLookups,
}

var idPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// Validate rejects a rule list with duplicate or malformed IDs, empty
// titles, empty docs, missing sources or checks.
func Validate(rules []*Rule) error {
	seen := map[string]bool{}
	for _, r := range rules {
		switch {
		case !idPattern.MatchString(r.ID):
			return fmt.Errorf("rule %q: ID must be kebab-case", r.ID)
		case seen[r.ID]:
			return fmt.Errorf("rule %q is declared twice", r.ID)
		case r.Severity < Info || r.Severity > Error:
			return fmt.Errorf("rule %q: invalid severity", r.ID)
		case strings.TrimSpace(r.Title) == "":
			return fmt.Errorf("rule %q has no title", r.ID)
		case strings.TrimSpace(r.Doc.Why) == "" || strings.TrimSpace(r.Doc.Fix) == "":
			return fmt.Errorf("rule %q has an empty doc", r.ID)
		case len(r.Doc.Sources) == 0 || r.Doc.URL == "":
			return fmt.Errorf("rule %q names no source", r.ID)
		case r.Check == nil:
			return fmt.Errorf("rule %q has no check", r.ID)
		}
		for _, n := range r.Needs {
			if !slices.Contains(OptionalReads, n) {
				return fmt.Errorf("rule %q needs %s, which is not an optional read", r.ID, n)
			}
		}
		seen[r.ID] = true
	}
	return nil
}

// Lookup returns the rule with the given ID.
func Lookup(rules []*Rule, id string) (*Rule, bool) {
	for _, r := range rules {
		if r.ID == id {
			return r, true
		}
	}
	return nil, false
}
