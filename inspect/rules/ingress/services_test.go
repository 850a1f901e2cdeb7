package ingress

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/ruletest"
)

// annotationCase is the annotations of a Service shop/web with one port
// https 443 (target 8443), the findings expected (substrings, in order),
// and a part of the first one's fix.
type annotationCase struct {
	name string
	ann  map[string]string
	want []string
	fix  string
}

func runAnnotationCases(t *testing.T, rule *inspect.Rule, tests []annotationCase) {
	t.Helper()
	https := corev1.ServicePort{Name: "https", Port: 443, TargetPort: intstr.FromInt(8443)}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cl := ruletest.ProdCluster()
			cl.Services = []corev1.Service{ruletest.Service("shop", "web", tc.ann, https)}
			got := ruletest.Run(t, ruletest.Inventory(cl), rule)
			ruletest.Expect(t, got, tc.want...)
			if tc.fix != "" && !strings.Contains(got[0].Remediation, tc.fix) {
				t.Errorf("remediation %q does not contain %q", got[0].Remediation, tc.fix)
			}
		})
	}
}
