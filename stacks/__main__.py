"""`python -m stacks` is the `kubecvm` command."""

from stacks.cli import main

if __name__ == "__main__":
    main()
