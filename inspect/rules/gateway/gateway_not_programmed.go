package gateway

import (
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// GatewayNotProgrammed reports Gateways the controller could not program
// and routes it did not accept.
var GatewayNotProgrammed = &inspect.Rule{
	ID:       "gateway-not-programmed",
	Severity: inspect.Error,
	Title:    "Every GKE Gateway is Programmed and every HTTPRoute is Accepted with resolved references",
	Doc: inspect.Doc{
		Why:     `GKE's Gateway controller sets a Gateway's Programmed condition to False, with the Compute Engine error in its message, when it cannot build the load balancer: the Gateway gets no address and serves nothing. An HTTPRoute that is not Accepted by its Gateway, or whose backend references do not resolve (a missing Service, a port it does not have, a cross-namespace reference without a ReferenceGrant), routes nothing.`,
		Fix:     `Read the condition's message (kubectl describe gateway GW -n NS / kubectl describe httproute R -n NS) and fix its cause; lbdiag names the rule that explains a known cause.`,
		Sources: []string{"Gateway API status conditions (gateway-api.sigs.k8s.io/reference/spec)", "GKE Gateway troubleshooting (cloud.google.com/kubernetes-engine/docs/troubleshooting/troubleshooting-gateway)"},
		URL:     "https://cloud.google.com/kubernetes-engine/docs/troubleshooting/troubleshooting-gateway",
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		for _, cl := range inv.Clusters {
			if p.Known(inventory.KubeGateways, cl.Scope()) {
				for i := range cl.Gateways {
					gw := &cl.Gateways[i]
					c := core.Condition(gw.Status.Conditions, "Programmed")
					if !strings.HasPrefix(gw.Spec.GatewayClassName, "gke-l7-") || c == nil {
						continue // not GKE's, or not processed yet
					}
					res := core.KubeResource(cl, "Gateway", gw.ObjectMeta)
					p.Judge(res)
					if c.Status != metav1.ConditionFalse {
						continue
					}
					f := inspect.Finding{
						Message:     fmt.Sprintf("Programmed is False (reason %s): %s", c.Reason, c.Message),
						Resource:    res,
						Evidence:    map[string]any{"condition": "Programmed", "status": "False", "reason": c.Reason, "message": c.Message},
						Remediation: fmt.Sprintf("kubectl describe gateway %s -n %s   # fix the cause the message names", gw.Name, gw.Namespace),
					}
					if !c.LastTransitionTime.IsZero() { // unset: say nothing rather than 0001-01-01
						f.Evidence["since"] = c.LastTransitionTime.UTC().Format(time.RFC3339)
					}
					core.Explain(&f, cl, res, c.Message, core.ClassifyGateway(c.Message))
					p.Report(f)
				}
			}
			if !p.Known(inventory.KubeHTTPRoutes, cl.Scope()) {
				continue
			}
			for i := range cl.HTTPRoutes {
				r := &cl.HTTPRoutes[i]
				var problems []string
				res := core.KubeResource(cl, "HTTPRoute", r.ObjectMeta)
				if len(r.Status.Parents) > 0 {
					p.Judge(res) // a controller has said how it attaches
				}
				var attach []inspect.Attachment
				for _, parent := range r.Status.Parents {
					for _, t := range []string{"Accepted", "ResolvedRefs"} {
						if c := core.Condition(parent.Conditions, t); c != nil && c.Status == metav1.ConditionFalse {
							problems = append(problems, fmt.Sprintf("%s is False for parent %s (reason %s): %s", t, parent.ParentRef.Name, c.Reason, c.Message))
							// The rule that decides the reason statically.
							rule := core.RouteConditionRules[c.Reason]
							if cause := core.ClassifyGateway(c.Message); rule == "" && cause != nil {
								rule = cause.Rule
							}
							if rule != "" {
								attach = append(attach, inspect.Attachment{Rule: rule, Resource: res})
							}
						}
					}
				}
				if len(problems) == 0 {
					continue
				}
				f := inspect.Finding{
					Message:     strings.Join(problems, "; "),
					Resource:    res,
					Evidence:    map[string]any{"problems": problems},
					Remediation: fmt.Sprintf("kubectl describe httproute %s -n %s   # fix the parentRefs or backendRefs the conditions name", r.Name, r.Namespace),
				}
				if len(attach) > 0 {
					f.AttachTo = &attach[0]
					f.AttachTo.Or = attach[1:]
				}
				p.Report(f)
			}
		}
	},
}
