package gcp

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	logging "google.golang.org/api/logging/v2"

	"github.com/lbdiag/lbdiag/gcp/recording"
	"github.com/lbdiag/lbdiag/inventory"
)

// What changed (--changes): the Admin Activity audit log entries of the
// project's load-balancing resources over a window, read with the same
// entries.list as --logs. Admin Activity logs are always on and kept 400
// days; reading them needs logging.logEntries.list (roles/logging.viewer).
const (
	// DefaultChangesWindow is --changes' window when --logs alone asks
	// for it.
	DefaultChangesWindow = 7 * 24 * time.Hour
	// MaxChangesWindow is the longest --changes window.
	MaxChangesWindow = 30 * 24 * time.Hour
	// changeEntries bounds the audit entries read per project, newest
	// first (two per operation).
	changeEntries = 2000
)

// changedCollections are the Compute Engine collections whose changes
// lbdiag reads: every load-balancing resource and the firewalls.
var changedCollections = []string{"firewalls", "firewallPolicies", "networkFirewallPolicies", "regionNetworkFirewallPolicies",
	"forwardingRules", "globalForwardingRules", "targetHttpProxies", "targetHttpsProxies", "regionTargetHttpProxies", "regionTargetHttpsProxies",
	"targetSslProxies", "targetTcpProxies", "regionTargetTcpProxies", "urlMaps", "regionUrlMaps", "backendServices", "regionBackendServices",
	"backendBuckets", "healthChecks", "regionHealthChecks", "sslCertificates", "regionSslCertificates", "sslPolicies", "regionSslPolicies",
	"securityPolicies", "regionSecurityPolicies", "networkEndpointGroups", "regionNetworkEndpointGroups", "addresses", "globalAddresses"}

// ChangesFilter is the Logging filter of the audit entries lbdiag reads.
func ChangesFilter(project string, since time.Time) string {
	return fmt.Sprintf(`logName=%q AND protoPayload.serviceName="compute.googleapis.com" AND protoPayload.methodName=~"[.](%s)[.][a-zA-Z]+$" AND timestamp>=%q`,
		"projects/"+project+"/logs/cloudaudit.googleapis.com%2Factivity", strings.Join(changedCollections, "|"), since.UTC().Format(time.RFC3339))
}

// auditPayload is the part of an AuditLog payload lbdiag reads.
type auditPayload struct {
	MethodName         string `json:"methodName"`
	ResourceName       string `json:"resourceName"`
	AuthenticationInfo struct {
		PrincipalEmail string `json:"principalEmail"`
	} `json:"authenticationInfo"`
	Request struct {
		SslCertificates []string `json:"sslCertificates"`
	} `json:"request"`
	Status *struct {
		Code int `json:"code"`
	} `json:"status"`
}

// collectChanges reads the window's audit entries and folds each
// operation's two entries (first: the request and the caller; last: its
// completion) into one change.
func (c *collector) collectChanges(ctx context.Context) {
	scope := inventory.ProjectScope(c.opts.Project)
	cov := inventory.Coverage{Source: inventory.AuditChanges, Scope: scope, Status: inventory.StatusOK}
	defer func() { c.cover(cov) }()
	since, until, unknown := c.window(c.opts.Changes, "changes")
	if unknown != "" {
		cov.Status, cov.Error = inventory.StatusUnknown, unknown
		return
	}
	svc, err := logging.NewService(ctx, c.clientOptions(recording.APILogging, c.opts.LoggingEndpoint, DefaultLoggingEndpoint)...)
	if err != nil {
		cov.Status, cov.Error = inventory.StatusError, c.errorText(err)
		return
	}
	type op struct {
		change inventory.Change
		done   bool
	}
	ops := map[string]*op{}
	var order []string
	n, hit, err := c.listEntries(ctx, svc, ChangesFilter(c.opts.Project, since), changeEntries, func(e *logging.LogEntry) bool {
		var p auditPayload
		if json.Unmarshal(e.ProtoPayload, &p) != nil || p.MethodName == "" || p.ResourceName == "" {
			return true
		}
		at, _ := time.Parse(time.RFC3339Nano, e.Timestamp)
		id := e.InsertId
		first, last := true, true
		if e.Operation != nil && e.Operation.Id != "" {
			id, first, last = e.Operation.Id, e.Operation.First, e.Operation.Last
		}
		o := ops[id]
		if o == nil {
			o = &op{change: inventory.Change{Method: p.MethodName, Resource: inventory.RelativeName(p.ResourceName), At: at}}
			ops[id] = o
			order = append(order, id)
		}
		ch := &o.change
		if last && !o.done {
			ch.At, o.done = at, true
		}
		if p.AuthenticationInfo.PrincipalEmail != "" {
			ch.Principal = p.AuthenticationInfo.PrincipalEmail
			if !c.opts.ShowPrincipals {
				ch.Principal = recording.PrincipalDomain(ch.Principal)
			}
		}
		if first {
			for _, cert := range p.Request.SslCertificates {
				ch.Certificates = append(ch.Certificates, inventory.RelativeName(cert))
			}
		}
		if (p.Status != nil && p.Status.Code != 0) || e.Severity == "ERROR" {
			ch.Failed = true
		}
		return true
	})
	ch := &inventory.Changes{Since: since, Until: until, ByResource: map[string][]inventory.Change{}, Capped: hit}
	for _, id := range order {
		o := ops[id]
		ch.ByResource[o.change.Resource] = append(ch.ByResource[o.change.Resource], o.change)
	}
	for _, list := range ch.ByResource {
		sort.SliceStable(list, func(i, j int) bool { return list[i].At.After(list[j].At) })
	}
	cov.Detail = fmt.Sprintf("%d audit log entries, %d operations on %d resources, %s to %s", n, len(order), len(ch.ByResource),
		since.UTC().Format(time.RFC3339), until.UTC().Format(time.RFC3339))
	c.endLogQuery(ctx, &cov, changeEntries, ": older changes in the window are not listed", hit, err)
	if err != nil {
		return
	}
	c.mu.Lock()
	c.changes = ch
	c.mu.Unlock()
}
