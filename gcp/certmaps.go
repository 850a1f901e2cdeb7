package gcp

import (
	"context"
	"sort"
	"strings"

	certificatemanager "google.golang.org/api/certificatemanager/v1"

	"github.com/lbdiag/lbdiag/gcp/recording"
	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inventory"
)

// DefaultCertificateManagerEndpoint is Certificate Manager's base URL.
const DefaultCertificateManagerEndpoint = "https://certificatemanager.googleapis.com/"

// namesCertMap reports whether a cluster read has a Gateway naming a
// Certificate Manager map (networking.gke.io/certmap).
func namesCertMap(clusters []*inventory.Cluster) bool {
	for _, cl := range clusters {
		for _, gw := range cl.Gateways {
			if strings.TrimSpace(gw.Annotations[gke.AnnGatewayCertMap]) != "" {
				return true
			}
		}
	}
	return false
}

// collectCertificateMaps lists the project's global Certificate Manager
// maps. lbdiag reads them only when a Gateway names one, so that a project
// without Certificate Manager (its API disabled) has no gap for it.
func (c *collector) collectCertificateMaps(ctx context.Context) []string {
	project := c.opts.Project
	cov := inventory.Coverage{Source: inventory.CertificateManagerMaps, Scope: inventory.ProjectScope(project), Status: inventory.StatusOK}
	defer func() { c.cover(cov) }()
	svc, err := certificatemanager.NewService(ctx, c.clientOptions(recording.APICertificateManager, c.opts.CertificateManagerEndpoint, DefaultCertificateManagerEndpoint)...)
	if err != nil {
		cov.Status, cov.Error = inventory.StatusError, c.errorText(err)
		return nil
	}
	var out []string
	var guard pageGuard
	err = svc.Projects.Locations.CertificateMaps.List("projects/"+project+"/locations/global").PageSize(100).
		Pages(ctx, func(resp *certificatemanager.ListCertificateMapsResponse) error {
			for _, m := range resp.CertificateMaps {
				out = append(out, m.Name)
			}
			return guard.next(resp.NextPageToken)
		})
	if err != nil {
		cov.Status, cov.Error = inventory.StatusError, c.errorText(err)
		cov.Hint = c.googleHint(ctx, err, "certificatemanager", project, "certificatemanager.certmaps.list", "roles/certificatemanager.viewer")
		return nil
	}
	sort.Strings(out)
	return out
}
