package core

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inventory"
)

// Workload is a Deployment, StatefulSet or DaemonSet and its Pod template.
type Workload = inventory.Workload

// WorkloadsOf returns the workloads of the cluster whose Pods the Service
// selects: same namespace, template labels matching the selector.
func WorkloadsOf(cl *inventory.Cluster, svc *corev1.Service) []Workload {
	if len(svc.Spec.Selector) == 0 {
		return nil
	}
	var out []Workload
	// Only the workloads with one of the selector's labels can match.
	var ws []Workload
	for k, v := range svc.Spec.Selector {
		ws = cl.WorkloadsLabeled(svc.Namespace, k, v)
		break
	}
	for i := range ws {
		// A Service selector matches the labels it lists, each equal.
		match := true
		for k, v := range svc.Spec.Selector {
			if ws[i].Template.Labels[k] != v {
				match = false
				break
			}
		}
		if match {
			out = append(out, ws[i])
		}
	}
	return out
}

// WorkloadSourcesKnown reports whether every workload kind was read.
func WorkloadSourcesKnown(p *inspect.Pass, cl *inventory.Cluster) bool {
	for _, s := range []inventory.Source{inventory.KubeDeployments, inventory.KubeStatefulSets, inventory.KubeDaemonSets} {
		if !p.Known(s, cl.Scope()) {
			return false
		}
	}
	return true
}

// preStop describes a container's preStop hook.
type preStop struct {
	// Present is false when the container has no preStop hook.
	Present bool
	// Seconds is the hook's duration when Known.
	Seconds float64
	Known   bool
	// Form describes the hook for messages ("exec: sh -c sleep 40").
	Form string
}

// PreStopOf recognises the preStop forms people use: the sleep action,
// exec of sleep N / sleep Ns (bare, or through sh -c, optionally followed
// by && or ;). Anything else has an unknown duration: lbdiag does not
// guess how long an HTTP call or a script takes.
func PreStopOf(c corev1.Container) preStop {
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil {
		return preStop{}
	}
	h := c.Lifecycle.PreStop
	switch {
	case h.Sleep != nil:
		return preStop{Present: true, Known: true, Seconds: float64(h.Sleep.Seconds), Form: fmt.Sprintf("sleep action, %d s", h.Sleep.Seconds)}
	case h.Exec != nil:
		cmd := h.Exec.Command
		form := "exec: " + strings.Join(cmd, " ")
		if s, ok := inventory.SleepCommand(cmd); ok {
			return preStop{Present: true, Known: true, Seconds: s, Form: form}
		}
		return preStop{Present: true, Form: form + " (duration unknown)"}
	case h.HTTPGet != nil:
		return preStop{Present: true, Form: fmt.Sprintf("httpGet %s port %s (duration unknown)", h.HTTPGet.Path, h.HTTPGet.Port.String())}
	case h.TCPSocket != nil:
		return preStop{Present: true, Form: "tcpSocket (duration unknown)"}
	}
	return preStop{Present: true, Form: "unrecognised hook (duration unknown)"}
}

// GracePeriod is the Pod template's terminationGracePeriodSeconds, 30 when
// unset.
func GracePeriod(t corev1.PodTemplateSpec) (int64, bool) {
	if t.Spec.TerminationGracePeriodSeconds == nil {
		return 30, false
	}
	return *t.Spec.TerminationGracePeriodSeconds, true
}
