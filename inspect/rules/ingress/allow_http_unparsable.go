package ingress

import (
	"fmt"
	"strconv"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// AllowHTTPUnparsable reports allow-http values the controller reads as true.
var AllowHTTPUnparsable = &inspect.Rule{
	ID:       "allow-http-unparsable",
	Severity: inspect.Warning,
	Title:    "Every allow-http annotation is a boolean the controller understands",
	Doc: inspect.Doc{
		Why:     `The controller parses kubernetes.io/ingress.allow-http with Go's strconv.ParseBool (1, t, T, TRUE, true, True, 0, f, F, FALSE, false, False). Any other value, such as "no", "off" or "disabled", is silently treated as true: the load balancer keeps serving plain HTTP on port 80 although the manifest tries to turn it off.`,
		Fix:     `kubectl annotate ingress ING -n NS kubernetes.io/ingress.allow-http=false --overwrite`,
		Sources: []string{"kubernetes/ingress-gce pkg/annotations/ingress.go (AllowHTTP)"},
		URL:     core.DocIngressHTTPS,
	},
	Check: func(p *inspect.Pass) {
		core.ForIngresses(p, func(cl *inventory.Cluster, ing *networkingv1.Ingress, class string) {
			v, ok := ing.Annotations[gke.AnnAllowHTTP]
			if !ok {
				return
			}
			res := core.KubeResource(cl, "Ingress", ing.ObjectMeta)
			p.Judge(res)
			if _, err := strconv.ParseBool(v); err == nil {
				return
			}
			meant := "true"
			switch strings.ToLower(strings.TrimSpace(v)) {
			case "no", "n", "off", "disabled", "disable", "none", "deny":
				meant = "false"
			}
			p.Report(inspect.Finding{
				Message:     fmt.Sprintf("%s is %q, which is not a boolean the controller parses: it is treated as true, so the load balancer serves plain HTTP on port 80", gke.AnnAllowHTTP, v),
				Resource:    res,
				Evidence:    map[string]any{gke.AnnAllowHTTP: v, "effective": true},
				Remediation: fmt.Sprintf("kubectl annotate ingress %s -n %s %s=%s --overwrite", ing.Name, ing.Namespace, gke.AnnAllowHTTP, meant),
			})
		})
	},
}
