package ingress

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// SecurityPolicyNotApplied reports backend services that do not carry the
// Cloud Armor policy their BackendConfig names.
var SecurityPolicyNotApplied = &inspect.Rule{
	ID:       "security-policy-not-applied",
	Severity: inspect.Warning,
	Title:    "Every backend service built for a Service carries the Cloud Armor policy its BackendConfig names",
	Doc: inspect.Doc{
		Why: `GKE's Ingress controller attaches the BackendConfig's spec.securityPolicy to each backend service it builds for the Service. When the backend service carries another policy or none, the controller is failing to apply it (permissions, a regional backend, a stuck sync): traffic reaches the Pods without the protection the manifest declares.`,
		Fix: `Find the controller's error in the Ingress's events (kubectl describe ingress ING -n NS). To apply the policy now:
  gcloud compute backend-services update BACKEND-SERVICE --security-policy POLICY --global --project PROJECT`,
		Sources: []string{"kubernetes/ingress-gce pkg/backends/features/securitypolicy.go", "GKE Ingress: Google Cloud Armor security policy (" + core.DocIngressFeatures + "#cloud_armor)"},
		URL:     core.DocIngressFeatures + "#cloud_armor",
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		ps := inventory.ProjectScope(inv.Project)
		if !p.Known(inventory.ComputeBackendServices, ps) || !p.Known(inventory.ComputeSecurityPolicies, ps) {
			return
		}
		global := map[string]bool{}
		for _, sp := range inv.Compute.SecurityPolicies {
			if sp.Region == "" {
				global[sp.Name] = true
			}
		}
		forServices(p, func(cl *inventory.Cluster, svc *corev1.Service) {
			ref, ok, err := gke.ParseBackendConfig(svc)
			if !ok || err != nil || !p.Known(inventory.KubeBackendConfigs, cl.Scope()) {
				return
			}
			for _, sb := range core.BackendServicesOf(core.IndexOf(p), cl, svc) {
				bcName := ref.ForPort(sb.Port)
				bc := core.FindBackendConfig(cl, svc.Namespace, bcName)
				if bc == nil || bc.Spec.SecurityPolicy == nil || bc.Spec.SecurityPolicy.Name == "" || !global[bc.Spec.SecurityPolicy.Name] || sb.BS.Region != "" {
					continue
				}
				res := core.BackendServiceResource(sb.BS)
				p.Judge(res)
				want := bc.Spec.SecurityPolicy.Name
				have := inventory.LastSegment(sb.BS.SecurityPolicy)
				if have == want {
					continue
				}
				carries := "no security policy"
				if have != "" {
					carries = fmt.Sprintf("security policy %q", have)
				}
				p.Report(inspect.Finding{
					Message: fmt.Sprintf("BackendConfig %s/%s names Cloud Armor policy %q for port %s of Service %s/%s, but its backend service carries %s: the controller is not applying it",
						svc.Namespace, bcName, want, core.PortName(sb.Port), svc.Namespace, svc.Name, carries),
					Resource: res,
					Evidence: map[string]any{"backendConfig": svc.Namespace + "/" + bcName, "spec.securityPolicy.name": want, "backendService.securityPolicy": sb.BS.SecurityPolicy, "service": svc.Namespace + "/" + svc.Name},
					Remediation: fmt.Sprintf("kubectl describe ingress -n %s   # find the controller's error; to apply it now: gcloud compute backend-services update %s --security-policy %s %s --project %s",
						svc.Namespace, sb.BS.Name, want, core.GCloudScope(sb.BS), inventory.ProjectOf(sb.BS.SelfLink)),
				})
			}
		})
	},
}
