package gke

import (
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// XPN events: in a Shared VPC service project, GKE's controllers may not
// write the host project's firewall rules. The Ingress controller's
// firewall sync (kubernetes/ingress-gce pkg/firewalls) and its L4
// controllers then record a Normal event with reason "XPN" on each
// Ingress, or on the Service, saying what the security admin must run:
//
//	Firewall change required by security admin: `gcloud compute firewall-rules create k8s-fw-l7--0123456789abcdef --network shared-vpc --description "GCE L7 firewall rule" --allow tcp:30000-32767,tcp:8080 --source-ranges 130.211.0.0/22,35.191.0.0/16 --target-tags gke-prod-1234-node --project host-project`
//
// The command is rendered by cloud-provider-gcp's FirewallToGCloudCreateCmd,
// FirewallToGCloudUpdateCmd (no --network) and FirewallToGCloudDeleteCmd
// (name and --project only). The legacy service-controller writes the
// same message with reason LoadBalancerManualChange.
const (
	ReasonXPN          = "XPN"
	ReasonManualChange = "LoadBalancerManualChange"
	xpnPrefix          = "Firewall change required by security admin: `"
)

// FirewallChange is the firewall rule change an XPN event asks for.
type FirewallChange struct {
	// Verb is create, update or delete.
	Verb        string
	Name        string
	Network     string // create only
	Description string
	// Allow are "PROTOCOL:PORTS" entries ("tcp:30000-32767").
	Allow        []string
	SourceRanges []string
	TargetTags   []string
	Project      string
}

var (
	xpnName    = regexp.MustCompile(`^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$`)
	xpnProject = regexp.MustCompile(`^[a-z][-a-z0-9.:]{3,62}[a-z0-9]$`)
	xpnAllow   = regexp.MustCompile(`^[a-z0-9]+(:[0-9]+(-[0-9]+)?)?$`)
)

// ParseFirewallChange reads the command of an XPN event's message. ok is
// false when the message is not one, when its command is not shaped as the
// controllers render it, or when it names no target tags (gcloud refuses
// the empty list, and the rule would admit every VM): lbdiag then never
// repeats it as a fix, since an event's text is anyone's to write.
func ParseFirewallChange(msg string) (FirewallChange, bool) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(msg), xpnPrefix)
	if !ok {
		return FirewallChange{}, false
	}
	cmd, ok := strings.CutSuffix(rest, "`")
	if !ok {
		return FirewallChange{}, false
	}
	toks, ok := splitCommand(cmd)
	if !ok || len(toks) < 5 || toks[0] != "gcloud" || toks[1] != "compute" || toks[2] != "firewall-rules" {
		return FirewallChange{}, false
	}
	fc := FirewallChange{Verb: toks[3], Name: toks[4]}
	switch fc.Verb {
	case "create", "update", "delete":
	default:
		return FirewallChange{}, false
	}
	if !xpnName.MatchString(fc.Name) {
		return FirewallChange{}, false
	}
	flags := toks[5:]
	seen := map[string]bool{}
	for i := 0; i < len(flags); i++ {
		// An empty list renders as nothing: the next flag follows.
		flag, v := flags[i], ""
		if i+1 < len(flags) && !strings.HasPrefix(flags[i+1], "--") {
			v = flags[i+1]
			i++
		}
		if seen[flag] {
			return FirewallChange{}, false
		}
		seen[flag] = true
		switch flag {
		case "--network":
			fc.Network = v
			if !xpnName.MatchString(v) {
				return FirewallChange{}, false
			}
		case "--description":
			if v == "" {
				v = `""`
			}
			d, err := strconv.Unquote(v)
			// Command renders the description in double quotes, where a
			// shell still expands $, ` and (interactively) !: an event's
			// text is anyone's to write, and the command is pasted.
			if err != nil || len(d) > 2048 || strings.ContainsAny(d, "$`!") {
				return FirewallChange{}, false
			}
			fc.Description = d
		case "--allow":
			fc.Allow = splitList(v)
			for _, a := range fc.Allow {
				if !xpnAllow.MatchString(a) {
					return FirewallChange{}, false
				}
			}
		case "--source-ranges":
			fc.SourceRanges = splitList(v)
			for _, r := range fc.SourceRanges {
				if _, err := netip.ParsePrefix(r); err != nil {
					return FirewallChange{}, false
				}
			}
		case "--target-tags":
			fc.TargetTags = splitList(v)
			for _, t := range fc.TargetTags {
				if !xpnName.MatchString(t) {
					return FirewallChange{}, false
				}
			}
		case "--project":
			fc.Project = v
			if !xpnProject.MatchString(v) {
				return FirewallChange{}, false
			}
		default:
			return FirewallChange{}, false
		}
	}
	// Without target tags the controller's command renders
	// "--target-tags  --project", which gcloud refuses, and the rule would
	// admit the ranges to every VM of the VPC: never repeated.
	if fc.Project == "" || (fc.Verb == "create" && fc.Network == "") ||
		(fc.Verb != "delete" && (len(fc.Allow) == 0 || len(fc.SourceRanges) == 0 || len(fc.TargetTags) == 0)) {
		return FirewallChange{}, false
	}
	return fc, true
}

// Command renders the change as the controller does, from the parsed
// fields only.
func (fc FirewallChange) Command() string {
	if fc.Verb == "delete" {
		return "gcloud compute firewall-rules delete " + fc.Name + " --project " + fc.Project
	}
	var b strings.Builder
	b.WriteString("gcloud compute firewall-rules " + fc.Verb + " " + fc.Name)
	if fc.Verb == "create" {
		b.WriteString(" --network " + fc.Network)
	}
	b.WriteString(" --description " + strconv.Quote(fc.Description))
	b.WriteString(" --allow " + strings.Join(fc.Allow, ","))
	b.WriteString(" --source-ranges " + strings.Join(fc.SourceRanges, ","))
	b.WriteString(" --target-tags " + strings.Join(fc.TargetTags, ","))
	b.WriteString(" --project " + fc.Project)
	return b.String()
}

func splitList(v string) []string {
	if v == "" {
		return nil
	}
	out := strings.Split(v, ",")
	sort.Strings(out)
	return out
}

// splitCommand splits a command line on spaces, keeping a Go-quoted
// string (as %q renders the description) one token with its quotes.
func splitCommand(s string) ([]string, bool) {
	var out []string
	for i := 0; i < len(s); {
		switch {
		case s[i] == ' ':
			i++
		case s[i] == '"':
			j := i + 1
			for ; j < len(s); j++ {
				if s[j] == '\\' {
					j++
					continue
				}
				if s[j] == '"' {
					break
				}
			}
			if j >= len(s) {
				return nil, false
			}
			out = append(out, s[i:j+1])
			i = j + 1
		default:
			j := strings.IndexByte(s[i:], ' ')
			if j < 0 {
				j = len(s) - i
			}
			out = append(out, s[i:i+j])
			i += j
		}
	}
	return out, true
}
