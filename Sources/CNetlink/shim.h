#ifndef HACTL_CNETLINK_SHIM_H
#define HACTL_CNETLINK_SHIM_H

// Import Swift's Glibc module first, so the glibc headers libnl includes (sys/socket.h...) are
// skipped by their include guards instead of being compiled into this module a second time.
// A second copy makes Swift attribute e.g. `SOCK_RAW` to CNetlink, and Swift files that import
// only Glibc then fail with "cannot find 'SOCK_RAW' in scope" depending on compile batching.
#if defined(__linux__) && __has_feature(modules)
#pragma clang module import SwiftGlibc
#endif

// libnl-route-3: address and link requests of VIPManager's AddressManager. Swift calls libnl
// directly: nothing here needs a hactl_nl_ wrapper (no varargs or function-like macros used).
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>

// Kernel socket headers the Glibc module does not export, for the Announcer:
// sockaddr_ll (AF_PACKET), ETH_P_ARP, and ICMP6_FILTER.
#include <netpacket/packet.h>
#include <linux/if_ether.h>
#include <netinet/icmp6.h>

#endif
