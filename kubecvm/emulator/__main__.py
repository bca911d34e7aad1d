"""python -m kubecvm.emulator [--host 127.0.0.1] [--port 0] [--secret-id ID --secret-key KEY]
                             [--without-tke-service-role] [--role NAME ...]

Serves the emulator until SIGTERM or SIGINT, then exits 0. Once it listens it prints exactly one line to stdout,
`kubecvm-emulator listening on http://HOST:PORT`, so a harness can start it with --port 0 and read its port.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from kubecvm.emulator import SECRET_ID, SECRET_KEY, Emulator, base_url, make_server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m kubecvm.emulator",
        description="A Tencent Cloud API emulator (TKE cluster routes, CAM GetRole, "
        "STS AssumeRole, VPC security groups) for tests.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to listen on; 0 (the default) picks a free one")
    parser.add_argument("--secret-id", default=SECRET_ID, help="the SecretId requests must be signed with")
    parser.add_argument("--secret-key", default=SECRET_KEY, help="the SecretKey requests must be signed with")
    parser.add_argument(
        "--without-tke-service-role",
        action="store_true",
        help="an account where TKE was never activated: CAM has no TKE_QCSRole",
    )
    parser.add_argument(
        "--role",
        action="append",
        default=[],
        metavar="NAME",
        help="a CAM role of the account, which STS AssumeRole may assume (repeatable)",
    )
    args = parser.parse_args(argv)
    try:
        emulator = Emulator(args.secret_id, args.secret_key, tke_service_role=not args.without_tke_service_role)
        for role in args.role:
            emulator.cam.add_role(role)
        server = make_server(emulator, args.host, args.port)
    except OSError as exc:
        parser.exit(1, f"kubecvm-emulator: cannot listen on {args.host}:{args.port}: {exc}\n")
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    print(f"kubecvm-emulator listening on {base_url(server)}", flush=True)
    while not stop.wait(0.5):  # a bounded wait: the signal handler runs between waits
        pass
    server.shutdown()
    server.server_close()
    thread.join()
    return 0


if __name__ == "__main__":
    sys.exit(main())
