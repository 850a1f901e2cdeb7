package inspect

import (
	"slices"
	"strings"
	"testing"

	"github.com/lbdiag/lbdiag/inventory"
)

// TestAttachAnyRule: an attachment with Rule "" folds into the most
// severe finding of another rule on its resource; a finding of the
// resource that attaches elsewhere takes nothing.
func TestAttachAnyRule(t *testing.T) {
	t.Parallel()
	bs := Resource{Kind: "BackendService", Project: "p", Location: "global", Name: "web"}
	other := Resource{Kind: "BackendService", Project: "p", Location: "global", Name: "api"}
	second := Finding{Rule: "second-opinion", Resource: bs, Message: "insight", Evidence: map[string]any{"insightId": "x"},
		AttachTo: &Attachment{Rule: "health-check-port-mismatch", Resource: bs, Or: []Attachment{{Resource: bs}}}, AttachNote: "agrees"}
	out := attach([]Finding{
		{Rule: "backend-logging-disabled", Severity: Info, Resource: bs, Message: "logging"},
		second,
		{Rule: "backend-unhealthy", Severity: Error, Resource: bs, Message: "unhealthy"},
		{Rule: "lb-traffic-errors", Severity: Error, Resource: bs, Message: "logs", AttachTo: &Attachment{Rule: "nothing", Resource: other}},
	})
	var rules []string
	for _, f := range out {
		rules = append(rules, f.Rule)
		if f.Rule == "backend-unhealthy" && (f.Evidence["second-opinion"] == nil || f.Message != "unhealthy — agrees") {
			t.Errorf("the most severe finding did not take the insight: %+v", f)
		}
	}
	if !slices.Equal(rules, []string{"backend-logging-disabled", "backend-unhealthy", "lb-traffic-errors"}) {
		t.Errorf("left %q", rules)
	}
	// Two insights on the resource and another rule's finding that found
	// no cause of its own: both insights join it, though each is a
	// finding of the resource at least as severe as it.
	insight := func(id string) Finding {
		return Finding{Rule: "second-opinion", Severity: Warning, Resource: bs, Message: "insight " + id, Evidence: map[string]any{"insightId": id},
			AttachTo: &Attachment{Resource: bs}}
	}
	out = attach([]Finding{insight("a"), insight("b"),
		{Rule: "backend-unhealthy", Severity: Warning, Resource: bs, Message: "unhealthy", AttachTo: &Attachment{Rule: "nothing", Resource: other}}})
	if len(out) != 1 || out[0].Rule != "backend-unhealthy" || len(out[0].Evidence["second-opinion"].([]map[string]any)) != 2 {
		t.Errorf("two insights and an unplaced finding: %+v", out)
	}
	// Nothing on the resource: the insight stands.
	out = attach([]Finding{second, {Rule: "backend-unhealthy", Severity: Error, Resource: other, Message: "unhealthy"}})
	if len(out) != 2 {
		t.Errorf("folded into another resource's finding: %+v", out)
	}
	// Two insights on the resource and nothing else: two rows, neither
	// "agreeing" with the other.
	twin := second
	twin.Message, twin.Evidence = "another insight", map[string]any{"insightId": "y"}
	out = attach([]Finding{second, twin})
	if len(out) != 2 || strings.Contains(out[0].Message+out[1].Message, "agrees") {
		t.Errorf("an insight folded into another: %+v", out)
	}
}

// TestReportPassed: a second opinion that no finding took says which of
// the rules its attachment names judged their resources and passed them;
// failing verdicts, other resources and Rule "" (any rule) do not count.
func TestReportPassed(t *testing.T) {
	t.Parallel()
	bs := Resource{Kind: "BackendService", Project: "p", Location: "global", Name: "web"}
	ing := Resource{Kind: "Ingress", Project: "p", Cluster: "c", Namespace: "shop", Name: "site"}
	rules := []*Rule{
		{ID: "health-check-port-mismatch", Severity: Error, Check: func(p *Pass) { p.Judge(bs) }},
		{ID: "health-check-firewall-missing", Severity: Error, Check: func(p *Pass) { p.Judge(ing) }},
		{ID: "connection-draining-disabled", Severity: Warning, Check: func(p *Pass) { p.Judge(bs) }},
		{ID: "backend-unhealthy", Severity: Error, Check: func(p *Pass) {
			p.Judge(Resource{Kind: "BackendService", Project: "p", Location: "global", Name: "api"})
		}},
		{ID: "second-opinion", Severity: Warning, Check: func(p *Pass) {
			p.Judge(bs)
			p.Report(Finding{Resource: bs, Message: "Network Analyzer says so; lbdiag did not confirm it", Evidence: map[string]any{"insightId": "x"}, ReportPassed: true,
				AttachTo: &Attachment{Rule: "health-check-port-mismatch", Resource: bs, Or: []Attachment{
					{Rule: "health-check-firewall-missing", Resource: ing}, {Rule: "backend-unhealthy", Resource: bs}, {Resource: bs}}}})
		}},
	}
	res := Run(&inventory.Inventory{Project: "p"}, rules)
	if len(res.Findings) != 1 {
		t.Fatalf("findings %+v", res.Findings)
	}
	f := res.Findings[0]
	want := "Network Analyzer says so; lbdiag did not confirm it; lbdiag checked it and found no problem: health-check-port-mismatch (BackendService web), health-check-firewall-missing (Ingress shop/site)"
	if f.Message != want {
		t.Errorf("message %q\nwant    %q", f.Message, want)
	}
	if passed, _ := f.Evidence["passedBy"].([]string); len(passed) != 2 {
		t.Errorf("passedBy %v", f.Evidence["passedBy"])
	}
	// A finding that did not ask says nothing.
	rules[len(rules)-1].Check = func(p *Pass) {
		p.Report(Finding{Resource: bs, Message: "plain", AttachTo: &Attachment{Rule: "health-check-port-mismatch", Resource: bs}})
	}
	res = Run(&inventory.Inventory{Project: "p"}, rules)
	if len(res.Findings) != 1 || res.Findings[0].Message != "plain" || strings.Contains(res.Findings[0].Message, "found no problem") {
		t.Errorf("findings %+v", res.Findings)
	}
}
