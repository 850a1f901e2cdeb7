package lb

import (
	"fmt"
	"sort"
	"strings"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules/core"
	"github.com/lbdiag/lbdiag/inventory"
)

// InstanceGroupDuplicateNamedPort reports instance groups with two named
// ports of the same name.
var InstanceGroupDuplicateNamedPort = &inspect.Rule{
	ID:       "instance-group-duplicate-named-port",
	Severity: inspect.Warning,
	Title:    "No instance group has two named ports of the same name",
	Doc: inspect.Doc{
		Why:     `A backend service reaches an instance group on the port its portName names. When the group defines that name twice with different ports, which one the load balancer uses is not defined: traffic and health checks can go to the wrong port, and change when the group is updated.`,
		Fix:     `Keep one port per name: gcloud compute instance-groups set-named-ports IG --named-ports=NAME:PORT[,OTHER:PORT] --zone ZONE (the command replaces the whole list).`,
		Sources: []string{"Instance groups: assigning named ports (cloud.google.com/compute/docs/instance-groups/creating-groups-of-unmanaged-instances#assign_named_ports)", "gcpdiag test project lb2 (instance-group-1)"},
		URL:     "https://cloud.google.com/compute/docs/instance-groups/creating-groups-of-unmanaged-instances#assign_named_ports",
	},
	Check: func(p *inspect.Pass) {
		inv := p.Inventory
		if !p.Known(inventory.ComputeInstanceGroups, inventory.ProjectScope(inv.Project)) {
			return
		}
		for _, ig := range inv.Compute.InstanceGroups {
			res := core.ResourceOf("InstanceGroup", ig.SelfLink)
			p.Judge(res)
			ports := map[string][]int64{}
			for _, np := range ig.NamedPorts {
				ports[np.Name] = append(ports[np.Name], np.Port)
			}
			var dups []string
			keep := []string{}
			for _, name := range core.SortedKeys(ports) {
				v := ports[name]
				keep = append(keep, fmt.Sprintf("%s:%d", name, v[0]))
				if len(v) > 1 {
					sort.Slice(v, func(i, j int) bool { return v[i] < v[j] })
					var s []string
					for _, n := range v {
						s = append(s, fmt.Sprint(n))
					}
					dups = append(dups, fmt.Sprintf("%q on ports %s", name, strings.Join(s, " and ")))
				}
			}
			if len(dups) == 0 {
				continue
			}
			p.Report(inspect.Finding{
				Message:     fmt.Sprintf("Instance group %s defines named port %s: a backend service using that name reaches an undefined one of them", ig.Name, strings.Join(dups, ", ")),
				Resource:    res,
				Evidence:    map[string]any{"namedPorts": ig.NamedPorts},
				Remediation: fmt.Sprintf("gcloud compute instance-groups set-named-ports %s --named-ports=%s %s --project %s   # keep the port each name should mean", ig.Name, strings.Join(keep, ","), core.GCloudLocationFlag(ig.SelfLink), inventory.ProjectOf(ig.SelfLink)),
			})
		}
	},
}
