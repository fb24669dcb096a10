#!/usr/bin/python3
"""Serves Keystone or Placement (their WSGI apps) with wsgiref and one thread per request.

Usage: wsgi_serve.py keystone|placement ADDRESS PORT CONFIG_DIR
The config dir is passed as OS_KEYSTONE_CONFIG_DIR / OS_PLACEMENT_CONFIG_DIR (it is also the
marker lab.sh finds the process by). Run with /usr/bin/python3, which has the OpenStack packages.
"""
import os
import socketserver
import sys
from wsgiref import simple_server


class QuietHandler(simple_server.WSGIRequestHandler):
    def log_message(self, fmt, *args):  # one line per request on stderr is enough
        sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))


class ThreadingWSGIServer(socketserver.ThreadingMixIn, simple_server.WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    if len(sys.argv) != 5:
        sys.exit("usage: wsgi_serve.py keystone|placement ADDRESS PORT CONFIG_DIR")
    name, addr, port, confdir = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    if name == "keystone":
        os.environ["OS_KEYSTONE_CONFIG_DIR"] = confdir
        sys.argv = sys.argv[:1]  # oslo.config must not see our arguments
        from keystone.server import wsgi
        app = wsgi.initialize_public_application()
    elif name == "placement":
        os.environ["OS_PLACEMENT_CONFIG_DIR"] = confdir
        sys.argv = sys.argv[:1]
        from placement import wsgi
        app = wsgi.init_application()
    else:
        sys.exit("unknown app %s" % name)
    server = simple_server.make_server(addr, port, app, server_class=ThreadingWSGIServer,
                                       handler_class=QuietHandler)
    sys.stderr.write("%s listening on %s:%d\n" % (name, addr, port))
    sys.stderr.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
