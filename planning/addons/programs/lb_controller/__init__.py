"""kubecvm's load-balancer controller: `type: LoadBalancer` Services on Tencent CLB, and Nodes whose CVM is gone or
stopped. It runs in the cluster (two replicas on the masters, one leading through a coordination.k8s.io Lease),
shipped as these files in a ConfigMap and run by the python image (planning/addons: the load-balancer controller
add-on), with the official Kubernetes client and Tencent's official CLB, CVM and VPC SDKs installed hash-locked from
the package mirror (planning/lb-controller-pip.lock).

Modules: model (pure: what a Service and its Nodes ask for, upstream's rules), tencent (the CLB, CVM and VPC calls:
retries, tasks awaited, writes serialised per CLB), kube (the Kubernetes API), services (the service controller),
security (spec.loadBalancerSourceRanges as the CLB's security group), nodes (the node lifecycle), loop (watches, the
work queue, resyncs), __main__ (settings, leader election).

Self-contained: the cluster gets this package only, so it imports nothing of kubecvm's; the facts it shares with
kubecvm's model of Tencent (error codes, limits) are held equal to planning/tencent/clb.py, cvm.py and vpc.py by the
tests.
"""
