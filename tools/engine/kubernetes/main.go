// Command pulumi-resource-kubernetes: the pulumi-kubernetes provider for the rehearsal, built from the provider module.
//
// The module's own main (cmd/pulumi-resource-kubernetes) embeds schema-embed.json and terraform-mapping-embed.json,
// which its `go generate` writes and the module zip does not hold; kubecvm's build step
// (offline/rehearsal/engine.py, build_kubernetes) writes them beside a copy of this file from the module's
// schema.json and terraform-mapping.json, then builds. The rest is the module's main, unchanged.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema-embed.json
var pulumiSchema []byte

//go:embed terraform-mapping-embed.json
var terraformMapping []byte

func main() {
	provider.Serve("kubernetes", version.Version, pulumiSchema, terraformMapping)
}
