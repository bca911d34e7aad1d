//go:build tools

// Package tools pins kube-apiserver and kube-controller-manager for the rehearsal: `go build
// k8s.io/kubernetes/cmd/<name>` from this module (k8s.io/kubernetes is not meant to be required, so
// `go install ...@version` refuses its replace lines).
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
)
