//go:build tools

// Package tools pins the Pulumi CLI for the rehearsal: `go build github.com/pulumi/pulumi/pkg/v3/cmd/pulumi` from
// this module. pkg's own go.mod replaces sdk/v3 with a relative path and atotto/clipboard with a fork, so
// `go install ...@version` refuses it; this wrapper requires pkg (and so sdk) at one version and repeats the
// clipboard replace line (the relative sdk one is satisfied by the required sdk/v3 of the same version).
package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
