package gateway

import (
	"fmt"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// GatewaySecurityPolicyNotApplied reports Cloud Armor policies a
// GCPBackendPolicy names that are not on the backend services GKE built
// for its Service.
var GatewaySecurityPolicyNotApplied = &inspect.Rule{
	ID:       "gateway-security-policy-not-applied",
	Severity: inspect.Warning,
	Title:    "The Cloud Armor policy a GCPBackendPolicy names is on the backend services of its Service",
	Doc: inspect.Doc{
		Why: `A GCPBackendPolicy's spec.default.securityPolicy asks GKE's Gateway controller to put that Cloud Armor policy on the backend services it builds for the target Service. When a backend service does not carry it, the traffic to that Service is not filtered: the policy does not exist (in the backend service's scope: global for global Gateways, the region for regional ones), the class does not support it, the policy is not attached (Conflicted with an older one), or the controller cannot sync the Gateway. The Gateway twin of security-policy-not-applied.`,
		Fix: `Create the Cloud Armor policy in the backend service's scope, or fix the name; then check the policy's Attached condition and the Gateway's sync:
  kubectl describe gcpbackendpolicy POLICY -n NS
  gcloud compute backend-services describe BACKEND_SERVICE --global --format 'value(securityPolicy)'`,
		Sources: []string{"GKE: Configure Gateway resources using Policies, Cloud Armor (cloud.google.com/kubernetes-engine/docs/how-to/configure-gateway-resources#configure_cloud_armor)",
			"GoogleCloudPlatform/gke-gateway-api GCPBackendPolicy spec.default.securityPolicy"},
		URL: "https://cloud.google.com/kubernetes-engine/docs/how-to/configure-gateway-resources#configure_cloud_armor",
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		ps := inventory.ProjectScope(inv.Project)
		if !p.Known(inventory.ComputeBackendServices, ps) {
			return
		}
		// Unread Cloud Armor policies only change the words.
		policiesKnown := inv.Known(inventory.ComputeSecurityPolicies, ps)
		x := core.IndexOf(p)
		for _, cl := range inv.Clusters {
			if !p.Known(inventory.KubeServices, cl.Scope()) || !p.Known(inventory.KubeGCPBackendPolicies, cl.Scope()) {
				continue
			}
			for i := range cl.GCPBackendPolicies {
				pol := &cl.GCPBackendPolicies[i]
				if pol.Spec.Default == nil || pol.Spec.Default.SecurityPolicy == nil || *pol.Spec.Default.SecurityPolicy == "" || pol.Spec.TargetRef.Kind != "Service" {
					continue
				}
				want := *pol.Spec.Default.SecurityPolicy
				svc := core.FindService(cl, pol.Namespace, pol.Spec.TargetRef.Name)
				if svc == nil {
					continue
				}
				res := core.KubeResource(cl, "GCPBackendPolicy", pol.ObjectMeta)
				for _, sb := range core.GatewayBackendServices(x, cl, svc) {
					p.Judge(res) // a backend service GKE built for the Service
					have := inventory.LastSegment(sb.BS.SecurityPolicy)
					if have == want {
						continue
					}
					carries := "no security policy"
					if have != "" {
						carries = fmt.Sprintf("security policy %q", have)
					}
					why := "the controller has not applied it: see the policy's Attached condition and the Gateway's sync"
					fix := fmt.Sprintf("kubectl describe gcpbackendpolicy %s -n %s   # Attached? then: kubectl describe gateway GATEWAY -n NS for the sync error", pol.Name, pol.Namespace)
					if policiesKnown && !securityPolicyIn(inv, want, sb.BS.Region) {
						scope, flag := "global", "--global"
						if sb.BS.Region != "" {
							scope, flag = "region "+inventory.LastSegment(sb.BS.Region), "--region "+inventory.LastSegment(sb.BS.Region)
						}
						why = fmt.Sprintf("no Cloud Armor policy %q exists in the backend service's scope (%s)", want, scope)
						fix = fmt.Sprintf("gcloud compute security-policies create %s %s --project %s   # or name an existing policy in spec.default.securityPolicy", want, flag, inventory.ProjectOf(sb.BS.SelfLink))
					}
					p.Report(inspect.Finding{
						Message: fmt.Sprintf("GCPBackendPolicy %s/%s names Cloud Armor policy %q for Service %s, but its backend service %s (port %d) carries %s: %s. Traffic to the Service is not filtered",
							pol.Namespace, pol.Name, want, svc.Name, sb.BS.Name, sb.Port.Port, carries, why),
						Resource: res, Key: sb.BS.Name,
						Evidence:    map[string]any{"securityPolicy": want, "backendService": sb.BS.SelfLink, "backendServiceSecurityPolicy": sb.BS.SecurityPolicy},
						Remediation: fix,
					})
				}
			}
		}
	},
}

// securityPolicyIn reports whether a Cloud Armor policy of the name exists
// in the scope of a backend service (its region, or global).
func securityPolicyIn(inv *inventory.Inventory, name, region string) bool {
	for _, sp := range inv.Compute.SecurityPolicies {
		if sp.Name == name && inventory.LastSegment(sp.Region) == inventory.LastSegment(region) {
			return true
		}
	}
	return false
}
