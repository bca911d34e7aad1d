"""The add-ons' in-cluster programs: stdlib-only Python, shipped as source in ConfigMaps and run on python:slim.

They are files, not strings, so they are read, linted and tested as code. `cam_credentials` serves at import (it is
a script): run it, never import it.
"""
