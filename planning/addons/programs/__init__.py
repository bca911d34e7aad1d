"""The add-ons' in-cluster programs: Python shipped as source in ConfigMaps and run on python:slim. The scripts are
stdlib-only; the load-balancer controller (lb_controller/, a package) runs on the official Kubernetes client and
Tencent's SDK, which its pod installs hash-locked from the package mirror (lb-controller-pip.lock).

They are files, not strings, so they are read, linted and tested as code. `cam_credentials` serves at import (it is
a script): run it, never import it.
"""
