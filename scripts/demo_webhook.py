"""A tiny webhook sink for `make demo`: prints each drift alert latebind posts, answers 200.

Usage: demo_webhook.py PORT_FILE — listens on 127.0.0.1 on a free port, writes the port to
PORT_FILE, and prints every alert's text, diff and resolve command to stdout.
"""
import http.server
import json
import sys


class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.end_headers()
        msg = json.loads(body)
        lb = msg.get("latebind", {})
        print(f"  [webhook] {msg.get('text')}", flush=True)
        print(f"  [webhook] Idempotency-Key: {self.headers.get('Idempotency-Key')}", flush=True)
        print(f"  [webhook] diff: {json.dumps(lb.get('field_diff', {}).get('renamed', {}))}",
              flush=True)
        print(f"  [webhook] resolve with: {lb.get('resolve_command')}", flush=True)

    def log_message(self, *args):  # quiet: the alert lines above are the output
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Hook)
with open(sys.argv[1], "w") as f:
    f.write(str(server.server_address[1]))
server.serve_forever()
