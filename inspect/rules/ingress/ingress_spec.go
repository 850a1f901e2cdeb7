package ingress

import (
	"fmt"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// Ingress annotations users write.

// FrontendConfigMissing reports Ingresses naming an absent FrontendConfig.
var FrontendConfigMissing = &inspect.Rule{
	ID:       "frontendconfig-missing",
	Severity: inspect.Error,
	Title:    "Every FrontendConfig an Ingress names exists in the Ingress's namespace",
	Doc: inspect.Doc{
		Why: `The networking.gke.io/v1beta1.FrontendConfig annotation names a FrontendConfig in the Ingress's namespace. When it is absent the controller warns "no FrontendConfig for Ingress exists" and builds the load balancer without it: no HTTP-to-HTTPS redirect and no SSL policy, which the manifest promised.`,
		Fix: `Create the FrontendConfig in the Ingress's namespace, or correct the annotation:
  kubectl annotate ingress ING -n NS networking.gke.io/v1beta1.FrontendConfig=EXISTING --overwrite`,
		Sources: []string{core.SrcCheckGKEIngress + " FrontendConfigExistenceCheck", "kubernetes/ingress-gce pkg/frontendconfig/frontendconfig.go (FrontendConfigForIngress: an empty name is no FrontendConfig)"},
		URL:     core.DocIngressFeatures + "#configuring_ingress_features_through_frontendconfig_parameters",
	},
	Check: func(p *inspect.Pass) {
		core.ForIngresses(p.Inventory, func(cl *inventory.Cluster, ing *networkingv1.Ingress, class string) {
			// An empty value is no annotation at all
			// (pkg/frontendconfig FrontendConfigForIngress: "we do not
			// want to return an error").
			name, ok := ing.Annotations[core.AnnFrontendConfig]
			if !ok || name == "" || !p.Inventory.KnownObject(inventory.KubeFrontendConfigs, cl, "frontendconfigs", ing.Namespace, name) {
				return
			}
			var names []string
			for _, fc := range cl.FrontendConfigs {
				if fc.Namespace == ing.Namespace {
					names = append(names, fc.Name)
				}
				if fc.Namespace == ing.Namespace && fc.Name == name {
					return
				}
			}
			msg := fmt.Sprintf("Annotation %s names FrontendConfig %q, which does not exist in namespace %s: the load balancer is built without its redirect and SSL policy", core.AnnFrontendConfig, name, ing.Namespace)
			fix := fmt.Sprintf("create FrontendConfig %s/%s (apiVersion networking.gke.io/v1beta1), or correct the annotation", ing.Namespace, name)
			if near := core.Nearest(name, names); near != "" {
				msg += fmt.Sprintf("; %q exists there (a typo?)", near)
				fix = fmt.Sprintf("kubectl annotate ingress %s -n %s %s=%s --overwrite", ing.Name, ing.Namespace, core.AnnFrontendConfig, near)
			}
			p.Report(inspect.Finding{Message: msg, Resource: core.KubeResource(cl, "Ingress", ing.ObjectMeta),
				Evidence:    map[string]any{"annotation": core.AnnFrontendConfig, "frontendConfig": name, "frontendConfigsInNamespace": core.OrEmpty(names)},
				Remediation: fix})
		})
	},
}

// ILBFrontendConfigUnsupported reports internal Ingresses with a
// FrontendConfig.
var ILBFrontendConfigUnsupported = &inspect.Rule{
	ID:       "ilb-frontendconfig-unsupported",
	Severity: inspect.Error,
	Title:    "No internal (gce-internal) Ingress references a FrontendConfig",
	Doc: inspect.Doc{
		Why: `FrontendConfig features (HTTPS redirect, SSL policy) are not supported by internal Application Load Balancers built for gce-internal Ingresses; a redirect fails with "cannot enable HTTPS Redirects with L7 ILB" and the configuration is not applied.`,
		Fix: `Remove the annotation from the internal Ingress:
  kubectl annotate ingress ING -n NS networking.gke.io/v1beta1.FrontendConfig-`,
		Sources: []string{core.SrcCheckGKEIngress + " L7ILBFrontendConfigCheck", "kubernetes/ingress-gce pkg/loadbalancers/url_maps.go"},
		URL:     core.DocInternalIngress,
	},
	Check: func(p *inspect.Pass) {
		core.ForIngresses(p.Inventory, func(cl *inventory.Cluster, ing *networkingv1.Ingress, class string) {
			name, ok := ing.Annotations[core.AnnFrontendConfig]
			if class != inventory.ClassInternal || !ok {
				return
			}
			p.Report(inspect.Finding{
				Message:     fmt.Sprintf("Ingress of class gce-internal references FrontendConfig %q (annotation %s): FrontendConfig can only be used with external Ingresses", name, core.AnnFrontendConfig),
				Resource:    core.KubeResource(cl, "Ingress", ing.ObjectMeta),
				Evidence:    map[string]any{"class": class, "frontendConfig": name},
				Remediation: fmt.Sprintf("kubectl annotate ingress %s -n %s %s-", ing.Name, ing.Namespace, core.AnnFrontendConfig),
			})
		})
	},
}

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
		core.ForIngresses(p.Inventory, func(cl *inventory.Cluster, ing *networkingv1.Ingress, class string) {
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
					Resource:    core.KubeResource(cl, "Ingress", ing.ObjectMeta),
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

// IngressDuplicateHost reports rules that replace one another.
var IngressDuplicateHost = &inspect.Rule{
	ID:       "ingress-duplicate-host",
	Severity: inspect.Warning,
	Title:    "No two rules of an Ingress share a host",
	Doc: inspect.Doc{
		Why:     `When two rules of one Ingress with an http block have the same host, GKE's controller keeps only the later one: every path of the earlier rule silently disappears from the URL map. A rule without http replaces nothing: the translator skips it before it writes the host's path rules.`,
		Fix:     `Merge the paths of both rules into one rule for that host.`,
		Sources: []string{core.SrcCheckGKEIngress + " RuleHostOverwriteCheck", "kubernetes/ingress-gce pkg/utils/gceurlmap.go (PutPathRulesForHost overwrites the host)", "kubernetes/ingress-gce pkg/controller/translator/translator.go (TranslateIngress skips rules with a nil http)"},
		URL:     core.DocCheckGKEIngress,
	},
	Check: func(p *inspect.Pass) {
		core.ForIngresses(p.Inventory, func(cl *inventory.Cluster, ing *networkingv1.Ingress, class string) {
			first := map[string]int{}
			for i, r := range ing.Spec.Rules {
				if r.HTTP == nil {
					continue // skipped by the translator: replaces nothing
				}
				j, seen := first[r.Host]
				if !seen {
					first[r.Host] = i
					continue
				}
				host := r.Host
				if host == "" {
					host = `"" (any host)`
				}
				lost := len(ing.Spec.Rules[j].HTTP.Paths)
				first[r.Host] = i
				p.Report(inspect.Finding{
					Key:         fmt.Sprintf("spec.rules[%d]/spec.rules[%d]", j, i),
					Message:     fmt.Sprintf("spec.rules[%d] and spec.rules[%d] both have host %s: the later rule replaces the earlier, so its %d path(s) are not served", j, i, host, lost),
					Resource:    core.KubeResource(cl, "Ingress", ing.ObjectMeta),
					Evidence:    map[string]any{"host": r.Host, "rules": []string{fmt.Sprintf("spec.rules[%d]", j), fmt.Sprintf("spec.rules[%d]", i)}, "pathsLost": lost},
					Remediation: fmt.Sprintf("move the paths of spec.rules[%d] into spec.rules[%d] and delete spec.rules[%d] (kubectl edit ingress %s -n %s)", j, i, j, ing.Name, ing.Namespace),
				})
			}
		})
	},
}

// ServiceTypeInvalid reports instance-group backends on ClusterIP Services.
var ServiceTypeInvalid = &inspect.Rule{
	ID:       "service-type-invalid",
	Severity: inspect.Error,
	Title:    `Every Service an Ingress reaches without "ingress": true NEGs is of type NodePort or LoadBalancer`,
	Doc: inspect.Doc{
		Why: `Before anything else, the translator checks each Service port an Ingress of any GKE class uses: unless the Service's cloud.google.com/neg annotation says "ingress": true, the Service must be a NodePort or LoadBalancer (maybeEnableNEG). A ClusterIP Service fails with "service ... is type "ClusterIP", expected "NodePort" or "LoadBalancer"" and the Ingress stops syncing. For gce the fix is NEGs or a NodePort; gce-internal and gce-regional-external need NEGs anyway. GKE adds the NEG annotation itself only to new Services on VPC-native clusters, so older or Shared VPC Services may lack it.`,
		Fix: `Prefer NEGs (VPC-native clusters):
  kubectl annotate service SVC -n NS cloud.google.com/neg='{"ingress":true}'
or make the Service a NodePort:
  kubectl patch service SVC -n NS -p '{"spec":{"type":"NodePort"}}'`,
		Sources: []string{"kubernetes/ingress-gce pkg/controller/translator/translator.go (maybeEnableNEG)", "kubernetes/ingress-gce pkg/controller/errors/errors.go (ErrBadSvcType)", "Container-native load balancing through Ingress (" + core.DocNEG + ")"},
		URL:     core.DocNEG,
	},
	Check: func(p *inspect.Pass) {
		seen := map[string]bool{}
		forIngressBackends(p.Inventory, func(cl *inventory.Cluster, ing *networkingv1.Ingress, class string, b core.IngressBackend) {
			svc := core.FindService(cl, ing.Namespace, b.Service.Name)
			if svc == nil {
				return
			}
			if a, set, err := core.ParseNEG(svc); set && err == nil && a.Ingress {
				return
			}
			if t := svc.Spec.Type; t == "NodePort" || t == "LoadBalancer" {
				return
			}
			key := cl.Scope() + "/" + svc.Namespace + "/" + svc.Name
			if seen[key] {
				return
			}
			seen[key] = true
			t := string(svc.Spec.Type)
			if t == "" {
				t = "ClusterIP"
			}
			fix := fmt.Sprintf("kubectl annotate service %s -n %s cloud.google.com/neg='{\"ingress\":true}' --overwrite", svc.Name, svc.Namespace)
			if class == inventory.ClassGCE && !cl.Info.GetIpAllocationPolicy().GetUseIpAliases() {
				fix = fmt.Sprintf("kubectl patch service %s -n %s -p '{\"spec\":{\"type\":\"NodePort\"}}'   # routes-based cluster: NEGs are not available", svc.Name, svc.Namespace)
			}
			need := "without NEGs it needs a NodePort"
			if class != inventory.ClassGCE {
				need = "class " + class + " needs NEGs, and a Service without them must first pass this type check"
			}
			p.Report(inspect.Finding{
				Message: fmt.Sprintf("Service is of type %s and has no cloud.google.com/neg annotation with \"ingress\": true, but Ingress %s/%s (class %s) routes to it: the controller fails with service \"%s/%s\" is type %q, expected \"NodePort\" or \"LoadBalancer\" (%s), so the Ingress cannot sync",
					t, ing.Namespace, ing.Name, class, svc.Namespace, svc.Name, t, need),
				Resource:    core.KubeResource(cl, "Service", svc.ObjectMeta),
				Evidence:    map[string]any{"type": t, "negAnnotation": svc.Annotations[core.AnnNEG], "ingress": ing.Namespace + "/" + ing.Name, "class": class},
				Remediation: fix,
			})
		})
	},
}

// tlsSources describes the certificates an Ingress gets.
func tlsSources(ing *networkingv1.Ingress) (secrets []string, preShared, managed string) {
	for _, t := range ing.Spec.TLS {
		if t.SecretName != "" {
			secrets = append(secrets, t.SecretName)
		}
	}
	return secrets, strings.TrimSpace(ing.Annotations[core.AnnPreSharedCert]), strings.TrimSpace(ing.Annotations[core.AnnManagedCerts])
}

// AllowHTTPWithoutTLS reports Ingresses that disable HTTP and have no TLS.
var AllowHTTPWithoutTLS = &inspect.Rule{
	ID:       "allow-http-without-tls",
	Severity: inspect.Error,
	Title:    "Every Ingress that disables HTTP has a TLS certificate",
	Doc: inspect.Doc{
		Why: `With kubernetes.io/ingress.allow-http: "false" the load balancer gets no HTTP frontend. Without any certificate (no spec.tls secret, no pre-shared-cert, no managed-certificates) it gets no HTTPS frontend either: the controller refuses with "both HTTP and HTTPS are disabled ... your Ingress will not be able to serve any traffic" and the load balancer is never built.`,
		Fix: `Give the Ingress a certificate (spec.tls[].secretName, networking.gke.io/managed-certificates, or ingress.gcp.kubernetes.io/pre-shared-cert), or allow HTTP:
  kubectl annotate ingress ING -n NS kubernetes.io/ingress.allow-http=true --overwrite`,
		Sources: []string{"kubernetes/ingress-gce pkg/loadbalancers/l7.go (errAllProtocolsDisabled)", "kubernetes/ingress-gce issue #1478"},
		URL:     core.DocIngressHTTPS,
	},
	Check: func(p *inspect.Pass) {
		core.ForIngresses(p.Inventory, func(cl *inventory.Cluster, ing *networkingv1.Ingress, class string) {
			v, ok := ing.Annotations[core.AnnAllowHTTP]
			allow, err := strconv.ParseBool(v)
			if !ok || err != nil || allow {
				return
			}
			secrets, preShared, managed := tlsSources(ing)
			if len(secrets) > 0 || preShared != "" || managed != "" {
				return
			}
			msg := fmt.Sprintf("%s is %q and the Ingress has no certificate (no spec.tls secretName, no %s, no %s): with neither HTTP nor HTTPS the load balancer is never built", core.AnnAllowHTTP, v, core.AnnPreSharedCert, core.AnnManagedCerts)
			if len(ing.Spec.TLS) > 0 {
				msg += fmt.Sprintf(" (spec.tls has %d entr(ies) but none names a secret)", len(ing.Spec.TLS))
			}
			p.Report(inspect.Finding{Message: msg, Resource: core.KubeResource(cl, "Ingress", ing.ObjectMeta),
				Evidence:    map[string]any{core.AnnAllowHTTP: v, "tlsEntries": len(ing.Spec.TLS)},
				Remediation: fmt.Sprintf("add a certificate (e.g. kubectl annotate ingress %s -n %s %s=CERT_NAME), or: kubectl annotate ingress %s -n %s %s=true --overwrite", ing.Name, ing.Namespace, core.AnnManagedCerts, ing.Name, ing.Namespace, core.AnnAllowHTTP)})
		})
	},
}

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
		core.ForIngresses(p.Inventory, func(cl *inventory.Cluster, ing *networkingv1.Ingress, class string) {
			v, ok := ing.Annotations[core.AnnAllowHTTP]
			if !ok {
				return
			}
			if _, err := strconv.ParseBool(v); err == nil {
				return
			}
			meant := "true"
			switch strings.ToLower(strings.TrimSpace(v)) {
			case "no", "n", "off", "disabled", "disable", "none", "deny":
				meant = "false"
			}
			p.Report(inspect.Finding{
				Message:     fmt.Sprintf("%s is %q, which is not a boolean the controller parses: it is treated as true, so the load balancer serves plain HTTP on port 80", core.AnnAllowHTTP, v),
				Resource:    core.KubeResource(cl, "Ingress", ing.ObjectMeta),
				Evidence:    map[string]any{core.AnnAllowHTTP: v, "effective": true},
				Remediation: fmt.Sprintf("kubectl annotate ingress %s -n %s %s=%s --overwrite", ing.Name, ing.Namespace, core.AnnAllowHTTP, meant),
			})
		})
	},
}

// IngressTLSSecretNameMissing reports spec.tls entries without a secret.
var IngressTLSSecretNameMissing = &inspect.Rule{
	ID:       "ingress-tls-secret-name-missing",
	Severity: inspect.Error,
	Title:    "Every spec.tls entry of an Ingress names a secret",
	Doc: inspect.Doc{
		Why: `GKE ignores spec.tls[].hosts and loads the secret of every spec.tls entry. An entry without secretName (typical when the certificate comes from pre-shared-cert or managed-certificates) makes the whole load-balancer sync fail with "secret "" does not exist": no frontend change is applied until it is removed.`,
		Fix: `Remove spec.tls entries that name no secret (certificates from managed-certificates or pre-shared-cert need no spec.tls entry):
  kubectl patch ingress ING -n NS --type json -p '[{"op":"remove","path":"/spec/tls/0"}]'`,
		Sources: []string{"kubernetes/ingress-gce pkg/translator/translator.go (secrets)", "kubernetes/ingress-gce issue #1334"},
		URL:     core.DocIngressHTTPS,
	},
	Check: func(p *inspect.Pass) {
		core.ForIngresses(p.Inventory, func(cl *inventory.Cluster, ing *networkingv1.Ingress, class string) {
			for i := len(ing.Spec.TLS) - 1; i >= 0; i-- {
				t := ing.Spec.TLS[i]
				if t.SecretName != "" {
					continue
				}
				p.Report(inspect.Finding{
					Key:         fmt.Sprintf("spec.tls[%d]", i),
					Message:     fmt.Sprintf("spec.tls[%d] (hosts %s) has no secretName: the load-balancer sync fails with `secret \"\" does not exist`", i, strings.Join(t.Hosts, ", ")),
					Resource:    core.KubeResource(cl, "Ingress", ing.ObjectMeta),
					Evidence:    map[string]any{"tls": fmt.Sprintf("spec.tls[%d]", i), "hosts": t.Hosts},
					Remediation: fmt.Sprintf("kubectl patch ingress %s -n %s --type json -p '[{\"op\":\"remove\",\"path\":\"/spec/tls/%d\"}]'", ing.Name, ing.Namespace, i),
				})
			}
		})
	},
}

// ILBNEGAnnotationMissing reports Services of internal Ingresses without
// ingress NEGs.
var ILBNEGAnnotationMissing = &inspect.Rule{
	ID:       "ilb-neg-annotation-missing",
	Severity: inspect.Error,
	Title:    `Every Service behind a gce-internal or gce-regional-external Ingress has cloud.google.com/neg with "ingress": true`,
	Doc: inspect.Doc{
		Why: `Internal and regional external Application Load Balancers reach Pods only through NEGs. For gce-internal and gce-regional-external Ingresses the translator marks every Service port NEG-backed once the Service passes its type check (a NodePort or LoadBalancer Service without the annotation passes it; a ClusterIP one fails it, see service-type-invalid), but the NEG controller creates the NEGs only when the Service carries cloud.google.com/neg with "ingress": true. Without it the sync fails with "networkEndpointGroups/k8s1-... was not found" (404). GKE adds the annotation itself only on VPC-native, non-Shared-VPC clusters without network policy, so the live object is what counts.`,
		Fix: `kubectl annotate service SVC -n NS cloud.google.com/neg='{"ingress":true}' --overwrite`,
		Sources: []string{core.SrcCheckGKEIngress + " L7ILBNegAnnotationCheck", "kubernetes/ingress-gce pkg/controller/translator/translator.go (maybeEnableNEG: L7ILBEnabled and L7XLBRegionalEnabled force NEGs after the type check)",
			"Configuring Ingress for internal Application Load Balancers (" + core.DocInternalIngress + ")", "kubernetes/kubernetes issue #93740 (NEG 404)"},
		URL: core.DocInternalIngress,
	},
	Check: func(p *inspect.Pass) {
		seen := map[string]bool{}
		forIngressBackends(p.Inventory, func(cl *inventory.Cluster, ing *networkingv1.Ingress, class string, b core.IngressBackend) {
			svc := core.FindService(cl, ing.Namespace, b.Service.Name)
			if svc == nil || (class != inventory.ClassInternal && class != inventory.ClassRegionalExternal) {
				return
			}
			a, set, err := core.ParseNEG(svc)
			if err != nil || (set && a.Ingress) {
				return // invalid JSON is neg-annotation-invalid's
			}
			if t := svc.Spec.Type; t != corev1.ServiceTypeNodePort && t != corev1.ServiceTypeLoadBalancer {
				return // the controller fails the type check first: service-type-invalid's
			}
			key := cl.Scope() + "/" + svc.Namespace + "/" + svc.Name
			if seen[key] {
				return
			}
			seen[key] = true
			now := "none"
			if set {
				now = svc.Annotations[core.AnnNEG]
			}
			value := `{"ingress":true}`
			if set && len(a.ExposedPorts) > 0 {
				value = `{"ingress":true,"exposed_ports":` + core.MustJSON(a.ExposedPorts) + `}`
			}
			p.Report(inspect.Finding{
				Message:     fmt.Sprintf("Ingress %s/%s (class %s) routes to this Service, whose %s annotation is %s, without \"ingress\": true: the controller builds NEG backends for class %s, but the NEG controller creates no NEG, so the sync fails with a NEG 404 and the load balancer has no backends", ing.Namespace, ing.Name, class, core.AnnNEG, now, class),
				Resource:    core.KubeResource(cl, "Service", svc.ObjectMeta),
				Evidence:    map[string]any{"ingress": ing.Namespace + "/" + ing.Name, "negAnnotation": now},
				Remediation: fmt.Sprintf("kubectl annotate service %s -n %s %s='%s' --overwrite", svc.Name, svc.Namespace, core.AnnNEG, value),
			})
		})
	},
}
