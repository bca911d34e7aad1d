"""`python -m kubecvm.offline` is the `kubecvm` command."""

from kubecvm.offline.command import main

if __name__ == "__main__":
    main()
