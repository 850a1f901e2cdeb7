package ingress

import (
	"fmt"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// IngressDuplicateHost reports rules that replace one another.
var IngressDuplicateHost = &inspect.Rule{
	ID:       "ingress-duplicate-host",
	Severity: inspect.Warning,
	Title:    "No two rules of an Ingress share a host",
	Doc: inspect.Doc{
		Why:     `When two rules of one Ingress with an http block have the same host, GKE's controller keeps only the later one: every path of the earlier rule silently disappears from the URL map. A rule without http replaces nothing: the translator skips it before it writes the host's path rules.`,
		Fix:     `Merge the paths of both rules into one rule for that host.`,
		Sources: []string{core.SrcCheckGKEIngress + " RuleHostOverwriteCheck", "kubernetes/ingress-gce pkg/utils/gceurlmap.go (PutPathRulesForHost overwrites the host)", "kubernetes/ingress-gce pkg/controller/translator/translator.go (TranslateIngress skips rules with a nil http)"},
		URL:     core.DocCheckGKEIngress,
	},
	Check: func(p *inspect.Pass) {
		core.ForIngresses(p, func(cl *inventory.Cluster, ing *networkingv1.Ingress, class string) {
			if len(ing.Spec.Rules) == 0 {
				return
			}
			res := core.KubeResource(cl, "Ingress", ing.ObjectMeta)
			p.Judge(res)
			first := map[string]int{}
			for i, r := range ing.Spec.Rules {
				if r.HTTP == nil {
					continue // skipped by the translator: replaces nothing
				}
				j, seen := first[r.Host]
				if !seen {
					first[r.Host] = i
					continue
				}
				host := r.Host
				if host == "" {
					host = `"" (any host)`
				}
				lost := len(ing.Spec.Rules[j].HTTP.Paths)
				first[r.Host] = i
				p.Report(inspect.Finding{
					Key:         fmt.Sprintf("spec.rules[%d]/spec.rules[%d]", j, i),
					Message:     fmt.Sprintf("spec.rules[%d] and spec.rules[%d] both have host %s: the later rule replaces the earlier, so its %d path(s) are not served", j, i, host, lost),
					Resource:    res,
					Evidence:    map[string]any{"host": r.Host, "rules": []string{fmt.Sprintf("spec.rules[%d]", j), fmt.Sprintf("spec.rules[%d]", i)}, "pathsLost": lost},
					Remediation: fmt.Sprintf("move the paths of spec.rules[%d] into spec.rules[%d] and delete spec.rules[%d] (kubectl edit ingress %s -n %s)", j, i, j, ing.Name, ing.Namespace),
				})
			}
		})
	},
}
