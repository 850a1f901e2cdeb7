package gcp

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	compute "google.golang.org/api/compute/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inventory"
)

// Health modes (Options.Health).
const (
	// HealthAuto reads every backend group when they are at most the
	// budget; above it, the groups that matter most first (see
	// healthReader.choose), up to the budget.
	HealthAuto = "auto"
	// HealthAll reads every backend group, paced by the rate limit.
	HealthAll = "all"
	// HealthNone reads none.
	HealthNone = "none"
)

// DefaultHealthBudget is the most getHealth calls --health auto makes.
const DefaultHealthBudget = 300

// healthReader calls backendServices.getHealth for the backend groups of
// the backend services that serve inspected Ingresses and Gateways (only
// the focused ones, with focus flags). With --health all each cluster's
// reads start as soon as its objects and the backend service list are in;
// with auto lbdiag first gathers every candidate, then chooses. A group
// shared by several backend services with the same health checks is read
// once: the answer is the same. A pool of Concurrency workers makes the
// calls.
type healthReader struct {
	c    *collector
	svc  *compute.Service
	mode string
	// skipReason says why no health is read when no rule of the run
	// needs it.
	skipReason string

	mu         sync.Mutex
	wg         sync.WaitGroup
	queue      chan *healthRead
	reads      map[string]*healthRead       // by groupKey, read or to be read
	candidates []*healthCandidate           // auto: gathered, not yet chosen
	known      map[string]bool              // groupKeys offered
	uses       map[string]map[string]string // backend service selfLink -> group -> groupKey
	fromAnn    map[string]bool              // backend services judged HEALTHY by the annotation and not read
	offered    bool
	// byKey indexes the backend service list (backendServices).
	indexOnce sync.Once
	byKey     map[string]*compute.BackendService
}

// healthRead is one getHealth call and its answer.
type healthRead struct {
	bs    *compute.BackendService
	group string
	resp  *compute.BackendServiceGroupHealth
	err   error
	ctx   context.Context
}

// healthCandidate is a backend group auto mode may read.
type healthCandidate struct {
	key   string
	bs    *compute.BackendService
	group string
	// priority: 0 focused or implicated, 1 not known HEALTHY (an
	// annotation that does not say HEALTHY, or a Gateway's backend, which
	// has no annotation), 2 HEALTHY by the annotation.
	priority int
	// spread groups candidates for round robin: cluster and owner.
	spread string
}

func newHealthReader(c *collector, svc *compute.Service) *healthReader {
	mode := c.opts.Health
	if mode == "" {
		mode = HealthAuto
	}
	skipReason, skip := c.opts.skip(inventory.ComputeBackendHealth)
	if skip {
		mode = HealthNone
	}
	h := &healthReader{c: c, svc: svc, mode: mode, skipReason: skipReason, reads: map[string]*healthRead{}, known: map[string]bool{},
		uses: map[string]map[string]string{}, fromAnn: map[string]bool{}}
	return h
}

// groupKey identifies a read: the group and the health checks that judge
// it.
func groupKey(bs *compute.BackendService, group string) string {
	hcs := make([]string, 0, len(bs.HealthChecks))
	for _, h := range bs.HealthChecks {
		hcs = append(hcs, inventory.RelativeName(h))
	}
	sort.Strings(hcs)
	return inventory.RelativeName(group) + "|" + strings.Join(hcs, ",")
}

// implicatedNames are the backend service and NEG names the cluster's
// Warning events quote: their health matters first.
var implicatedName = regexp.MustCompile(`\b(?:k8s1|k8s2|gkegw1)-[0-9a-z-]+`)

// readCluster offers the backend groups of the backend services the
// cluster's Ingresses and Gateways name (the focused ones only). The
// backend service list must be in.
func (h *healthReader) readCluster(ctx context.Context, cl *inventory.Cluster) {
	if h.mode == HealthNone {
		return
	}
	serving := inventory.ServingBackendServices(cl)
	status := map[string]string{} // backend service name -> the backends annotation's health
	for i := range cl.Ingresses {
		for k, v := range gke.IngressBackendStates(&cl.Ingresses[i]) {
			if prev, ok := status[k]; !ok || prev == "HEALTHY" {
				status[k] = v
			}
		}
	}
	implicated := map[string]bool{}
	for i := range cl.Events {
		if cl.Events[i].Type == "Warning" {
			for _, n := range implicatedName.FindAllString(cl.Events[i].Message, -1) {
				implicated[n] = true
			}
		}
	}
	focus := h.c.opts.Focus
	focusedSvcs := focus.Services(cl)
	byKey := h.backendServices()
	var list []*compute.BackendService
	owners := map[*compute.BackendService][]string{}
	for key, os := range serving {
		bs, ok := byKey[key]
		if !ok {
			continue
		}
		var kept []string
		for _, o := range os {
			if focus.Includes(o) {
				kept = append(kept, o)
			}
		}
		// A backend service of a Service a focused object uses, whoever's
		// annotation names it.
		if d, ok := gke.ParseBackendServiceDescription(bs.Description); len(kept) == 0 && ok && focusedSvcs[d.Service] {
			kept = os
		}
		if len(kept) > 0 {
			list = append(list, bs)
			owners[bs] = kept
		}
	}
	// In the order of their selfLinks, whatever order the API listed
	// them in: the budget's round robin takes them in this order.
	bySelfLink(list, func(bs *compute.BackendService) string { return bs.SelfLink })

	h.mu.Lock()
	defer h.mu.Unlock()
	h.offered = true
	for _, bs := range list {
		if h.uses[bs.SelfLink] == nil {
			h.uses[bs.SelfLink] = map[string]string{}
		}
		prio := 2
		switch {
		case !focus.Empty() || implicated[bs.Name]:
			prio = 0
		case strings.HasPrefix(owners[bs][0], "Gateway ") || status[bs.Name] != "HEALTHY":
			prio = 1
		}
		for _, b := range bs.Backends {
			if implicated[inventory.LastSegment(b.Group)] && prio > 0 {
				prio = 0
			}
			h.offer(ctx, bs, b.Group, prio, cl.Scope()+" "+owners[bs][0])
		}
	}
}

// backendServices indexes the project's backend services by scoped key
// ("global/backendServices/N"), once the list is in: each cluster looks up
// the few it serves instead of scanning them all.
func (h *healthReader) backendServices() map[string]*compute.BackendService {
	h.indexOnce.Do(func() {
		h.c.mu.Lock()
		defer h.c.mu.Unlock()
		h.byKey = make(map[string]*compute.BackendService, len(h.c.compute.BackendServices))
		for _, bs := range h.c.compute.BackendServices {
			h.byKey[inventory.ScopedKey(bs.SelfLink)] = bs
		}
	})
	return h.byKey
}

// readProject offers the backend groups of every other backend service of
// the project with a health check and a user: the load balancers no
// inspected Ingress or Gateway names, GKE's or not. Focus flags and
// --cluster narrow health reads to what they name, so then it offers none. Groups getHealth cannot judge
// (internet, serverless and Private Service Connect NEGs) are left out.
func (h *healthReader) readProject(ctx context.Context) {
	if h.mode == HealthNone || !h.c.opts.Focus.Empty() || len(h.c.opts.Clusters) > 0 {
		return // focus flags and --cluster narrow health reads to what they name
	}
	h.c.mu.Lock()
	var list []*compute.BackendService
	for _, bs := range h.c.compute.BackendServices {
		// usedBy is Compute Engine's list of what references it (URL
		// maps, proxies, forwarding rules): one used by nothing serves no
		// traffic, and its health is not worth a call.
		if len(bs.HealthChecks) > 0 && len(bs.Backends) > 0 && len(bs.UsedBy) > 0 {
			list = append(list, bs)
		}
	}
	h.c.mu.Unlock()
	bySelfLink(list, func(bs *compute.BackendService) string { return bs.SelfLink })
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, bs := range list {
		if _, offered := h.uses[bs.SelfLink]; offered {
			continue
		}
		h.offered = true
		h.uses[bs.SelfLink] = map[string]string{}
		for _, b := range bs.Backends {
			if healthReadable(b.Group) {
				h.offer(ctx, bs, b.Group, 1, "project "+bs.Name)
			}
		}
	}
}

// offer records that a backend service uses a group and, the first time
// the group (with those health checks) is offered, reads it (--health
// all) or makes it a candidate (auto). The caller holds h.mu.
func (h *healthReader) offer(ctx context.Context, bs *compute.BackendService, group string, prio int, spread string) {
	key := groupKey(bs, group)
	h.uses[bs.SelfLink][group] = key
	if h.known[key] {
		return
	}
	h.known[key] = true
	if h.mode == HealthAll {
		h.enqueue(ctx, bs, group, key)
		return
	}
	h.candidates = append(h.candidates, &healthCandidate{key: key, bs: bs, group: group, priority: prio, spread: spread})
}

// healthReadable reports whether getHealth judges a backend group: an
// instance group, or a zonal NEG (VM or Pod endpoints).
func healthReadable(group string) bool {
	return strings.Contains(group, "/instanceGroups/") || (strings.Contains(group, "/zones/") && strings.Contains(group, "/networkEndpointGroups/"))
}

// enqueue schedules one read; the caller holds h.mu.
func (h *healthReader) enqueue(ctx context.Context, bs *compute.BackendService, group, key string) {
	if h.queue == nil {
		h.queue = make(chan *healthRead, 1024)
		for i := 0; i < h.c.opts.concurrency(); i++ {
			go func() {
				for r := range h.queue {
					r.resp, r.err = h.get(r.ctx, r.bs, r.group)
					h.wg.Done()
				}
			}()
		}
	}
	r := &healthRead{bs: bs, group: group, ctx: ctx}
	h.reads[key] = r
	h.wg.Add(1)
	// The queue is buffered; a full one blocks the cluster's goroutine,
	// which is what pacing wants.
	h.mu.Unlock()
	h.queue <- r
	h.mu.Lock()
}

// choose picks, in auto mode, the candidates to read: all of them when they
// fit the budget; else the focused and implicated ones, then those not
// known HEALTHY, then the others, each class spread evenly over clusters
// and load balancers (round robin), up to the budget. The rest are not
// read; rules treat them as unknown.
func (h *healthReader) choose(ctx context.Context) {
	h.mu.Lock()
	defer h.mu.Unlock()
	budget := h.budget()
	cands := h.candidates
	h.candidates = nil
	if len(cands) > budget {
		var chosen []*healthCandidate
		for prio := 0; prio <= 2 && len(chosen) < budget; prio++ {
			byOwner := map[string][]*healthCandidate{}
			var order []string
			for _, c := range cands {
				if c.priority != prio {
					continue
				}
				if _, ok := byOwner[c.spread]; !ok {
					order = append(order, c.spread)
				}
				byOwner[c.spread] = append(byOwner[c.spread], c)
			}
			sort.Strings(order)
			for len(chosen) < budget {
				took := false
				for _, o := range order {
					if q := byOwner[o]; len(q) > 0 && len(chosen) < budget {
						chosen = append(chosen, q[0])
						byOwner[o] = q[1:]
						took = true
					}
				}
				if !took {
					break
				}
			}
		}
		in := map[string]bool{}
		for _, c := range chosen {
			in[c.key] = true
		}
		for _, c := range cands {
			if !in[c.key] && c.priority == 2 {
				h.fromAnn[c.bs.SelfLink] = true
			}
		}
		cands = chosen
	}
	for _, c := range cands {
		h.enqueue(ctx, c.bs, c.group, c.key)
	}
}

func (h *healthReader) budget() int {
	if h.c.opts.HealthBudget > 0 {
		return h.c.opts.HealthBudget
	}
	return DefaultHealthBudget
}

func (h *healthReader) get(ctx context.Context, bs *compute.BackendService, group string) (*compute.BackendServiceGroupHealth, error) {
	project := inventory.ProjectOf(bs.SelfLink)
	ref := &compute.ResourceGroupReference{Group: group}
	if bs.Region != "" {
		return h.svc.RegionBackendServices.GetHealth(project, inventory.LastSegment(bs.Region), bs.Name, ref).Context(ctx).Do()
	}
	return h.svc.BackendServices.GetHealth(project, bs.Name, ref).Context(ctx).Do()
}

// finish waits for every read and stores the answers, keyed by backend
// service selfLink and group, with one coverage entry that says how many
// groups were read, and of those not read, which were HEALTHY by the
// controller's annotation.
func (h *healthReader) finish() {
	h.wg.Wait()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.queue != nil {
		close(h.queue)
	}
	scope := inventory.ProjectScope(h.c.opts.Project)
	if h.mode == HealthNone {
		detail := "--health none: backend health was not read; rules that need it stay silent"
		if h.skipReason != "" {
			detail = h.skipReason
		}
		h.c.cover(inventory.Coverage{Source: inventory.ComputeBackendHealth, Scope: scope, Status: inventory.StatusSkipped, Detail: detail})
		return
	}
	if !h.offered {
		return
	}
	health := map[string]map[string]*compute.BackendServiceGroupHealth{}
	for bsLink, groups := range h.uses {
		for group, key := range groups {
			if r := h.reads[key]; r != nil && r.err == nil && r.resp != nil {
				if health[bsLink] == nil {
					health[bsLink] = map[string]*compute.BackendServiceGroupHealth{}
				}
				health[bsLink][group] = r.resp
			}
		}
	}
	var failures []string
	var first *healthRead
	keys := make([]string, 0, len(h.reads))
	for k := range h.reads {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if r := h.reads[k]; r.err != nil {
			if first == nil {
				first = r
			}
			failures = append(failures, fmt.Sprintf("%s group %s: %s", r.bs.Name, inventory.RelativeName(r.group), h.c.errorText(r.err)))
		}
	}
	total, read := len(h.known), len(h.reads)
	cov := inventory.Coverage{Source: inventory.ComputeBackendHealth, Scope: scope, Status: inventory.StatusOK,
		Detail: fmt.Sprintf("health read for %d of %d backend groups", read, total)}
	if read < total {
		qps := h.c.opts.MaxQPS
		if qps <= 0 {
			qps = DefaultMaxQPS
		}
		cov.Status = inventory.StatusSkipped
		cov.Detail += fmt.Sprintf(" (--health auto reads at most %d, those that matter most first: focused and implicated backends, then those the controllers do not report HEALTHY); %d backend services were judged from their Ingress's ingress.kubernetes.io/backends annotation alone, where HEALTHY means at least one healthy endpoint; the groups not read are unknown, never taken as healthy. --health all reads every one, about %s at %s requests a second",
			h.budget(), len(h.fromAnn), (time.Duration(float64(total)/qps) * time.Second).Round(time.Second), formatQPS(qps))
	}
	if len(failures) > 0 {
		cov.Status = inventory.StatusError
		cov.Error = fmt.Sprintf("%d of %d getHealth calls failed; first: %s", len(failures), read, failures[0])
		cov.Hint = "the health of those groups is unknown; " +
			h.c.googleHint(first.ctx, first.err, "compute", inventory.ProjectOf(first.bs.SelfLink), "compute.backendServices.get", "roles/compute.viewer")
	}
	h.c.mu.Lock()
	defer h.c.mu.Unlock()
	h.c.compute.BackendHealth = health
	h.c.coverage = append(h.c.coverage, cov)
}
