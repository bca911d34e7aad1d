"""Answer the CBS CSI driver's NORM credential request with this CVM's CAM role credentials."""
import json
import os
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

META = os.environ.get("METADATA_URL", "http://metadata.tencentyun.com/latest/meta-data/cam/security-credentials/")


def role_credentials():
    with urllib.request.urlopen(META, timeout=5) as answer:
        role = answer.read().decode().split()[0]  # a CVM has at most one role
    with urllib.request.urlopen(META + role, timeout=5) as answer:
        cred = json.load(answer)
    return {"returnValue": 0, "returnMsg": "ok", "returnData": {
        "credentials": {"sessionToken": cred["Token"], "tmpSecretId": cred["TmpSecretId"],
                        "tmpSecretKey": cred["TmpSecretKey"]},
        "expiredTime": int(cred["ExpiredTime"])}}


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            status, body = 200, role_credentials()
        except Exception as error:  # no role attached, metadata unreachable: the driver logs it and retries
            status, body = 502, {"returnValue": 1, "returnMsg": f"no CAM role credentials: {error}"}
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):  # never log requests: the answers are credentials
        pass


ThreadingHTTPServer(("127.0.0.1", int(os.environ.get("LISTEN_PORT", "19101"))), Handler).serve_forever()
