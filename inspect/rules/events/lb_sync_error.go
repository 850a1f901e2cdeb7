package events

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// isSyncFailure selects the Warning events that report failed syncs.
func isSyncFailure(e *corev1.Event) bool {
	if e.Type != corev1.EventTypeWarning {
		return false
	}
	switch inventory.EventReporter(e) {
	case "loadbalancer-controller":
		return (e.Reason == "Sync" || e.Reason == "Translate") && (e.InvolvedObject.Kind == "Ingress" || e.InvolvedObject.Kind == "Service")
	case "neg-controller":
		return e.InvolvedObject.Kind == "Ingress" || e.InvolvedObject.Kind == "Service"
	}
	return false
}

// isGatewaySyncFailure selects the GKE Gateway controller's Warning events
// on Gateways and routes.
func isGatewaySyncFailure(e *corev1.Event) bool {
	if e.Type != corev1.EventTypeWarning || inventory.EventReporter(e) != inventory.ReporterGateway {
		return false
	}
	switch e.InvolvedObject.Kind {
	case "Gateway", "HTTPRoute", "GRPCRoute":
		return true
	}
	return false
}

// LBSyncError reports the controllers' recent sync failures.
var LBSyncError = &inspect.Rule{
	ID:       "lb-sync-error",
	Severity: inspect.Error,
	Needs:    []inventory.Source{inventory.KubeEvents},
	Title:    "No Ingress or Service has a recent sync failure from GKE's load-balancing controllers",
	Doc: inspect.Doc{
		Why:     `GKE's Ingress and NEG controllers (loadbalancer-controller, neg-controller) report failures as Warning events: "Translation failed: ...", "Error syncing to GCP: ...", the older "Error during sync: ...". While they repeat, the load balancer does not follow the manifest, and the ingress.kubernetes.io/* annotations describe the last successful sync, not the current spec. lbdiag classifies each message against the known causes and, when a configuration rule already reported that cause on that resource, adds the event to that finding as evidence instead of a separate row. Unknown messages are reported verbatim. The Gateway controller's are gateway-sync-error's.`,
		Fix:     `Fix the cause the message names (lbdiag explain RULE for the rule it points to), then watch the events clear: kubectl describe ingress ING -n NS`,
		Sources: []string{"kubernetes/ingress-gce pkg/controller/controller.go, pkg/controller/errors/errors.go (event texts)", core.SrcTroubleshoot},
		URL:     core.DocTroubleshootLB,
	},
	Check: func(p *inspect.Pass) {
		for _, cl := range p.Inventory.Clusters {
			groups, read := groupFailures(p, cl, isSyncFailure, core.Classify)
			if read {
				judgeIngressObjects(p, cl)
			}
			for _, g := range groups {
				p.Report(syncFinding(cl, g.obj, g.cause, g.events))
			}
		}
	},
}
