"""The project's program for `pulumi up`: the same code `kubecvm plan` runs offline."""

from kubecvm.program import main

main()
