package tools

// What Pulumi's gRPC carries back from the Tencent provider's read of a CVM, measured with the engine's own code.
//
// terraform-provider-tencentcloud v1.82.42, tencentcloud/services/cvm/resource_tc_instance.go, the read: it asks
// DescribeInstancesAttributes for UserData, sets `user_data` to it, base64-decodes it and sets
// `user_data_raw = string(decoded)`. The bridge returns that state to the engine as a protobuf Struct
// (sdk/go/common/resource/plugin.MarshalProperties); protobuf refuses a string field that is not valid UTF-8, so a
// read-back of binary user data (gzip) fails after Tencent has created the instance.
//
// KUBECVM_USER_DATA names a JSON file {machine: base64 user data} (the rehearsal writes it from the offline plans
// of every stack): each must survive the read-back. The gzip control proves the check sees the failure.

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"sort"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"google.golang.org/protobuf/proto"
)

// readBack is the provider's read of `user_data` followed by the bridge's marshalling of the resulting state.
func readBack(userData string) error {
	raw, err := base64.StdEncoding.DecodeString(userData)
	if err != nil {
		return err
	}
	state := resource.NewPropertyMapFromMap(map[string]interface{}{"userData": userData, "userDataRaw": string(raw)})
	msg, err := plugin.MarshalProperties(state, plugin.MarshalOptions{Label: "read", KeepSecrets: true})
	if err != nil {
		return err
	}
	_, err = proto.Marshal(msg)
	return err
}

func TestGzipUserDataCannotBeReadBack(t *testing.T) {
	gzipped := base64.StdEncoding.EncodeToString([]byte{0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0xff})
	if err := readBack(gzipped); err == nil {
		t.Fatal("gzip user data marshalled: the check could not see the provider's read-back failure")
	} else {
		t.Logf("gzip user data: %v", err)
	}
	if err := readBack(base64.StdEncoding.EncodeToString([]byte("#cloud-config\nruncmd: [true]\n"))); err != nil {
		t.Fatalf("plain text user data failed: %v", err)
	}
}

func TestPlannedUserDataCanBeReadBack(t *testing.T) {
	path := os.Getenv("KUBECVM_USER_DATA")
	if path == "" {
		t.Skip("KUBECVM_USER_DATA not set (the rehearsal sets it)")
	}
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	machines := map[string]string{}
	if err := json.Unmarshal(body, &machines); err != nil {
		t.Fatal(err)
	}
	if len(machines) == 0 {
		t.Fatal("no user data in " + path)
	}
	names := make([]string, 0, len(machines))
	for name := range machines {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := readBack(machines[name]); err != nil {
			t.Errorf("%s: the provider's read-back of its user data cannot cross Pulumi's gRPC: %v", name, err)
		}
	}
}
