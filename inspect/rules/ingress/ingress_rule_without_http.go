package ingress

import (
	"fmt"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// IngressRuleWithoutHTTP reports rules the controller silently skips.
var IngressRuleWithoutHTTP = &inspect.Rule{
	ID:       "ingress-rule-without-http",
	Severity: inspect.Warning,
	Title:    "Every Ingress rule has an http block",
	Doc: inspect.Doc{
		Why:     `A rule without "http" routes nothing: the translator skips it before it builds any path rule, so, unless another rule of the Ingress serves that host, requests for it go to the default backend (a 404 from GKE's default backend) instead of the intended Service. When another rule serves the host, the http-less rule is only dead weight (info).`,
		Fix:     `Add http.paths to the rule, or delete the rule.`,
		Sources: []string{core.SrcCheckGKEIngress + " IngressRuleCheck", "kubernetes/ingress-gce pkg/controller/translator/translator.go (TranslateIngress: rules with a nil http are skipped)"},
		URL:     core.DocCheckGKEIngress,
	},
	Check: func(p *inspect.Pass) {
		core.ForIngresses(p, func(cl *inventory.Cluster, ing *networkingv1.Ingress, class string) {
			if len(ing.Spec.Rules) == 0 {
				return
			}
			res := core.KubeResource(cl, "Ingress", ing.ObjectMeta)
			p.Judge(res)
			for i, r := range ing.Spec.Rules {
				if r.HTTP != nil {
					continue
				}
				host := r.Host
				if host == "" {
					host = "*"
				}
				served := -1
				for j, other := range ing.Spec.Rules {
					if other.HTTP != nil && other.Host == r.Host {
						served = j
					}
				}
				msg := fmt.Sprintf("spec.rules[%d] (host %s) has no http block: the controller ignores it and requests for %s go to the default backend", i, host, host)
				var sev inspect.Severity
				if served >= 0 {
					sev = inspect.Info
					msg = fmt.Sprintf("spec.rules[%d] (host %s) has no http block: the controller ignores it; spec.rules[%d] serves that host, so the rule is only dead weight", i, host, served)
				}
				p.Report(inspect.Finding{
					Key:         fmt.Sprintf("spec.rules[%d]", i),
					Severity:    sev,
					Message:     msg,
					Resource:    res,
					Evidence:    map[string]any{"rule": fmt.Sprintf("spec.rules[%d]", i), "host": r.Host, "servedBy": servedBy(served)},
					Remediation: fmt.Sprintf("add http.paths to spec.rules[%d] of Ingress %s/%s, or remove the rule: kubectl patch ingress %s -n %s --type json -p '[{\"op\":\"remove\",\"path\":\"/spec/rules/%d\"}]'", i, ing.Namespace, ing.Name, ing.Name, ing.Namespace, i),
				})
			}
		})
	},
}

func servedBy(i int) string {
	if i < 0 {
		return ""
	}
	return fmt.Sprintf("spec.rules[%d]", i)
}
