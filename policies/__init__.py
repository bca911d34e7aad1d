"""kubecvm policy rules: one engine for the CrossGuard pack (policies/__main__.py) and the offline plan."""
