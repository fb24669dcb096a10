#!/usr/bin/python3
"""A small OpenStack API client for the compute lab (stdlib only): Keystone v3 password auth,
the catalog, and the Nova calls the lab's tests and smoke script need.

Usage: osapi.py PROFILE COMMAND [ARGS]
PROFILE is a JSON file {auth_url, username, project, user_domain, project_domain, region,
password_file}; the password is read from password_file (root-owned 0600), never from argv.
Run it inside a lab namespace (lab.sh openstack ... does that): the root namespace has no route
to the lab.

Commands:
  token                              authenticate, print the user, project and catalog services
  setup-identity SPEC                idempotent: project, users (+ role), services, endpoints
  ensure-flavor NAME VCPUS RAM DISK  create the flavor when missing
  call METHOD PATH [JSON] [--service TYPE] [--mv X.Y]
                                     one request; prints the HTTP status and the JSON body
  boot HOST COUNT [--ha K] [--prefix P] [--flavor F] [--image ID]
                                     COUNT servers pinned to HOST (2.74), the first K with
                                     metadata HA_Enabled=True; prints their ids
  servers                            id, name, host, status, HA_Enabled of every server
  services                           nova-compute services: id, host, state, status, forced_down
  force-down HOST true|false         PUT /os-services/{id} forced_down (2.53)
  unforce HOST TIMEOUT               force-down false, retrying while Nova answers 400
  evacuate ID...                     POST /servers/{id}/action {"evacuate": {}} (2.93)
  wait-servers TIMEOUT NOT_HOST ID...
                                     until every ID is ACTIVE on a host other than NOT_HOST
  wait-service-up HOST SINCE TIMEOUT until HOST's nova-compute is up with updated_at > SINCE
                                     (SINCE: ISO time, UTC, as printed by `now`)
  wait-computes N TIMEOUT            until N nova-compute services are up
  wait-hypervisors N TIMEOUT         until N hypervisors are listed (2.87: no RPC to the hosts)
  delete-servers                     delete every server, wait until none is left
  now                                the current UTC time in Nova's updated_at format
Exit status: 0 ok, 1 failure or timeout, 2 usage.
"""
import datetime
import json
import sys
import time
import urllib.error
import urllib.request

HTTP_TIMEOUT = 30


def die(msg, code=1):
    sys.stderr.write("osapi: %s\n" % msg)
    sys.exit(code)


class Cloud:
    def __init__(self, profile_path):
        with open(profile_path) as f:
            self.p = json.load(f)
        with open(self.p["password_file"]) as f:
            self.password = f.read().strip()
        self.token = None
        self.catalog = []
        self.auth_info = None

    def authenticate(self, username=None, password=None, project=None):
        p = self.p
        body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": username or p["username"], "domain": {"name": p.get("user_domain", "Default")},
            "password": password if password is not None else self.password}}}}}
        if project is not False:
            body["auth"]["scope"] = {"project": {"name": project or p["project"],
                                                 "domain": {"name": p.get("project_domain", "Default")}}}
        req = urllib.request.Request(p["auth_url"].rstrip("/") + "/auth/tokens",
                                     data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT) as r:
            token = r.headers["X-Subject-Token"]
            info = json.load(r)["token"]
        return token, info

    def login(self):
        if self.token is None:
            try:
                self.token, self.auth_info = self.authenticate()
            except urllib.error.HTTPError as e:
                die("authentication as %s failed: HTTP %d" % (self.p["username"], e.code))
            except OSError as e:
                die("authentication as %s failed: %s" % (self.p["username"], e))
            self.catalog = self.auth_info.get("catalog", [])

    def endpoint(self, service_type, interface="public"):
        self.login()
        if service_type == "identity":
            return self.p["auth_url"].rstrip("/")
        for svc in self.catalog:
            if svc["type"] == service_type:
                for ep in svc["endpoints"]:
                    if ep["interface"] == interface and ep.get("region_id", ep.get("region")) == self.p.get("region", "RegionOne"):
                        return ep["url"].rstrip("/")
        die("no %s endpoint for %s in the catalog" % (interface, service_type))

    def request(self, method, path, body=None, service="compute", mv=None, ok=(200, 201, 202, 204)):
        """Returns (status, parsed body or None). Raises nothing for HTTP errors when
        ok is None; otherwise dies on a status outside ok."""
        url = self.endpoint(service) + path
        headers = {"X-Auth-Token": self.token, "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if mv:
            headers["OpenStack-API-Version"] = "compute %s" % mv
            headers["X-OpenStack-Nova-API-Version"] = mv
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT) as r:
                status, raw = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, raw = e.code, e.read()
        parsed = None
        if raw:
            try:
                parsed = json.loads(raw)
            except ValueError:
                parsed = {"raw": raw.decode(errors="replace")}
        if ok is not None and status not in ok:
            die("%s %s: HTTP %d %s" % (method, path, status, json.dumps(parsed)[:400]))
        return status, parsed


# ------------------------------------------------------------------------------------------
# identity set-up

def setup_identity(c, spec_path):
    with open(spec_path) as f:
        spec = json.load(f)
    ks = "identity"
    _, r = c.request("GET", "/domains?name=Default", service=ks)
    domain_id = r["domains"][0]["id"]
    projects = {}
    for pname in spec["projects"]:
        _, r = c.request("GET", "/projects?name=%s&domain_id=%s" % (pname, domain_id), service=ks)
        if r["projects"]:
            projects[pname] = r["projects"][0]["id"]
        else:
            _, r = c.request("POST", "/projects", {"project": {"name": pname, "domain_id": domain_id,
                                                              "description": "compute lab"}}, service=ks)
            projects[pname] = r["project"]["id"]
            print("created project %s" % pname)
    roles = {}
    _, r = c.request("GET", "/roles", service=ks)
    for role in r["roles"]:
        roles[role["name"]] = role["id"]
    for u in spec["users"]:
        with open(u["password_file"]) as f:
            pw = f.read().strip()
        _, r = c.request("GET", "/users?name=%s&domain_id=%s" % (u["name"], domain_id), service=ks)
        if r["users"]:
            uid = r["users"][0]["id"]
            try:  # change a password only when it does not authenticate: a reset revokes tokens
                c.authenticate(u["name"], pw, project=False)
            except urllib.error.HTTPError:
                c.request("PATCH", "/users/" + uid, {"user": {"password": pw}}, service=ks)
                print("reset password of user %s" % u["name"])
        else:
            _, r = c.request("POST", "/users", {"user": {"name": u["name"], "domain_id": domain_id,
                                                         "password": pw, "enabled": True}}, service=ks)
            uid = r["user"]["id"]
            print("created user %s" % u["name"])
        pid, rid = projects[u["project"]], roles[u["role"]]
        st, _ = c.request("HEAD", "/projects/%s/users/%s/roles/%s" % (pid, uid, rid), service=ks, ok=None)
        if st != 204:
            c.request("PUT", "/projects/%s/users/%s/roles/%s" % (pid, uid, rid), service=ks)
            print("granted %s on project %s to %s" % (u["role"], u["project"], u["name"]))
    region = spec["region"]
    for s in spec["services"]:
        _, r = c.request("GET", "/services?type=%s" % s["type"], service=ks)
        if r["services"]:
            sid = r["services"][0]["id"]
        else:
            _, r = c.request("POST", "/services", {"service": {"type": s["type"], "name": s["name"],
                                                               "enabled": True}}, service=ks)
            sid = r["service"]["id"]
            print("created service %s (%s)" % (s["name"], s["type"]))
        for iface in ("public", "internal"):
            _, r = c.request("GET", "/endpoints?service_id=%s&interface=%s" % (sid, iface), service=ks)
            eps = [e for e in r["endpoints"] if e.get("region_id") == region]
            if not eps:
                c.request("POST", "/endpoints", {"endpoint": {"service_id": sid, "interface": iface,
                                                              "region_id": region, "url": s["url"],
                                                              "enabled": True}}, service=ks)
                print("created %s endpoint %s %s" % (iface, s["type"], s["url"]))
            elif eps[0]["url"] != s["url"]:
                c.request("PATCH", "/endpoints/" + eps[0]["id"], {"endpoint": {"url": s["url"]}}, service=ks)
                print("updated %s endpoint %s %s" % (iface, s["type"], s["url"]))


# ------------------------------------------------------------------------------------------
# nova helpers

def compute_services(c):
    _, r = c.request("GET", "/os-services?binary=nova-compute", mv="2.53")
    return r["services"]


def service_of(c, host):
    for s in compute_services(c):
        if s["host"] == host:
            return s
    die("no nova-compute service on host %s" % host)


def servers_detail(c):
    _, r = c.request("GET", "/servers/detail?all_tenants=1", mv="2.74")
    return r["servers"]


def now_iso():
    return datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%S.%f")


def parse_ts(s):
    s = (s or "").replace("Z", "")
    for fmt in ("%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S"):
        try:
            return datetime.datetime.strptime(s, fmt)
        except ValueError:
            pass
    return None


def poll(timeout, what, fn, interval=0.5):
    deadline = time.monotonic() + timeout
    while True:
        done, state = fn()
        if done:
            return state
        if time.monotonic() >= deadline:
            die("timeout after %ss: %s (last: %s)" % (timeout, what, state))
        time.sleep(interval)


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        die(__doc__, 2)
    c = Cloud(args[0])
    cmd, rest = args[1], args[2:]

    def opt(name, default=None):
        if name in rest:
            i = rest.index(name)
            v = rest[i + 1]
            del rest[i:i + 2]
            return v
        return default

    if cmd == "now":
        print(now_iso())
    elif cmd == "token":
        c.login()
        info = c.auth_info
        print("user %s project %s roles %s expires %s" % (
            info["user"]["name"], info["project"]["name"],
            ",".join(sorted(r["name"] for r in info["roles"])), info["expires_at"]))
        for svc in sorted(c.catalog, key=lambda s: s["type"]):
            for ep in sorted(svc["endpoints"], key=lambda e: e["interface"]):
                print("  %-10s %-9s %-9s %s" % (svc["type"], ep["interface"], ep.get("region_id"), ep["url"]))
    elif cmd == "setup-identity":
        setup_identity(c, rest[0])
    elif cmd == "ensure-flavor":
        name, vcpus, ram, disk = rest[0], int(rest[1]), int(rest[2]), int(rest[3])
        _, r = c.request("GET", "/flavors")
        if not any(f["name"] == name for f in r["flavors"]):
            c.request("POST", "/flavors", {"flavor": {"name": name, "vcpus": vcpus, "ram": ram, "disk": disk}})
            print("created flavor %s" % name)
    elif cmd == "call":
        service, mv = opt("--service", "compute"), opt("--mv")
        method, path = rest[0].upper(), rest[1]
        body = json.loads(rest[2]) if len(rest) > 2 else None
        st, r = c.request(method, path, body, service=service, mv=mv, ok=None)
        print(st)
        if r is not None:
            print(json.dumps(r, indent=1, sort_keys=True))
        sys.exit(0 if st < 400 else 1)
    elif cmd == "boot":
        ha, prefix = int(opt("--ha", "0")), opt("--prefix", "lab")
        flavor_name, image = opt("--flavor", "m1.lab"), opt("--image", "c0ffee00-0000-4000-8000-000000000001")
        host, count = rest[0], int(rest[1])
        _, r = c.request("GET", "/flavors")
        fl = [f["id"] for f in r["flavors"] if f["name"] == flavor_name]
        if not fl:
            die("no flavor %s" % flavor_name)
        stamp = time.strftime("%H%M%S")
        for i in range(count):
            md = {"HA_Enabled": "True"} if i < ha else {}
            _, r = c.request("POST", "/servers", {"server": {
                "name": "%s-%s-%s-%d" % (prefix, host, stamp, i), "imageRef": image, "flavorRef": fl[0],
                "networks": "none", "host": host, "metadata": md}}, mv="2.74")
            print(r["server"]["id"], "HA" if md else "-")
    elif cmd == "servers":
        for s in servers_detail(c):
            print("%s %-28s %-9s %-8s %s" % (s["id"], s["name"], s.get("OS-EXT-SRV-ATTR:host"), s["status"],
                                            s.get("metadata", {}).get("HA_Enabled", "-")))
    elif cmd == "services":
        for s in compute_services(c):
            print("%s %-9s %-5s %-8s forced_down=%s updated_at=%s" % (
                s["id"], s["host"], s["state"], s["status"], s["forced_down"], s["updated_at"]))
    elif cmd == "force-down":
        host, value = rest[0], rest[1] == "true"
        s = service_of(c, host)
        c.request("PUT", "/os-services/" + s["id"], {"forced_down": value}, mv="2.53")
        print("%s forced_down=%s" % (host, value))
    elif cmd == "unforce":
        host, timeout = rest[0], float(rest[1])
        s = service_of(c, host)
        tries = [0]

        def attempt():
            tries[0] += 1
            st, r = c.request("PUT", "/os-services/" + s["id"], {"forced_down": False}, mv="2.53", ok=None)
            return st == 200, "HTTP %d %s" % (st, json.dumps(r)[:200])
        poll(timeout, "un-force %s" % host, attempt, interval=0.3)
        print("%s forced_down=False (after %d attempt(s))" % (host, tries[0]))
    elif cmd == "evacuate":
        for sid in rest:
            c.request("POST", "/servers/%s/action" % sid, {"evacuate": {}}, mv="2.93")
        print("evacuate requested for %d server(s)" % len(rest))
    elif cmd == "wait-servers":
        timeout, not_host, ids = float(rest[0]), rest[1], set(rest[2:])

        def check():
            states = {s["id"]: (s.get("OS-EXT-SRV-ATTR:host"), s["status"]) for s in servers_detail(c) if s["id"] in ids}
            bad = [i for i in ids if i not in states or states[i][1] != "ACTIVE" or states[i][0] == not_host]
            errs = [i for i in ids if states.get(i, (0, ""))[1] == "ERROR"]
            if errs:
                die("server(s) in ERROR: %s" % errs)
            return not bad, states
        states = poll(timeout, "servers ACTIVE off %s" % not_host, check)
        for i in sorted(ids):
            print("%s ACTIVE on %s" % (i, states[i][0]))
    elif cmd == "wait-service-up":
        host, since, timeout = rest[0], parse_ts(rest[1]), float(rest[2])

        def check():
            s = service_of(c, host)
            ts = parse_ts(s["updated_at"])
            return (s["state"] == "up" and not s["forced_down"] and ts is not None and ts > since,
                    "%s forced_down=%s updated_at=%s" % (s["state"], s["forced_down"], s["updated_at"]))
        print("%s up: %s" % (host, poll(timeout, "%s up after %s" % (host, rest[1]), check)))
    elif cmd == "wait-computes":
        n, timeout = int(rest[0]), float(rest[1])

        def check():
            up = sorted(s["host"] for s in compute_services(c) if s["state"] == "up")
            return len(up) >= n, up
        print("nova-compute up: %s" % " ".join(poll(timeout, "%d nova-compute services up" % n, check)))
    elif cmd == "wait-hypervisors":
        n, timeout = int(rest[0]), float(rest[1])

        def check():
            _, r = c.request("GET", "/os-hypervisors", mv="2.87")
            names = sorted(h["hypervisor_hostname"] for h in r["hypervisors"])
            return len(names) >= n, names
        print("hypervisors: %s" % " ".join(poll(timeout, "%d hypervisors" % n, check)))
    elif cmd == "delete-servers":
        for s in servers_detail(c):
            c.request("DELETE", "/servers/" + s["id"], ok=(204, 404))
        poll(60, "all servers deleted", lambda: (not servers_detail(c), None))
        print("no servers left")
    else:
        die("unknown command %s\n%s" % (cmd, __doc__), 2)


if __name__ == "__main__":
    main()
