package core

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

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
