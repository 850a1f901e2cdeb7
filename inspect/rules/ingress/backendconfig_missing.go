package ingress

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// BackendConfigMissing reports BackendConfigs the controller looks up and
// does not find, in the Service's namespace.
var BackendConfigMissing = &inspect.Rule{
	ID:       "backendconfig-missing",
	Severity: inspect.Error,
	Title:    "Every BackendConfig a Service's annotation names exists in the Service's namespace",
	Doc: inspect.Doc{
		Why: `GKE's Ingress controller resolves one BackendConfig per Service port an Ingress routes to: the cloud.google.com/backend-config (or beta.cloud.google.com/backend-config) annotation's "ports" entry for that port, by name or number, else its "default". An entry whose value is "" means "no BackendConfig for this port". When the name it resolves does not exist in the Service's own namespace, translation of the whole Ingress fails with "no BackendConfig for service port exists": no change reaches the load balancer for any backend of that Ingress until it is fixed, and a new Ingress never gets one. A BackendConfig in another namespace does not count. lbdiag reports an error only for a name the controller resolves for a port some Ingress uses; a name no Ingress reaches yet is a latent warning, and a name no port resolves to (overridden on every port) is dead, an info.`,
		Fix: `Create the BackendConfig in the Service's namespace (or move it there), or change the annotation to name an existing one, for example:
  kubectl annotate service SVC -n NS cloud.google.com/backend-config='{"default":"NAME"}' --overwrite`,
		Sources: []string{
			"Troubleshoot load balancing in GKE: BackendConfig not found (cloud.google.com/kubernetes-engine/docs/troubleshooting/troubleshooting-gke-ingress)",
			"kubernetes/ingress-gce pkg/backendconfig/utils.go (BackendConfigName), pkg/backendconfig/backendconfig.go (GetBackendConfigForServicePort, ErrBackendConfigDoesNotExist, ErrNoBackendConfigForPort)",
			"kubernetes/ingress-gce pkg/controller/translator/translator.go (maybeEnableBackendConfig ignores ErrNoBackendConfigForPort; TranslateIngress walks only rules with http)",
		},
		URL: "https://cloud.google.com/kubernetes-engine/docs/how-to/ingress-configuration#associating_backendconfig_with_your_ingress",
	},
	Check: checkBackendConfigMissing,
}

func checkBackendConfigMissing(p *inspect.Pass) {
	inv := p.Inventory
	x := core.IndexOf(p)
	for _, cl := range inv.Clusters {
		scope := cl.Scope()
		if !p.Known(inventory.KubeServices, scope) || !p.Known(inventory.KubeBackendConfigs, scope) || !p.Known(inventory.KubeIngresses, scope) {
			continue
		}
		byNS := map[string][]string{}
		for _, bc := range cl.BackendConfigs {
			byNS[bc.Namespace] = append(byNS[bc.Namespace], bc.Name)
		}
		used := x.UsedPorts(cl)
		for i := range cl.Services {
			svc := &cl.Services[i]
			ref, ok, err := gke.ParseBackendConfig(svc)
			if !ok || err != nil || (ref.Default == "" && len(ref.Ports) == 0) {
				continue // no annotation, or backendconfig-annotation-invalid's case
			}
			res := core.KubeResource(cl, "Service", svc.ObjectMeta)
			names := ref.Names()
			missing := make([]string, 0, len(names))
			decided := true // every name found, or known to be absent
			for _, n := range core.SortedKeys(names) {
				if core.Contains(byNS[svc.Namespace], n) {
					continue
				}
				if !p.KnownObject(inventory.KubeBackendConfigs, cl, "backendconfigs", svc.Namespace, n) {
					decided = false
					continue
				}
				missing = append(missing, n)
			}
			if decided {
				p.Judge(res)
			}
			for _, name := range missing {
				p.Report(backendConfigMissingFinding(res, svc, ref, name, names[name], byNS, used[svc.Namespace+"/"+svc.Name]))
			}
		}
	}
}

// bcReach says where the controller resolves a BackendConfig name on a
// Service: on ports Ingresses use (and which Ingresses), on other ports
// only, or on none.
type bcReach struct {
	usedPorts  []string // "http (80)" of ports Ingresses use that resolve to it
	ingresses  []string // the Ingresses using those ports
	otherPorts []string // ports that resolve to it but no Ingress uses
}

func reachOf(svc *corev1.Service, ref gke.BackendConfigRef, name string, used []core.PortUse) bcReach {
	var r bcReach
	for _, sp := range svc.Spec.Ports {
		if n, _ := ref.Resolve(sp); n != name {
			continue
		}
		inUse := false
		for _, u := range used {
			if u.Port.Port == sp.Port {
				inUse = true
				for _, ing := range u.Ingresses {
					if !core.Contains(r.ingresses, ing) {
						r.ingresses = append(r.ingresses, ing)
					}
				}
			}
		}
		if inUse {
			r.usedPorts = append(r.usedPorts, core.PortName(sp))
		} else {
			r.otherPorts = append(r.otherPorts, core.PortName(sp))
		}
	}
	sort.Strings(r.ingresses)
	return r
}

func backendConfigMissingFinding(res inspect.Resource, svc *corev1.Service, ref gke.BackendConfigRef, name string, keys []string, byNS map[string][]string, used []core.PortUse) inspect.Finding {
	ns, svcName := svc.Namespace, svc.Name
	var elsewhere []string
	for otherNS, list := range byNS {
		if otherNS != ns && core.Contains(list, name) {
			elsewhere = append(elsewhere, otherNS)
		}
	}
	sort.Strings(elsewhere)
	near := core.Nearest(name, byNS[ns])
	reach := reachOf(svc, ref, name, used)

	var msg strings.Builder
	fmt.Fprintf(&msg, "annotation %s names BackendConfig %q (as %s), which does not exist in namespace %s",
		ref.Key, name, strings.Join(keys, " and "), ns)
	if len(elsewhere) > 0 {
		fmt.Fprintf(&msg, "; a BackendConfig of that name exists in namespace %s, but it must be in the Service's namespace", strings.Join(elsewhere, ", "))
	}
	if near != "" {
		fmt.Fprintf(&msg, "; %q exists there (a typo?)", near)
	}
	var sev inspect.Severity
	switch {
	case len(reach.usedPorts) > 0:
		fmt.Fprintf(&msg, ". The controller resolves it for port %s, which Ingress %s routes to: until it is fixed, Ingress %s cannot sync",
			strings.Join(reach.usedPorts, ", "), strings.Join(reach.ingresses, ", "), strings.Join(reach.ingresses, ", "))
	case len(reach.otherPorts) > 0:
		sev = inspect.Warning
		fmt.Fprintf(&msg, ". Latent: it is resolved for port %s, which no GKE Ingress routes to yet; the first Ingress that does will fail to sync",
			strings.Join(reach.otherPorts, ", "))
	default:
		sev = inspect.Info
		fmt.Fprintf(&msg, ". Dead: no port of the Service resolves to it (every port has its own ports entry), so the controller never looks it up; remove it from the annotation")
	}

	var fix string
	switch {
	case sev == inspect.Info:
		fix = core.AnnotateServiceFix(ns, svcName, ref.Key, ref.Without(name))
	case near != "":
		fix = core.AnnotateServiceFix(ns, svcName, ref.Key, strings.ReplaceAll(ref.Raw, `"`+name+`"`, `"`+near+`"`))
	case len(elsewhere) > 0:
		fix = fmt.Sprintf("kubectl get backendconfig %s -n %s -o json | jq '.metadata |= {name, labels, annotations} | .metadata.namespace = \"%s\"' | kubectl apply -f -",
			name, elsewhere[0], ns)
	default:
		fix = fmt.Sprintf("kubectl apply -f - <<'EOF'\napiVersion: cloud.google.com/v1\nkind: BackendConfig\nmetadata:\n  name: %s\n  namespace: %s\nspec: {}\nEOF\n# or remove %s from the annotation of Service %s/%s",
			name, ns, strings.Join(keys, ", "), ns, svcName)
	}
	ev := map[string]any{
		"annotation":                ref.Key,
		"annotationValue":           ref.Raw,
		"backendConfig":             name,
		"referencedBy":              keys,
		"backendConfigsInNamespace": core.OrEmpty(byNS[ns]),
		"resolvedOnUsedPorts":       core.OrEmpty(reach.usedPorts),
		"resolvedOnUnusedPorts":     core.OrEmpty(reach.otherPorts),
	}
	if len(elsewhere) > 0 {
		ev["existsInNamespaces"] = elsewhere
	}
	if len(reach.ingresses) > 0 {
		ev["ingresses"] = reach.ingresses
	}
	return inspect.Finding{
		Key:         name,
		Severity:    sev,
		Message:     core.Capitalize(msg.String()),
		Resource:    res,
		Evidence:    ev,
		Remediation: fix,
	}
}
