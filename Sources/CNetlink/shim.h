#ifndef HACTL_CNETLINK_SHIM_H
#define HACTL_CNETLINK_SHIM_H

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
