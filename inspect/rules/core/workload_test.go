package core

import (
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/lbdiag/lbdiag/inventory"
)

// TestWorkloadsOf: a Service selects the workloads of its namespace whose
// Pod template has every label of its selector, each equal, in the order
// the cluster lists them (Deployments, StatefulSets, DaemonSets).
func TestWorkloadsOf(t *testing.T) {
	t.Parallel()
	template := func(labels map[string]string) corev1.PodTemplateSpec {
		return corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}}
	}
	deploy := func(ns, name string, labels map[string]string) appsv1.Deployment {
		return appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: appsv1.DeploymentSpec{Template: template(labels)}}
	}
	cl := &inventory.Cluster{
		Deployments: []appsv1.Deployment{
			deploy("shop", "web", map[string]string{"app": "web", "tier": "front"}),
			deploy("shop", "web-canary", map[string]string{"app": "web", "tier": "front", "track": "canary"}),
			deploy("shop", "web-old", map[string]string{"app": "web"}),
			deploy("other", "web", map[string]string{"app": "web", "tier": "front"}),
			deploy("shop", "api", map[string]string{"app": "api", "tier": "front"}),
		},
		StatefulSets: []appsv1.StatefulSet{{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "cache"},
			Spec: appsv1.StatefulSetSpec{Template: template(map[string]string{"tier": "front", "app": "web"})}}},
		DaemonSets: []appsv1.DaemonSet{{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "agent"},
			Spec: appsv1.DaemonSetSpec{Template: template(map[string]string{"app": "web", "tier": "back"})}}},
	}
	names := func(ws []Workload) []string {
		var out []string
		for _, w := range ws {
			out = append(out, w.Kind+"/"+w.Meta.Name)
		}
		return out
	}
	for _, tc := range []struct {
		selector map[string]string
		ns       string
		want     []string
	}{
		{map[string]string{"app": "web", "tier": "front"}, "shop", []string{"Deployment/web", "Deployment/web-canary", "StatefulSet/cache"}},
		{map[string]string{"tier": "front", "app": "web"}, "shop", []string{"Deployment/web", "Deployment/web-canary", "StatefulSet/cache"}},
		{map[string]string{"app": "web"}, "shop", []string{"Deployment/web", "Deployment/web-canary", "Deployment/web-old", "StatefulSet/cache", "DaemonSet/agent"}},
		{map[string]string{"app": "web", "track": "canary"}, "shop", []string{"Deployment/web-canary"}},
		{map[string]string{"app": "web", "tier": "back"}, "shop", []string{"DaemonSet/agent"}},
		{map[string]string{"app": "web", "tier": "front"}, "other", []string{"Deployment/web"}},
		{map[string]string{"app": "web", "tier": "middle"}, "shop", nil},
		{map[string]string{"app": "web"}, "none", nil},
		{nil, "shop", nil},
	} {
		for range 5 { // map order varies from call to call
			svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: tc.ns, Name: "s"}, Spec: corev1.ServiceSpec{Selector: tc.selector}}
			if got := names(WorkloadsOf(cl, svc)); !slices.Equal(got, tc.want) {
				t.Fatalf("selector %v in %s: %v, want %v", tc.selector, tc.ns, got, tc.want)
			}
		}
	}
}

func TestPreStopOf(t *testing.T) {
	t.Parallel()
	exec := func(cmd ...string) *corev1.LifecycleHandler {
		return &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: cmd}}
	}
	tests := []struct {
		name    string
		hook    *corev1.LifecycleHandler
		present bool
		known   bool
		seconds float64
	}{
		{name: "no hook"},
		{name: "sleep action", hook: &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: 45}}, present: true, known: true, seconds: 45},
		{name: "sleep N", hook: exec("sleep", "30"), present: true, known: true, seconds: 30},
		{name: "absolute sleep Ns", hook: exec("/bin/sleep", "40s"), present: true, known: true, seconds: 40},
		{name: "minutes", hook: exec("sleep", "2m"), present: true, known: true, seconds: 120},
		{name: "fraction", hook: exec("sleep", "0.5"), present: true, known: true, seconds: 0.5},
		{name: "sh -c sleep", hook: exec("sh", "-c", "sleep 60"), present: true, known: true, seconds: 60},
		{name: "bash -c sleep && quit", hook: exec("/bin/bash", "-c", "sleep 95 && nginx -s quit"), present: true, known: true, seconds: 95},
		{name: "sleep; then", hook: exec("/bin/sh", "-c", "sleep 20; kill -TERM 1"), present: true, known: true, seconds: 20},
		{name: "script", hook: exec("/bin/sh", "-c", "/app/drain.sh"), present: true},
		{name: "nginx quit", hook: exec("/usr/sbin/nginx", "-s", "quit"), present: true},
		{name: "sleep with a variable", hook: exec("sh", "-c", "sleep $DRAIN"), present: true},
		{name: "httpGet", hook: &corev1.LifecycleHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/drain", Port: intstr.FromInt(8080)}}, present: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := corev1.Container{Name: "app"}
			if tc.hook != nil {
				c.Lifecycle = &corev1.Lifecycle{PreStop: tc.hook}
			}
			got := PreStopOf(c)
			if got.Present != tc.present || got.Known != tc.known || got.Seconds != tc.seconds {
				t.Errorf("preStopOf = %+v, want present %v known %v seconds %v", got, tc.present, tc.known, tc.seconds)
			}
			if tc.present && !tc.known && !strings.Contains(got.Form, "duration unknown") {
				t.Errorf("form %q does not say the duration is unknown", got.Form)
			}
		})
	}
}
