"""Rule modules, one per concern; importing this package registers every rule in policies.registry.RULES."""

from . import ha, ingress, monitoring, network, security, size, storage, tagging  # noqa: F401  (imported to register)
