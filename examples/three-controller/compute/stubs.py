#!/usr/bin/python3
"""Glance and Neutron stand-ins for the compute lab: just enough for Nova to boot and evacuate
servers created with "networks": "none" from the one image.

Usage: stubs.py ADDRESS GLANCE_PORT NEUTRON_PORT [MARK]
(MARK: ignored; lab.sh finds the process by it.)
Glance: GET /v2/images/<IMAGE_ID> (and /v2/images) return one active image record.
Neutron: every list (ports, networks, extensions, security-groups...) is empty.
Tokens are not checked: these are stand-ins, Nova's own API is the one under test.
"""
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

IMAGE_ID = "c0ffee00-0000-4000-8000-000000000001"
IMAGE = {
    "id": IMAGE_ID, "name": "lab-image", "status": "active", "visibility": "public",
    "disk_format": "raw", "container_format": "bare", "size": 1048576, "virtual_size": 1048576,
    "min_disk": 0, "min_ram": 0, "protected": False, "os_hidden": False, "tags": [],
    "checksum": "b6d81b360a5672d80c27430f39153e2c", "owner": None,
    "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z",
    "self": "/v2/images/" + IMAGE_ID, "file": "/v2/images/%s/file" % IMAGE_ID,
    "schema": "/v2/schemas/image",
}
ANY = {"type": ["null", "string", "integer", "boolean", "array", "object"]}
IMAGE_SCHEMA = {
    "name": "image", "additionalProperties": {"type": "string"},
    "properties": {k: ANY for k in IMAGE},
    "links": [{"rel": "self", "href": "{self}"}, {"rel": "enclosure", "href": "{file}"},
              {"rel": "describedby", "href": "{schema}"}],
}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    service = "?"

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.service, fmt % args))

    def reply(self, code, body):
        data = b"" if code == 204 else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def drain(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            self.rfile.read(n)

    def do_GET(self):
        path = self.path.split("?", 1)[0].rstrip("/")
        if self.service == "glance":
            if path in ("", "/versions"):
                return self.reply(200, {"versions": [{"id": "v2.9", "status": "CURRENT",
                                                      "links": [{"rel": "self", "href": "/v2/"}]}]})
            if path == "/v2/images":
                return self.reply(200, {"images": [IMAGE], "schema": "/v2/schemas/images",
                                        "first": "/v2/images"})
            if path == "/v2/schemas/image":
                return self.reply(200, IMAGE_SCHEMA)
            if path == "/v2/schemas/images":
                return self.reply(200, {"name": "images", "properties": {"images": {"type": "array", "items": IMAGE_SCHEMA}},
                                        "links": [{"rel": "first", "href": "{first}"}]})
            if path == "/v2/images/" + IMAGE_ID:
                return self.reply(200, IMAGE)
            return self.reply(404, {"message": "not found"})
        # neutron
        if path in ("",):
            return self.reply(200, {"versions": [{"id": "v2.0", "status": "CURRENT",
                                                  "links": [{"rel": "self", "href": "/v2.0/"}]}]})
        last = path.rsplit("/", 1)[-1]
        if last.endswith(".json"):
            last = last[:-5]
        return self.reply(200, {last.replace("-", "_"): []})

    def do_POST(self):
        self.drain()
        self.reply(404 if self.service == "glance" else 400, {"message": "stand-in: not supported"})

    do_PUT = do_POST
    do_PATCH = do_POST

    def do_DELETE(self):
        self.reply(204 if self.service == "neutron" else 404, {})


def serve(addr, port, service):
    handler = type(service + "Handler", (Handler,), {"service": service})
    server = ThreadingHTTPServer((addr, port), handler)
    server.daemon_threads = True
    server.serve_forever()


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit("usage: stubs.py ADDRESS GLANCE_PORT NEUTRON_PORT [MARK]")
    addr = sys.argv[1]
    t = threading.Thread(target=serve, args=(addr, int(sys.argv[2]), "glance"), daemon=True)
    t.start()
    sys.stderr.write("glance stand-in on %s:%s, neutron stand-in on %s:%s\n"
                     % (addr, sys.argv[2], addr, sys.argv[3]))
    sys.stderr.flush()
    serve(addr, int(sys.argv[3]), "neutron")


if __name__ == "__main__":
    main()
