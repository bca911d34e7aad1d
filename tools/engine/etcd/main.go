// Command etcd for the rehearsal: etcd's own main (go.etcd.io/etcd/v3's main.go is `etcdmain.Main(os.Args)`), from
// the server module at the release kubeadm pairs with the rehearsal's kube-apiserver (DefaultEtcdVersion in
// cmd/kubeadm/app/constants/constants.go of kubernetes/kubernetes v1.30.14: 3.5.15). The etcd/v3 module itself
// replaces its submodules with relative paths, so a module that requires it cannot build it.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
