package rules

import (
	"fmt"
	"sort"
	"strings"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inventory"
)

// BackendConfigMissing reports Services whose backend-config annotation
// names a BackendConfig that is not in the Service's namespace.
var BackendConfigMissing = &inspect.Rule{
	ID:       "backendconfig-missing",
	Severity: inspect.Error,
	Title:    "Every BackendConfig a Service's annotation names exists in the Service's namespace",
	Doc: inspect.Doc{
		Why: `GKE's Ingress controller resolves the cloud.google.com/backend-config (or beta.cloud.google.com/backend-config) annotation of every Service an Ingress routes to. When the named BackendConfig does not exist in the Service's own namespace, translation of the whole Ingress fails with "no BackendConfig for service port exists": no change reaches the load balancer for any backend of that Ingress until it is fixed, and a new Ingress never gets one. A BackendConfig in another namespace does not count.`,
		Fix: `Create the BackendConfig in the Service's namespace (or move it there), or change the annotation to name an existing one, for example:
  kubectl annotate service SVC -n NS cloud.google.com/backend-config='{"default":"NAME"}' --overwrite`,
		Sources: []string{
			"Troubleshoot load balancing in GKE: BackendConfig not found (cloud.google.com/kubernetes-engine/docs/troubleshooting/troubleshooting-gke-ingress)",
			"kubernetes/ingress-gce pkg/backendconfig/backendconfig.go (ErrBackendConfigDoesNotExist), pkg/annotations/service.go",
		},
		URL: "https://cloud.google.com/kubernetes-engine/docs/how-to/ingress-configuration#associating_backendconfig_with_your_ingress",
	},
	Check: checkBackendConfigMissing,
}

func checkBackendConfigMissing(p *inspect.Pass) {
	inv := p.Inventory
	for _, cl := range inv.Clusters {
		scope := cl.Scope()
		if !inv.Known(inventory.KubeServices, scope) || !inv.Known(inventory.KubeBackendConfigs, scope) {
			continue
		}
		byNS := map[string][]string{}
		for _, bc := range cl.BackendConfigs {
			byNS[bc.Namespace] = append(byNS[bc.Namespace], bc.Name)
		}
		for i := range cl.Services {
			svc := &cl.Services[i]
			ref, ok, err := parseBackendConfig(svc)
			if !ok || err != nil {
				continue // no annotation, or backendconfig-annotation-invalid's case
			}
			names := ref.names()
			missing := make([]string, 0, len(names))
			for n := range names {
				if !contains(byNS[svc.Namespace], n) && inv.KnownObject(inventory.KubeBackendConfigs, cl, "backendconfigs", svc.Namespace, n) {
					missing = append(missing, n)
				}
			}
			sort.Strings(missing)
			for _, name := range missing {
				p.Report(backendConfigMissingFinding(cl, svc.Namespace, svc.Name, ref, name, names[name], byNS))
			}
		}
	}
}

func backendConfigMissingFinding(cl *inventory.Cluster, ns, svcName string, ref backendConfigRef, name string, keys []string, byNS map[string][]string) inspect.Finding {
	var elsewhere []string
	for otherNS, list := range byNS {
		if otherNS != ns && contains(list, name) {
			elsewhere = append(elsewhere, otherNS)
		}
	}
	sort.Strings(elsewhere)
	near := nearest(name, byNS[ns])
	ingresses := ingressesUsingService(cl, ns, svcName)

	var msg strings.Builder
	fmt.Fprintf(&msg, "annotation %s names BackendConfig %q (as %s), which does not exist in namespace %s",
		ref.Key, name, strings.Join(keys, " and "), ns)
	if len(elsewhere) > 0 {
		fmt.Fprintf(&msg, "; a BackendConfig of that name exists in namespace %s, but it must be in the Service's namespace", strings.Join(elsewhere, ", "))
	}
	if near != "" {
		fmt.Fprintf(&msg, "; %q exists there (a typo?)", near)
	}
	if len(ingresses) > 0 {
		fmt.Fprintf(&msg, ". Until it is fixed, Ingress %s cannot sync", strings.Join(ingresses, ", "))
	}

	var fix string
	switch {
	case near != "":
		fix = fmt.Sprintf("kubectl annotate service %s -n %s %s='%s' --overwrite",
			svcName, ns, ref.Key, strings.ReplaceAll(ref.Raw, `"`+name+`"`, `"`+near+`"`))
	case len(elsewhere) > 0:
		fix = fmt.Sprintf("kubectl get backendconfig %s -n %s -o json | jq '.metadata |= {name, labels, annotations} | .metadata.namespace = \"%s\"' | kubectl apply -f -",
			name, elsewhere[0], ns)
	default:
		fix = fmt.Sprintf("create it: kubectl apply -f - <<'EOF'\napiVersion: cloud.google.com/v1\nkind: BackendConfig\nmetadata:\n  name: %s\n  namespace: %s\nspec: {}\nEOF\n(or remove %s from the annotation of Service %s/%s)",
			name, ns, strings.Join(keys, ", "), ns, svcName)
	}
	ev := map[string]any{
		"annotation":                ref.Key,
		"annotationValue":           ref.Raw,
		"backendConfig":             name,
		"referencedBy":              keys,
		"backendConfigsInNamespace": orEmpty(byNS[ns]),
	}
	if len(elsewhere) > 0 {
		ev["existsInNamespaces"] = elsewhere
	}
	if len(ingresses) > 0 {
		ev["ingresses"] = ingresses
	}
	return inspect.Finding{
		Message:     capitalize(msg.String()),
		Resource:    kubeResource(cl, "Service", metaOf(ns, svcName)),
		Evidence:    ev,
		Remediation: fix,
	}
}
