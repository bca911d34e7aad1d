"""A stand-in `kubernetes` resource plugin for `pulumi package info` offline: it serves only a schema with the
provider resource, which is all kubecvm's schema references of the kubernetes package (the `provider` output)."""

import json
import sys

from pulumi.provider import Provider, main

SCHEMA = {
    "name": "kubernetes",
    "version": sys.argv[1],
    "provider": {"description": "stand-in", "inputProperties": {"kubeconfig": {"type": "string"}}},
}

# The engine passes its address when it starts a plugin; serve on any loopback port either way.
args = sys.argv[2:]
main(
    Provider(SCHEMA["version"], json.dumps(SCHEMA)),
    args if any(not a.startswith("-") for a in args) else [*args, "127.0.0.1:1"],
)
