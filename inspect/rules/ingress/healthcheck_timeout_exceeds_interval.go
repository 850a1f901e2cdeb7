package ingress

import (
	"fmt"
	"strconv"
	"strings"

	compute "google.golang.org/api/compute/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/lbdiag/lbdiag/gke"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// HealthCheckTimeoutExceedsInterval reports health checks whose timeout is
// longer than their interval, as the controller will build them.
var HealthCheckTimeoutExceedsInterval = &inspect.Rule{
	ID:       "healthcheck-timeout-exceeds-interval",
	Severity: inspect.Error,
	Title:    "Every health check a BackendConfig or HealthCheckPolicy configures has timeoutSec no greater than checkIntervalSec",
	Doc: inspect.Doc{
		Why: `Compute Engine rejects a health check whose timeoutSec exceeds its checkIntervalSec. GKE's CRDs do not validate this for BackendConfig, so the manifest is accepted and the controller's health-check update fails on every sync: the load balancer keeps probing with the old settings and the backend's configuration never converges. What counts is the health check the controller sends, not the two BackendConfig fields: it starts from the live health check when one exists (mergeUserSettings keeps its interval and timeout), else from its defaults (NEG backends 15 s / 15 s, instance groups 60 s / 60 s) or the Pods' readiness probe (interval periodSeconds for NEGs, periodSeconds + 60 for instance groups; timeout timeoutSeconds), and then applies the BackendConfig's fields that are set. So healthCheck.timeoutSec: 20 alone fails against a live interval of 15. A BackendConfig no Ingress port uses yet is judged only when it sets both fields (a latent warning).`,
		Fix: `Make timeoutSec at most checkIntervalSec, setting both in the BackendConfig so that neither depends on the live health check:
  kubectl patch backendconfig BC -n NS --type merge -p '{"spec":{"healthCheck":{"timeoutSec":5,"checkIntervalSec":15}}}'`,
		Sources: []string{core.SrcCheckGKEIngress + " HealthCheckTimeoutCheck",
			"kubernetes/ingress-gce pkg/healthchecks/healthchecks.go (SyncServicePort, sync, mergeUserSettings)",
			"kubernetes/ingress-gce pkg/translator/healthchecks.go (DefaultHealthCheck, DefaultNEGHealthCheck, ApplyProbeSettingsToHC, UpdateFromBackendConfig)",
			"kubernetes/ingress-gce pkg/controller/translator/translator.go (getHTTPProbe)",
			"Compute Engine health checks: timeoutSec must be <= checkIntervalSec"},
		URL: core.DocIngressFeatures + "#direct_health",
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		x := core.IndexOf(p)
		for _, cl := range inv.Clusters {
			if p.Known(inventory.KubeHealthCheckPolicies, cl.Scope()) {
				checkHealthCheckPolicies(p, cl)
			}
			if p.Known(inventory.KubeBackendConfigs, cl.Scope()) && p.Known(inventory.KubeServices, cl.Scope()) && p.Known(inventory.KubeIngresses, cl.Scope()) {
				checkBackendConfigHealthChecks(p, x, cl)
			}
		}
	},
}

func checkHealthCheckPolicies(p *inspect.Pass, cl *inventory.Cluster) {
	for i := range cl.HealthCheckPolicies {
		hp := &cl.HealthCheckPolicies[i]
		d := hp.Spec.Default
		if d == nil {
			continue
		}
		res := core.KubeResource(cl, "HealthCheckPolicy", hp.ObjectMeta)
		p.Judge(res)
		// Unset fields take the CRD's defaults: 5 s and 5 s.
		interval, timeout := int64(5), int64(5)
		if d.CheckIntervalSec != nil {
			interval = *d.CheckIntervalSec
		}
		if d.TimeoutSec != nil {
			timeout = *d.TimeoutSec
		}
		if timeout <= interval {
			continue
		}
		p.Report(inspect.Finding{
			Message:  fmt.Sprintf("spec.default.timeoutSec is %d, greater than checkIntervalSec %d: Compute Engine rejects the health check, so the Gateway controller cannot apply it", timeout, interval),
			Resource: res,
			Evidence: map[string]any{"spec.default.timeoutSec": timeout, "spec.default.checkIntervalSec": interval},
			Remediation: fmt.Sprintf(`kubectl patch healthcheckpolicy %s -n %s --type merge -p '{"spec":{"default":{"timeoutSec":%d}}}'`,
				hp.Name, hp.Namespace, interval),
		})
	}
}

// hcValue is one field of an effective health check and where it comes
// from.
type hcValue struct {
	sec int64
	src string
}

// effectiveHealthCheck computes the interval and timeout the controller
// sends to Compute Engine for one Service port of an Ingress of class,
// before the BackendConfig's overrides: the live health check's, else the
// defaults for the backend type, with the readiness probe's settings
// applied. ok is false when lbdiag cannot know them; the pass records
// what was not read.
func effectiveHealthCheck(p *inspect.Pass, x *core.Index, cl *inventory.Cluster, svc *corev1.Service, port corev1.ServicePort, class string) (interval, timeout hcValue, ok bool) {
	ps := inventory.ProjectScope(cl.Project)
	if !p.Known(inventory.ComputeBackendServices, ps) || !p.Known(inventory.ComputeHealthChecks, ps) {
		return interval, timeout, false
	}
	live := func(hc *compute.HealthCheck) (hcValue, hcValue, bool) {
		src := "health check " + hc.Name + ", as Compute Engine has it (the controller keeps it)"
		return hcValue{hc.CheckIntervalSec, src}, hcValue{hc.TimeoutSec, src}, true
	}
	scope := gke.IngressResourceScope(class, cl.Region())
	for _, sb := range core.BackendServicesOf(x, cl, svc) {
		if sb.Port.Port != port.Port || !strings.HasPrefix(inventory.ScopedKey(sb.BS.SelfLink), scope+"/") || len(sb.BS.HealthChecks) == 0 {
			continue
		}
		hc := x.HealthCheck(sb.BS.HealthChecks[0])
		if hc == nil {
			// Not read: unknown (the pass records it when its project's
			// health checks were not listed).
			p.KnownResource(inventory.ComputeHealthChecks, sb.BS.HealthChecks[0])
			return interval, timeout, false
		}
		return live(hc)
	}
	// No backend service yet: the controller still finds a health check of
	// the backend's name (a NEG's, for NEG backends) and merges with it.
	if st, ok := gke.ParseNEGStatus(svc); ok {
		if name := st.NEGs[strconv.Itoa(int(port.Port))]; name != "" {
			if hc := x.HealthCheck("projects/" + cl.Project + "/" + scope + "/healthChecks/" + name); hc != nil {
				return live(hc)
			}
		}
	}
	neg := gke.ServesIngressNEG(svc, class)
	if neg {
		interval, timeout = hcValue{15, "the controller's default for NEG backends"}, hcValue{15, "the controller's default for NEG backends"}
	} else {
		interval, timeout = hcValue{60, "the controller's default for instance groups"}, hcValue{60, "the controller's default for instance groups"}
	}
	if !core.WorkloadSourcesKnown(p, cl) {
		return interval, timeout, false
	}
	if probe, where := readinessProbeFor(cl, svc, port); probe != nil {
		period, to := int64(probe.PeriodSeconds), int64(probe.TimeoutSeconds)
		if period == 0 {
			period = 10 // the API server's default
		}
		if to == 0 {
			to = 1
		}
		src := "the readiness probe of " + where
		timeout = hcValue{to, src + " (timeoutSeconds)"}
		if neg {
			interval = hcValue{period, src + " (periodSeconds)"}
		} else {
			interval = hcValue{period + 60, src + " (periodSeconds + 60, for instance groups)"}
		}
	}
	return interval, timeout, true
}

func checkBackendConfigHealthChecks(p *inspect.Pass, x *core.Index, cl *inventory.Cluster) {
	used := x.UsedPorts(cl)
	for i := range cl.BackendConfigs {
		bc := &cl.BackendConfigs[i]
		hc := bc.Spec.HealthCheck
		if hc == nil || (hc.TimeoutSec == nil && hc.CheckIntervalSec == nil) {
			continue
		}
		res := core.KubeResource(cl, "BackendConfig", bc.ObjectMeta)
		// With both fields set, the health check sent is the
		// BackendConfig's alone; with one, it rests on the live health
		// check or the controller's defaults.
		both := hc.TimeoutSec != nil && hc.CheckIntervalSec != nil
		decided := true // every use's health check is known
		var conflicts []string
		var evidence []map[string]any
		usedAnywhere := false
		for j := range cl.Services {
			svc := &cl.Services[j]
			if svc.Namespace != bc.Namespace {
				continue
			}
			ref, ok, err := gke.ParseBackendConfig(svc)
			if !ok || err != nil {
				continue
			}
			for _, u := range used[svc.Namespace+"/"+svc.Name] {
				if ref.ForPort(u.Port) != bc.Name {
					continue
				}
				usedAnywhere = true
				for _, class := range u.Classes {
					var interval, timeout hcValue
					ok := true
					if !both {
						interval, timeout, ok = effectiveHealthCheck(p, x, cl, svc, u.Port, class)
					}
					if hc.CheckIntervalSec != nil {
						interval, ok = hcValue{*hc.CheckIntervalSec, "BackendConfig spec.healthCheck.checkIntervalSec"}, ok || hc.TimeoutSec != nil
					}
					if hc.TimeoutSec != nil {
						timeout, ok = hcValue{*hc.TimeoutSec, "BackendConfig spec.healthCheck.timeoutSec"}, ok || hc.CheckIntervalSec != nil
					}
					if !ok {
						decided = false
						continue
					}
					if timeout.sec <= interval.sec {
						continue
					}
					use := fmt.Sprintf("Service %s port %s (Ingress %s, class %s): timeoutSec %d (%s) > checkIntervalSec %d (%s)",
						svc.Name, core.PortName(u.Port), strings.Join(u.Ingresses, ", "), class, timeout.sec, timeout.src, interval.sec, interval.src)
					if !core.Contains(conflicts, use) {
						conflicts = append(conflicts, use)
						evidence = append(evidence, map[string]any{"service": svc.Namespace + "/" + svc.Name, "port": core.PortName(u.Port), "class": class,
							"timeoutSec": timeout.sec, "timeoutSource": timeout.src, "checkIntervalSec": interval.sec, "intervalSource": interval.src})
					}
				}
			}
		}
		// A BackendConfig no Ingress port uses is judged only when it sets
		// both fields.
		if len(conflicts) > 0 || (usedAnywhere && decided) || (!usedAnywhere && both) {
			p.Judge(res)
		}
		fix := fmt.Sprintf(`kubectl patch backendconfig %s -n %s --type merge -p '{"spec":{"healthCheck":{"timeoutSec":%d,"checkIntervalSec":%d}}}'`, bc.Name, bc.Namespace, fixTimeout(hc), fixInterval(hc))
		switch {
		case len(conflicts) > 0:
			p.Report(inspect.Finding{
				Message: fmt.Sprintf("The health check the controller builds from this BackendConfig has a timeout longer than its interval, which Compute Engine rejects, so the controller's health-check update fails on every sync: %s",
					strings.Join(conflicts, "; ")),
				Resource:    res,
				Evidence:    map[string]any{"uses": evidence},
				Remediation: fix,
			})
		case !usedAnywhere && both && *hc.TimeoutSec > *hc.CheckIntervalSec:
			p.Report(inspect.Finding{
				Severity: inspect.Warning,
				Message: fmt.Sprintf("spec.healthCheck.timeoutSec is %d, greater than checkIntervalSec %d: latent, no Ingress port uses this BackendConfig yet; the first that does gets a health check Compute Engine rejects",
					*hc.TimeoutSec, *hc.CheckIntervalSec),
				Resource:    res,
				Evidence:    map[string]any{"spec.healthCheck.timeoutSec": *hc.TimeoutSec, "spec.healthCheck.checkIntervalSec": *hc.CheckIntervalSec},
				Remediation: fix,
			})
		}
	}
}

func fixInterval(hc *inventory.BackendConfigHealthCheck) int64 {
	if hc.CheckIntervalSec != nil {
		return *hc.CheckIntervalSec
	}
	return 15
}

func fixTimeout(hc *inventory.BackendConfigHealthCheck) int64 {
	return min(fixInterval(hc), 5)
}
