"""`python -m asyncviz`: the command line (asyncviz.cli)."""

if __name__ == "__main__":
    import sys

    from asyncviz.cli import main

    sys.exit(main())
