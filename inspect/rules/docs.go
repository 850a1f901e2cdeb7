package rules

// Public pages the rules cite.
const (
	docTroubleshootLB  = "https://cloud.google.com/kubernetes-engine/docs/troubleshooting/load-balancing"
	docIngressConfig   = "https://cloud.google.com/kubernetes-engine/docs/how-to/ingress-configuration"
	docInternalIngress = "https://cloud.google.com/kubernetes-engine/docs/how-to/internal-load-balance-ingress"
	docNEG             = "https://cloud.google.com/kubernetes-engine/docs/how-to/container-native-load-balancing"
	docIngressFeatures = "https://cloud.google.com/kubernetes-engine/docs/how-to/ingress-features"
	docStaticIP        = "https://cloud.google.com/kubernetes-engine/docs/tutorials/configuring-domain-name-static-ip"
	docIngressHTTPS    = "https://cloud.google.com/kubernetes-engine/docs/concepts/ingress-xlb"
	docCheckGKEIngress = "https://github.com/kubernetes/ingress-gce/tree/master/cmd/check-gke-ingress"

	srcTroubleshoot    = "Troubleshoot load balancing in GKE (cloud.google.com/kubernetes-engine/docs/troubleshooting/load-balancing)"
	srcCheckGKEIngress = "kubernetes/ingress-gce cmd/check-gke-ingress (the check of the same name)"
)
