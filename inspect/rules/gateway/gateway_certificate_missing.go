package gateway

import (
	"fmt"
	"strings"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// GatewayCertificateMissing reports HTTPS listeners of GKE Gateways without
// a certificate GKE can use.
var GatewayCertificateMissing = &inspect.Rule{
	ID:           "gateway-certificate-missing",
	Severity:     inspect.Error,
	Needs:        []inventory.Source{inventory.CertificateManagerMaps},
	WholeProject: true,
	Title:        "Every HTTPS listener of a GKE Gateway has certificates that exist in its scope",
	Doc: inspect.Doc{
		Why: `GKE's Gateway gets an HTTPS listener's certificates from one source: the listener's tls.certificateRefs (Secrets), its tls.options networking.gke.io/pre-shared-certs (Compute Engine SSL certificates, global for the global classes, in the cluster's region for the regional ones), networking.gke.io/cert-manager-certs (Certificate Manager certificates), or the Gateway's networking.gke.io/certmap annotation (a Certificate Manager map, global classes only, never together with certificateRefs). A pre-shared certificate that does not exist in that scope (GWCER105 SslCertificate ... does not exist), a map that does not exist (EXTERNAL_RESOURCE_NOT_FOUND), or no source at all (GWCER106 no certificates specified for protocol HTTPS) fails the Gateway: Programmed False, and no listener of it is updated.`,
		Fix: `Create the certificate in the class's scope, or name one that exists:
  gcloud compute ssl-certificates create NAME --domains HOST --global             # global classes
  gcloud compute ssl-certificates create NAME --certificate C --private-key K --region REGION   # regional classes
or name an existing Certificate Manager map in networking.gke.io/certmap (global classes).`,
		Sources: []string{"GKE: Secure a Gateway (cloud.google.com/kubernetes-engine/docs/how-to/secure-gateway): certificate sources and limitations",
			"GKE Gateway troubleshooting: GWCER105, GWCER106", "kubernetes-sigs/gateway-api#1275 (SslCertificate global/sslCertificates/... does not exist)"},
		URL: "https://cloud.google.com/kubernetes-engine/docs/how-to/secure-gateway",
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		ps := inventory.ProjectScope(inv.Project)
		certsKnown := inv.Known(inventory.ComputeSSLCertificates, ps)
		gkeGateways(p, func(cl *inventory.Cluster, gw *inventory.Gateway, res inspect.Resource) {
			class := gw.Spec.GatewayClassName
			certmap := strings.TrimSpace(gw.Annotations[gke.AnnGatewayCertMap])
			// A Gateway with a certificate map or an HTTPS listener is
			// judged when each of its certificate sources could be looked
			// up.
			applies, decided := certmap != "", true
			defer func() {
				if applies && decided {
					p.Judge(res)
				}
			}()
			if certmap != "" {
				decided = checkCertMap(p, cl, gw, res, certmap)
			}
			for _, l := range gw.Spec.Listeners {
				if l.Protocol != "HTTPS" {
					continue
				}
				applies = true
				var refs []inventory.ObjectReference
				opts := map[string]string{}
				if l.TLS != nil {
					refs, opts = l.TLS.CertificateRefs, l.TLS.Options
				}
				preShared := gke.SplitList(opts[gke.OptPreSharedCerts])
				switch {
				case certmap != "" && len(refs) > 0:
					p.Report(inspect.Finding{
						Message:  fmt.Sprintf("listener %s has tls.certificateRefs and the Gateway names certificate map %q (networking.gke.io/certmap): GKE treats the two together as an error, and the Gateway is not programmed", l.Name, certmap),
						Resource: res, Key: "certmap+refs/" + l.Name, Evidence: map[string]any{"listener": l.Name, "certmap": certmap},
						Remediation: fmt.Sprintf("keep one source: remove tls.certificateRefs from listener %s, or the networking.gke.io/certmap annotation of Gateway %s/%s", l.Name, gw.Namespace, gw.Name),
					})
				case certmap == "" && len(refs) == 0 && len(preShared) == 0 && strings.TrimSpace(opts[gke.OptCertManagerCerts]) == "":
					p.Report(inspect.Finding{
						Message:  fmt.Sprintf("HTTPS listener %s (port %d) has no certificate: no tls.certificateRefs, no networking.gke.io/pre-shared-certs or cert-manager-certs option, no networking.gke.io/certmap annotation: GWCER106 no certificates specified for protocol HTTPS, and the Gateway is not programmed", l.Name, l.Port),
						Resource: res, Key: "none/" + l.Name, Evidence: map[string]any{"listener": l.Name},
						Remediation: fmt.Sprintf(`kubectl patch gateway %s -n %s --type json -p '[{"op":"add","path":"/spec/listeners/%d/tls","value":{"mode":"Terminate","options":{"networking.gke.io/pre-shared-certs":"CERT"}}}]'   # CERT: %s`,
							gw.Name, gw.Namespace, listenerPos(gw, l.Name), certCreate(cl, class, "CERT")),
					})
				}
				if len(preShared) == 0 {
					continue
				}
				if !certsKnown {
					p.CouldNotCheck(ps, fmt.Sprintf("Gateway %s/%s names pre-shared certificates, and the SSL certificates could not be listed", gw.Namespace, gw.Name), "")
					decided = false
					continue
				}
				for _, name := range preShared {
					if where, ok := findCert(inv, cl, class, name); !ok {
						msg := fmt.Sprintf("listener %s names pre-shared certificate %q (networking.gke.io/pre-shared-certs), which does not exist %s: GWCER105 SslCertificate does not exist, and the Gateway is not programmed", l.Name, name, certScopeText(cl, class))
						if where != "" {
							msg += fmt.Sprintf("; a certificate of that name exists %s, the wrong scope for class %s", where, class)
						}
						p.Report(inspect.Finding{Message: msg, Resource: res, Key: "pre-shared/" + l.Name + "/" + name,
							Evidence: map[string]any{"listener": l.Name, "certificate": name, "class": class}, Remediation: certCreate(cl, class, name)})
					}
				}
			}
		})
	},
}

// checkCertMap reports a certificate map a Gateway names that cannot serve
// it: on a regional class, or missing. It returns false when it could not
// tell (the maps were not listed).
func checkCertMap(p *inspect.Pass, cl *inventory.Cluster, gw *inventory.Gateway, res inspect.Resource, name string) bool {
	inv := p.Inventory
	if gke.GatewayClassRegional(gw.Spec.GatewayClassName) {
		p.Report(inspect.Finding{
			Message:  fmt.Sprintf("the Gateway names certificate map %q (networking.gke.io/certmap), but class %s builds a regional load balancer, whose target proxies take no certificate map", name, gw.Spec.GatewayClassName),
			Resource: res, Key: "certmap-regional", Evidence: map[string]any{"certmap": name, "class": gw.Spec.GatewayClassName},
			Remediation: fmt.Sprintf("use the tls.options networking.gke.io/cert-manager-certs (regional Certificate Manager certificates) or networking.gke.io/pre-shared-certs (regional SSL certificates) on the HTTPS listeners, and remove the annotation: kubectl annotate gateway %s -n %s %s-", gw.Name, gw.Namespace, gke.AnnGatewayCertMap),
		})
		return true
	}
	ps := inventory.ProjectScope(inv.Project)
	if !inv.Known(inventory.CertificateManagerMaps, ps) {
		p.CouldNotCheck(ps, fmt.Sprintf("Gateway %s/%s names certificate map %q, and Certificate Manager's maps could not be listed", gw.Namespace, gw.Name, name), "")
		return false
	}
	for _, m := range inv.CertificateMaps {
		if inventory.LastSegment(m) == name {
			return true
		}
	}
	var names []string
	for _, m := range inv.CertificateMaps {
		names = append(names, inventory.LastSegment(m))
	}
	msg := fmt.Sprintf("the Gateway names certificate map %q (networking.gke.io/certmap), which does not exist in project %s: EXTERNAL_RESOURCE_NOT_FOUND, and the Gateway is not programmed", name, inv.Project)
	fix := fmt.Sprintf("gcloud certificate-manager maps create %s --project %s   # then add entries for the Gateway's hosts: gcloud certificate-manager maps entries create ENTRY --map %s --hostname HOST --certificates CERT", name, inv.Project, name)
	if near := core.Nearest(name, names); near != "" {
		msg += fmt.Sprintf("; map %q exists (a typo?)", near)
		fix = fmt.Sprintf("kubectl annotate gateway %s -n %s --overwrite %s=%s", gw.Name, gw.Namespace, gke.AnnGatewayCertMap, near)
	}
	p.Report(inspect.Finding{Message: msg, Resource: res, Key: "certmap", Evidence: map[string]any{"certmap": name, "maps": names}, Remediation: fix})
	return true
}

// findCert looks for an SSL certificate in the scope a class needs; where
// names another scope that has one of that name.
func findCert(inv *inventory.Inventory, cl *inventory.Cluster, class, name string) (where string, ok bool) {
	regional := gke.GatewayClassRegional(class)
	for _, c := range inv.Compute.SSLCertificates {
		if c.Name != name || inventory.ProjectOf(c.SelfLink) != inv.Project {
			continue
		}
		region := inventory.LastSegment(c.Region)
		if (regional && region == cl.Region()) || (!regional && c.Region == "") {
			return "", true
		}
		if region == "" {
			where = "globally"
		} else {
			where = "in region " + region
		}
	}
	return where, false
}

func certScopeText(cl *inventory.Cluster, class string) string {
	if gke.GatewayClassRegional(class) {
		return "in region " + cl.Region()
	}
	return "globally"
}

func certCreate(cl *inventory.Cluster, class, name string) string {
	if gke.GatewayClassRegional(class) {
		return fmt.Sprintf("gcloud compute ssl-certificates create %s --certificate CERT.pem --private-key KEY.pem --region %s --project %s", name, cl.Region(), cl.Project)
	}
	return fmt.Sprintf("gcloud compute ssl-certificates create %s --domains HOST --global --project %s", name, cl.Project)
}

func listenerPos(gw *inventory.Gateway, name string) int {
	for i, l := range gw.Spec.Listeners {
		if l.Name == name {
			return i
		}
	}
	return 0
}
