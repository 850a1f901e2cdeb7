package events

import (
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// GatewayHealthy is the condition GKE's Gateway controller adds to a
// Gateway, with every error of its last translation.
const conditionGatewayHealthy = "networking.gke.io/GatewayHealthy"

// GatewaySyncError reports the GKE Gateway controller's recent failures.
var GatewaySyncError = &inspect.Rule{
	ID:       "gateway-sync-error",
	Severity: inspect.Error,
	Needs:    []inventory.Source{inventory.KubeEvents},
	Title:    "No Gateway or route has a recent sync failure from GKE's Gateway controller",
	Doc: inspect.Doc{
		Why: `GKE's Gateway controller (sc-gateway-controller) reports a failed translation as Warning events on the Gateway or the route ("failed to translate Gateway ...: Error GWCERnnn: ...") and in the Gateway's networking.gke.io/GatewayHealthy condition. One bad route or listener fails the whole Gateway's translation: until it is fixed, no change to any of its routes reaches the load balancer. lbdiag classifies the GWCER codes and the Compute Engine errors the controller quotes (gceSync) into known causes; when the rule that decides that cause statically already reported it (route-backend-missing, gateway-certificate-missing, gateway-address-missing, ...), or gateway-not-programmed reported the same Gateway, the event is added to that finding as evidence instead of a row of its own.`,
		Fix: `Fix the cause the message names (lbdiag explain RULE for the rule it points to), then watch the Gateway's events and conditions clear:
  kubectl describe gateway GW -n NS`,
		Sources: []string{"GKE Gateway troubleshooting (cloud.google.com/kubernetes-engine/docs/troubleshooting/troubleshooting-gateway): GWCER101-GWCER106",
			"gcpdiag rules gke/ERR/2023_006, 2023_007 (GWCER101, GWCER106 in event logs)"},
		URL: "https://cloud.google.com/kubernetes-engine/docs/troubleshooting/troubleshooting-gateway",
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		for _, cl := range inv.Clusters {
			groups, read := groupFailures(p, cl, isGatewaySyncFailure, core.ClassifyGateway)
			if read {
				judgeGatewayObjects(p, cl)
			}
			for _, g := range groups {
				f := syncFinding(cl, g.obj, g.cause, g.events)
				foldIntoNotProgrammed(cl, &f)
				p.Report(f)
			}
			if !p.Known(inventory.KubeGateways, cl.Scope()) {
				continue
			}
			for i := range cl.Gateways {
				gw := &cl.Gateways[i]
				if !gke.IsGKEGatewayClass(gw.Spec.GatewayClassName) {
					continue
				}
				c := core.Condition(gw.Status.Conditions, conditionGatewayHealthy)
				if c == nil || c.Status != metav1.ConditionFalse {
					continue
				}
				p.Report(healthFinding(cl, gw, c))
			}
		}
	},
}

// healthFinding reports a Gateway's GatewayHealthy False condition.
func healthFinding(cl *inventory.Cluster, gw *inventory.Gateway, c *metav1.Condition) inspect.Finding {
	res := core.KubeResource(cl, "Gateway", gw.ObjectMeta)
	f := inspect.Finding{Resource: res, Key: "condition:" + conditionGatewayHealthy,
		Evidence:    map[string]any{"condition": conditionGatewayHealthy, "status": "False", "reason": c.Reason, "message": c.Message},
		Message:     fmt.Sprintf("%s is False (reason %s): %s", conditionGatewayHealthy, c.Reason, c.Message),
		Remediation: fmt.Sprintf("kubectl describe gateway %s -n %s   # fix what the message names", gw.Name, gw.Namespace)}
	if !c.LastTransitionTime.IsZero() {
		f.Evidence["since"] = c.LastTransitionTime.UTC().Format(time.RFC3339)
	}
	core.Explain(&f, cl, res, c.Message, core.ClassifyGateway(c.Message))
	foldIntoNotProgrammed(cl, &f)
	return f
}

// foldIntoNotProgrammed makes a finding on a Gateway fold, failing the
// rule its cause names, into gateway-not-programmed's on that Gateway:
// both quote the same translation error.
func foldIntoNotProgrammed(cl *inventory.Cluster, f *inspect.Finding) {
	if f.Resource.Kind != "Gateway" {
		return
	}
	np := inspect.Attachment{Rule: "gateway-not-programmed", Resource: f.Resource}
	if f.AttachTo == nil {
		f.AttachTo = &np
		return
	}
	f.AttachTo.Or = append(f.AttachTo.Or, np)
}
