"""kubecvm's own program: the cluster comes from the stack's kubecvm:preset and kubecvm:cluster."""

from kubecvm.program import main

main()
