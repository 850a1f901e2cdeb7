package ingress

import (
	"fmt"
	"sort"
	"strings"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// SecurityPolicyMissing reports BackendConfigs whose Cloud Armor policy does
// not exist in the project.
var SecurityPolicyMissing = &inspect.Rule{
	ID:           "security-policy-missing",
	Severity:     inspect.Error,
	WholeProject: true,
	Title:        "Every Cloud Armor policy a BackendConfig or GCPBackendPolicy names exists as a global policy of the project",
	Doc: inspect.Doc{
		Why: `A BackendConfig's spec.securityPolicy.name is applied by GKE's Ingress controller to every backend service built for the Services that use it. When the project has no global Cloud Armor security policy of that name, each sync fails with "The given security policy ... does not exist" (repeated on every resync): the backend runs without the protection the manifest promises, and other changes to the load balancer are held up. Regional policies do not count: GKE Ingress attaches only global policies.`,
		Fix: `Create the policy in the cluster's project, or correct the name in the BackendConfig:
  gcloud compute security-policies create NAME --project PROJECT
  kubectl patch backendconfig BC -n NS --type merge -p '{"spec":{"securityPolicy":{"name":"EXISTING"}}}'`,
		Sources: []string{
			"Troubleshoot load balancing in GKE: security policy does not exist (cloud.google.com/kubernetes-engine/docs/troubleshooting/troubleshooting-gke-ingress)",
			"kubernetes/ingress-gce pkg/backends/features/securitypolicy.go",
		},
		URL: "https://cloud.google.com/kubernetes-engine/docs/how-to/ingress-configuration#cloud_armor",
	},
	Check: checkSecurityPolicyMissing,
}

func checkSecurityPolicyMissing(p *inspect.Pass) {
	inv := p.Inventory
	if !p.Known(inventory.ComputeSecurityPolicies, inventory.ProjectScope(inv.Project)) {
		return
	}
	var global []string
	regional := map[string][]string{}
	for _, sp := range inv.Compute.SecurityPolicies {
		if inventory.ProjectOf(sp.SelfLink) != "" && inventory.ProjectOf(sp.SelfLink) != inv.Project {
			continue
		}
		if sp.Region != "" {
			regional[sp.Name] = append(regional[sp.Name], inventory.LastSegment(sp.Region))
		} else {
			global = append(global, sp.Name)
		}
	}
	sort.Strings(global)
	for _, cl := range inv.Clusters {
		if !p.Known(inventory.KubeBackendConfigs, cl.Scope()) {
			continue
		}
		for i := range cl.BackendConfigs {
			bc := &cl.BackendConfigs[i]
			sp := bc.Spec.SecurityPolicy
			if sp == nil || sp.Name == "" {
				continue
			}
			res := core.KubeResource(cl, "BackendConfig", bc.ObjectMeta)
			p.Judge(res)
			if core.Contains(global, sp.Name) {
				continue
			}
			p.Report(securityPolicyFinding(res, inv, cl, bc, global, regional[sp.Name]))
		}
	}
	for _, cl := range inv.Clusters {
		if !p.Known(inventory.KubeGCPBackendPolicies, cl.Scope()) {
			continue
		}
		for i := range cl.GCPBackendPolicies {
			pol := &cl.GCPBackendPolicies[i]
			if pol.Spec.Default == nil || pol.Spec.Default.SecurityPolicy == nil {
				continue
			}
			name := *pol.Spec.Default.SecurityPolicy
			if name == "" {
				continue
			}
			res := core.KubeResource(cl, "GCPBackendPolicy", pol.ObjectMeta)
			p.Judge(res)
			if core.Contains(global, name) {
				continue
			}
			msg := fmt.Sprintf("spec.default.securityPolicy is %q, but project %s has no global Cloud Armor security policy of that name", name, inv.Project)
			fix := fmt.Sprintf("gcloud compute security-policies create %s --project %s   # then add its rules", name, inv.Project)
			if near := core.Nearest(name, global); near != "" {
				msg += fmt.Sprintf("; the project has %q (a typo?)", near)
				fix = fmt.Sprintf(`kubectl patch gcpbackendpolicy %s -n %s --type merge -p '{"spec":{"default":{"securityPolicy":"%s"}}}'`, pol.Name, pol.Namespace, near)
			}
			p.Report(inspect.Finding{
				Message:     msg + fmt.Sprintf(". The policy targets %s %s", pol.Spec.TargetRef.Kind, pol.Spec.TargetRef.Name),
				Resource:    res,
				Evidence:    map[string]any{"spec.default.securityPolicy": name, "globalSecurityPolicies": core.OrEmpty(global)},
				Remediation: fix,
			})
		}
	}
}

func securityPolicyFinding(res inspect.Resource, inv *inventory.Inventory, cl *inventory.Cluster, bc *inventory.BackendConfig, global, regions []string) inspect.Finding {
	name := bc.Spec.SecurityPolicy.Name
	var msg strings.Builder
	fmt.Fprintf(&msg, "spec.securityPolicy.name is %q, but project %s has no global Cloud Armor security policy of that name",
		name, inv.Project)
	if len(regions) > 0 {
		sort.Strings(regions)
		fmt.Fprintf(&msg, " (a regional policy of that name exists in %s; GKE Ingress attaches only global policies)", strings.Join(regions, ", "))
	}
	near := core.Nearest(name, global)
	if near != "" {
		fmt.Fprintf(&msg, "; the project has %q (a typo?)", near)
	} else if len(global) > 0 {
		fmt.Fprintf(&msg, "; the project's global policies are %s", core.QuoteList(global, 5))
	} else {
		msg.WriteString("; the project has no global security policy at all")
	}
	users := servicesUsingBackendConfig(cl, bc.Namespace, bc.Name)
	if len(users) > 0 {
		fmt.Fprintf(&msg, ". Services using this BackendConfig: %s", strings.Join(users, ", "))
	}

	fix := fmt.Sprintf("gcloud compute security-policies create %s --project %s   # then add its rules", name, inv.Project)
	if near != "" {
		fix = fmt.Sprintf("kubectl patch backendconfig %s -n %s --type merge -p '{\"spec\":{\"securityPolicy\":{\"name\":\"%s\"}}}'", bc.Name, bc.Namespace, near)
	}
	ev := map[string]any{
		"spec.securityPolicy.name": name,
		"globalSecurityPolicies":   core.OrEmpty(global),
	}
	if len(regions) > 0 {
		ev["regionalPolicyRegions"] = regions
	}
	if len(users) > 0 {
		ev["services"] = users
	}
	return inspect.Finding{
		Message:     core.Capitalize(msg.String()),
		Resource:    res,
		Evidence:    ev,
		Remediation: fix,
	}
}

// servicesUsingBackendConfig returns "ns/name" of the Services whose
// annotation names the BackendConfig.
func servicesUsingBackendConfig(cl *inventory.Cluster, ns, name string) []string {
	var out []string
	for i := range cl.Services {
		svc := &cl.Services[i]
		if svc.Namespace != ns {
			continue
		}
		if ref, ok, err := gke.ParseBackendConfig(svc); ok && err == nil {
			if _, uses := ref.Names()[name]; uses {
				out = append(out, svc.Namespace+"/"+svc.Name)
			}
		}
	}
	return out
}
