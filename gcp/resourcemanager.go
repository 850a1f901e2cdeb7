package gcp

import (
	"context"
	"fmt"
	"sort"
	"strings"

	crm "google.golang.org/api/cloudresourcemanager/v3"

	"github.com/lbdiag/lbdiag/inventory"
)

// DefaultResourceManagerEndpoint is Cloud Resource Manager's base URL.
const DefaultResourceManagerEndpoint = "https://cloudresourcemanager.googleapis.com/"

// APIResourceManager labels Cloud Resource Manager exchanges.
const APIResourceManager = "cloudresourcemanager"

// ResourceManagerSource is the coverage source of a folder or
// organization whose children could not be listed.
const ResourceManagerSource inventory.Source = "cloudresourcemanager.projects"

// ListProjects returns the IDs of every ACTIVE project under parent
// ("organizations/ID" or "folders/ID"), nested folders included, sorted
// by ID in byte order: Cloud Resource Manager v3 folders.list and
// projects.list by parent, every page. Projects in any other state
// (DELETE_REQUESTED) are left out whatever showDeleted does. A folder that
// cannot be listed is a coverage gap; the rest of the tree is still
// walked. endpoint overrides the API's base URL.
func ListProjects(ctx context.Context, opts Options, endpoint, parent string) ([]string, inventory.CoverageSet, error) {
	c := newCollector(opts)
	svc, err := crm.NewService(ctx, c.clientOptions(APIResourceManager, endpoint, DefaultResourceManagerEndpoint)...)
	if err != nil {
		return nil, nil, err
	}
	var projects []string
	var gaps inventory.CoverageSet
	seen := map[string]bool{}
	var walk func(parent string)
	walk = func(parent string) {
		if seen[parent] {
			return
		}
		seen[parent] = true
		ps, err := listAllCRM(ctx, func(tok string) (*crm.ListProjectsResponse, error) {
			call := svc.Projects.List().Parent(parent).PageSize(pageSize).Context(ctx)
			if tok != "" {
				call = call.PageToken(tok)
			}
			return call.Do()
		}, func(r *crm.ListProjectsResponse) ([]*crm.Project, string) { return r.Projects, r.NextPageToken })
		if err != nil {
			gaps = append(gaps, c.crmGap(ctx, parent, "projects", err))
		}
		for _, p := range ps {
			if p.State == "ACTIVE" && p.ProjectId != "" {
				projects = append(projects, p.ProjectId)
			}
		}
		fs, err := listAllCRM(ctx, func(tok string) (*crm.ListFoldersResponse, error) {
			call := svc.Folders.List().Parent(parent).PageSize(pageSize).Context(ctx)
			if tok != "" {
				call = call.PageToken(tok)
			}
			return call.Do()
		}, func(r *crm.ListFoldersResponse) ([]*crm.Folder, string) { return r.Folders, r.NextPageToken })
		if err != nil {
			gaps = append(gaps, c.crmGap(ctx, parent, "folders", err))
		}
		for _, f := range fs {
			if f.State == "ACTIVE" && f.Name != "" {
				walk(f.Name)
			}
		}
	}
	walk(parent)
	sort.Strings(projects)
	return dedupe(projects), gaps, nil
}

// listAllCRM reads every page of a Resource Manager list.
func listAllCRM[R any, T any](ctx context.Context, page func(tok string) (R, error), items func(R) ([]T, string)) ([]T, error) {
	var out []T
	var guard pageGuard
	for tok := ""; ; {
		r, err := page(tok)
		if err != nil {
			return out, err
		}
		got, next := items(r)
		out = append(out, got...)
		if next == "" {
			return out, nil
		}
		if err := guard.next(next); err != nil {
			return out, err
		}
		tok = next
	}
}

func (c *collector) crmGap(ctx context.Context, parent, what string, err error) inventory.Coverage {
	perm := "resourcemanager.projects.list"
	if what == "folders" {
		perm = "resourcemanager.folders.list"
	}
	return inventory.Coverage{Source: ResourceManagerSource, Scope: parent, Status: inventory.StatusError,
		Error: c.errorText(fmt.Errorf("listing the %s under %s: %w", what, parent, err)),
		Hint:  strings.Replace(c.googleHint(ctx, err, "cloudresourcemanager", parent, perm, "roles/browser"), "on project "+parent, "on "+parent, 1) + "; the projects under it were not inspected"}
}

func dedupe(s []string) []string {
	var out []string
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}
