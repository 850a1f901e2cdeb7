package lb

import (
	"fmt"
	"strings"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// TargetProxyCertificateMapOverrides reports target proxies with both a
// certificate map and SSL certificates.
var TargetProxyCertificateMapOverrides = &inspect.Rule{
	ID:       "target-proxy-certificate-map-overrides",
	Severity: inspect.Warning,
	Title:    "No target proxy has both a certificate map and SSL certificates",
	Doc: inspect.Doc{
		Why: `When a target HTTPS or SSL proxy references a Certificate Manager certificate map, the map decides which certificate each client gets, and the proxy's sslCertificates are ignored. A certificate added there (by hand, by a pre-shared-cert annotation or by a ManagedCertificate) is then never presented, and a renewal or a new domain there has no effect.`,
		Fix: `Keep one: add the certificates to the map (gcloud certificate-manager maps entries create ...), then clear the classic list (gcloud compute target-https-proxies update PROXY --clear-ssl-certificates), or remove the map (--clear-certificate-map). For a GKE Ingress, remove either the networking.gke.io/certmap annotation or the pre-shared-cert / managed-certificates / spec.tls certificates.`,
		Sources: []string{"Certificate Manager: deploy a certificate map to a target proxy; certificate maps take precedence over SSL certificates (cloud.google.com/certificate-manager/docs/maps)",
			"Compute Engine API targetHttpsProxies: certificateMap (\"If set, sslCertificates will be ignored\")"},
		URL: "https://cloud.google.com/certificate-manager/docs/maps",
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		s := inventory.ProjectScope(inv.Project)
		// A proxy with a certificate map is judged: its certificates must
		// be the map's alone.
		check := func(kind, name, selfLink, certMap string, certs []string) {
			if certMap == "" {
				return
			}
			res := core.ResourceOf(kind, selfLink)
			p.Judge(res)
			if len(certs) == 0 {
				return
			}
			var names []string
			for _, c := range certs {
				names = append(names, inventory.LastSegment(c))
			}
			cmd := "target-https-proxies"
			if kind == "TargetSslProxy" {
				cmd = "target-ssl-proxies"
			}
			flag := core.GCloudLocationFlag(selfLink)
			p.Report(inspect.Finding{
				Message: fmt.Sprintf("%s %s references certificate map %s and SSL certificates %s: the map wins, so %s %s never presented",
					kind, name, inventory.LastSegment(certMap), strings.Join(names, ", "), strings.Join(names, ", "), agree(len(names), "is", "are")),
				Resource:    res,
				Evidence:    map[string]any{"certificateMap": certMap, "sslCertificates": names},
				Remediation: fmt.Sprintf("gcloud compute %s update %s %s --clear-ssl-certificates --project %s   # after adding what they served to the certificate map; or --clear-certificate-map to keep them", cmd, name, flag, inventory.ProjectOf(selfLink)),
			})
		}
		if p.Known(inventory.ComputeTargetHTTPSProxies, s) {
			for _, px := range inv.Compute.TargetHTTPSProxies {
				check("TargetHttpsProxy", px.Name, px.SelfLink, px.CertificateMap, px.SslCertificates)
			}
		}
		if p.Known(inventory.ComputeTargetSSLProxies, s) {
			for _, px := range inv.Compute.TargetSSLProxies {
				check("TargetSslProxy", px.Name, px.SelfLink, px.CertificateMap, px.SslCertificates)
			}
		}
	},
}
