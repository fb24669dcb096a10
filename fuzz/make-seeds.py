#!/usr/bin/env python3
"""Writes the seed corpora under fuzz/corpus/<target>/ (committed; re-run to regenerate).

Each target's input layout is documented at the top of its Sources/Fuzz<target>/*.swift file.
The VRRP seeds are the golden vectors of Tests/VIPManagerTests/Codec/VRRPCodecGoldenTests.swift.
"""
import json, os, struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
NOW = 1767225600  # 2026-01-01T00:00:00Z
NONCE = "0123456789abcdef0123456789abcdef"
MAC = "ab" * 32
HEADER = f"HACTL-HMAC-SHA256 t={NOW},n={NONCE},s={MAC}"


def i64(v):
    return struct.pack("<q", v)


def write(target, name, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def hexbytes(s):
    return bytes.fromhex(s.replace(" ", "").replace("\n", ""))


# FuzzSignedCall: clock (8) | raw t (8) | header
write("FuzzSignedCall", "valid", i64(NOW) + i64(NOW) + HEADER.encode())
write("FuzzSignedCall", "spaces-reordered", i64(NOW) + i64(NOW - 40) +
      f"HACTL-HMAC-SHA256  s={MAC} , n={NONCE},t={NOW}".encode())
write("FuzzSignedCall", "t-int64-min", i64(NOW) + i64(-2**63) +
      f"HACTL-HMAC-SHA256 t=-9223372036854775808,n={NONCE},s={MAC}".encode())
write("FuzzSignedCall", "t-huge", i64(2**63 - 1) + i64(-1) +
      f"HACTL-HMAC-SHA256 t=99999999999999999999,n={NONCE},s={MAC}".encode())
write("FuzzSignedCall", "duplicate-field", i64(0) + i64(0) +
      f"HACTL-HMAC-SHA256 t=1,t=2,n={NONCE},s={MAC}".encode())

# FuzzRequestTarget: clock (8) | method \n target \n header \n body
def request(method, target, header, body=b""):
    return i64(NOW) + method.encode() + b"\n" + target.encode() + b"\n" + header.encode() + b"\n" + body

write("FuzzRequestTarget", "signed-post", request("POST", "/v1/galera/stop", HEADER, b"{}"))
write("FuzzRequestTarget", "double-slash", request("POST", "//v1/galera/stop", HEADER))
write("FuzzRequestTarget", "dot-segment", request("POST", "/v1/./node/drain", HEADER))
write("FuzzRequestTarget", "encoded-slash", request("POST", "/v1%2Fnode/drain", HEADER))
write("FuzzRequestTarget", "query", request("POST", "/v1/node/drain?reason=a%20b&x=%41", "", b'{"a":1}'))
write("FuzzRequestTarget", "get", request("GET", "/health/galera/writer", ""))

# FuzzVRRPCodec: control | vrid | policy (required interval s | 0x80 any sender) | 16 address bytes | message
V3_IPV4 = hexbytes("31 33 96 01  00 64 cb 9d  c6 12 00 0a")
V3_IPV6 = hexbytes("""31 07 64 02  00 0a 11 2a
    20 01 0d b8  00 00 00 00  00 00 00 00  00 00 00 10
    20 01 0d b8  00 00 00 00  00 00 00 00  00 00 00 11""")
V2_NOAUTH = hexbytes("21 0a c8 02  00 03 8a 8d  c6 12 00 1e  c6 12 00 1f  00 00 00 00 00 00 00 00")
V2_PASS = hexbytes("21 34 64 01  01 01 7b cc  c6 12 00 14  68 61 63 74 6c 00 00 00")


def addr(b):
    return b + bytes(16 - len(b))


def ipv4_checksum(header):
    s = sum(int.from_bytes(header[i:i + 2], "big") for i in range(0, len(header), 2))
    while s > 0xFFFF:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ipv4_datagram(src, dst, payload):
    h = bytearray(hexbytes("45 c0") + struct.pack(">H", 20 + len(payload)) + bytes(4) + bytes([255, 112]) +
                  bytes(2) + src + dst)
    h[10:12] = struct.pack(">H", ipv4_checksum(bytes(h)))
    return bytes(h) + payload


C4 = hexbytes("c6 12 00 0b")
write("FuzzVRRPCodec", "v3-ipv4", bytes([0x00, 51, 0]) + addr(b"") + V3_IPV4)
write("FuzzVRRPCodec", "v3-ipv6-link-local", bytes([0x22, 6, 0]) + addr(b"") + V3_IPV6)
write("FuzzVRRPCodec", "v2-no-auth", bytes([0x41, 10, 0x83]) + addr(hexbytes("c6 12 00 1e")) + V2_NOAUTH)
write("FuzzVRRPCodec", "v2-password", bytes([0x51, 52, 0x81]) + addr(hexbytes("c6 12 00 14")) + V2_PASS)
write("FuzzVRRPCodec", "v3-ipv4-datagram", bytes([0x04, 51, 0]) + addr(b"") +
      ipv4_datagram(C4, hexbytes("e0 00 00 12"), V3_IPV4))
write("FuzzVRRPCodec", "v3-ipv4-fix-checksum", bytes([0x08, 51, 0]) + addr(b"") + V3_IPV4[:6] + b"\0\0" + V3_IPV4[8:])

# FuzzPeerAnswer: received instant (8, ns) | JSON report
WSREP = {"wsrep_local_state": 4, "wsrep_local_state_comment": "Synced", "wsrep_cluster_status": "Primary",
         "wsrep_ready": True, "wsrep_connected": True, "wsrep_cluster_size": 3, "wsrep_local_recv_queue": 0,
         "wsrep_flow_control_paused": 0.0, "wsrep_last_committed": 1234,
         "wsrep_cluster_state_uuid": "6f3b0c1e-0000-11ef-8000-000000000001",
         "wsrep_incoming_addresses": ["198.18.0.11:3306", "198.18.0.12:3306", "198.18.0.13:3306"],
         "wsrep_on": True, "wsrep_provider": "/usr/lib/galera/libgalera_smm.so", "read_only": False,
         "wsrep_desync": False, "wsrep_reject_queries": "NONE", "wsrep_sst_donor_rejects_queries": False}
REPORT = {"node": "c2", "status": "passing", "reason": "ok", "passing_for_seconds": 42.5, "age_seconds": 0.8,
          "wsrep": WSREP, "status_age_seconds": 0.8, "writer": "c2", "drained": False}
write("FuzzPeerAnswer", "passing", i64(5_000_000_000_000) + json.dumps(REPORT).encode())
write("FuzzPeerAnswer", "huge-passing-for", i64(0) + json.dumps(dict(REPORT, passing_for_seconds=1e308)).encode())
write("FuzzPeerAnswer", "negative", i64(-2**63) + json.dumps(dict(REPORT, passing_for_seconds=-1,
                                                                   age_seconds=-5e20)).encode())
write("FuzzPeerAnswer", "failing-minimal", i64(2**63 - 1) +
      b'{"node":"c3","status":"critical","reason":"wsrep_ready is OFF"}')
write("FuzzPeerAnswer", "int-extremes", i64(1) + json.dumps(dict(
    REPORT, wsrep=dict(WSREP, wsrep_cluster_size=2**63 - 1, wsrep_last_committed=-2**63))).encode())
