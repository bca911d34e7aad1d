"""The offline tool: runner, simulated cloud, plan, render, diagram, diff and the `kubecvm` CLI."""
