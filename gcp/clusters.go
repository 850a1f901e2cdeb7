package gcp

import (
	"context"
	"fmt"
	"sort"
	"strings"

	container "cloud.google.com/go/container/apiv1"
	"cloud.google.com/go/container/apiv1/containerpb"
	"google.golang.org/api/option"

	"github.com/lbdiag/lbdiag/gcp/recording"
	"github.com/lbdiag/lbdiag/inventory"
)

// listClusters reads every cluster of the project in every location.
// Locations the API could not answer for come back as missing zones.
func listClusters(ctx context.Context, opts []option.ClientOption, project string) (*containerpb.ListClustersResponse, error) {
	client, err := container.NewClusterManagerRESTClient(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("creating GKE client: %w", err)
	}
	defer client.Close()
	resp, err := client.ListClusters(ctx, &containerpb.ListClustersRequest{Parent: "projects/" + project + "/locations/-"})
	if err != nil {
		return nil, fmt.Errorf("listing GKE clusters of %s: %w", project, err)
	}
	return resp, nil
}

// IngestClusters returns the clusters of a clusters.list answer, sorted by
// location and name.
func IngestClusters(resp *containerpb.ListClustersResponse) []*containerpb.Cluster {
	out := append([]*containerpb.Cluster(nil), resp.GetClusters()...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].GetLocation() != out[j].GetLocation() {
			return out[i].GetLocation() < out[j].GetLocation()
		}
		return out[i].GetName() < out[j].GetName()
	})
	return out
}

// selectClusters keeps the clusters named in want ("name" or
// "location/name"); all when want is empty. A name that matches nothing is
// an error listing what exists.
func selectClusters(all []*containerpb.Cluster, want []string) ([]*containerpb.Cluster, error) {
	if len(want) == 0 {
		return all, nil
	}
	var out []*containerpb.Cluster
	seen := map[*containerpb.Cluster]bool{}
	for _, w := range want {
		found := false
		for _, c := range all {
			if w == c.GetName() || w == c.GetLocation()+"/"+c.GetName() {
				found = true
				if !seen[c] {
					seen[c] = true
					out = append(out, c)
				}
			}
		}
		if !found {
			names := make([]string, 0, len(all))
			for _, c := range all {
				names = append(names, c.GetLocation()+"/"+c.GetName())
			}
			return nil, fmt.Errorf("--cluster %q matches no cluster of the project (clusters: %v)", w, names)
		}
	}
	return out, nil
}

// missingZoneCoverage turns the missingZones of a clusters.list answer into
// coverage gaps.
func missingZoneCoverage(project string, zones []string) []inventory.Coverage {
	var out []inventory.Coverage
	for _, z := range zones {
		out = append(out, inventory.Coverage{
			Source: inventory.GKEClusters,
			Scope:  inventory.ProjectScope(project) + "/locations/" + z,
			Status: inventory.StatusError,
			Error:  "the GKE API could not list clusters in " + z + " (missingZones)",
			Hint:   "clusters in that location may be missing from this report; run again later",
		})
	}
	return out
}

func (c *collector) clusters(ctx context.Context) ([]*containerpb.Cluster, error) {
	project := c.opts.Project
	// The GKE client joins paths with a leading slash: the base URL must
	// not end in one.
	endpoint := strings.TrimRight(firstNonEmpty(c.opts.ContainerEndpoint, DefaultContainerEndpoint), "/")
	resp, err := listClusters(ctx, c.clientOptions(recording.APIContainer, endpoint, DefaultContainerEndpoint), project)
	if err != nil {
		c.mu.Lock()
		c.clusterErr = err
		c.mu.Unlock()
		c.cover(inventory.Coverage{Source: inventory.GKEClusters, Scope: inventory.ProjectScope(project), Status: inventory.StatusError,
			Error: c.errorText(err), Hint: c.googleHint(ctx, err, "container", project, "container.clusters.list", "roles/container.clusterViewer")})
		return nil, nil
	}
	c.cover(inventory.Coverage{Source: inventory.GKEClusters, Scope: inventory.ProjectScope(project), Status: inventory.StatusOK})
	for _, m := range missingZoneCoverage(project, resp.GetMissingZones()) {
		c.cover(m)
	}
	return selectClusters(IngestClusters(resp), c.opts.Clusters)
}
