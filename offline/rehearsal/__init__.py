"""The rehearsal: kubecvm's program under the real Pulumi CLI against a Tencent Cloud API emulator on loopback."""
