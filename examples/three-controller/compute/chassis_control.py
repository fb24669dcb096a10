#!/usr/bin/python3
"""ipmi_sim's chassis_control hook for one lab compute host (lan.conf: chassis_control "PROG").

ipmi_sim popen()s `PROG get PARM...` (answer `PARM:VALUE` lines) and `PROG set PARM "VAL"...`.
Power state lives in $RUN/<host>/power (on|off). Power changes run `lab.sh compute-power HOST
on|off` in a child that first closes every descriptor above 2 and calls setsid: ipmi_sim's
descriptors (UDP 623, the popen pipe) must not leak into nova-compute, or ipmi_sim waits on it.

Usage (from the generated wrapper): chassis_control.py LAB_SH HOST [MC] get|set ARGS...
LAB_PREFIX and RUN come from the environment.
"""
import os
import sys
import time

POWER_TIMEOUT = 20  # seconds for one lab.sh compute-power run


def power_state(run, host):
    try:
        with open(os.path.join(run, host, "power")) as f:
            return f.read().strip() or "on"
    except FileNotFoundError:
        return "on"


def power(lab_sh, run, host, action):
    log = os.path.join(run, host, "power.log")
    pid = os.fork()
    if pid == 0:
        try:
            os.setsid()
            fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, 0)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            os.closerange(3, os.sysconf("SC_OPEN_MAX"))
            os.write(1, ("=== %s chassis_control: power %s\n" % (time.strftime("%FT%T"), action)).encode())
            os.execv("/bin/bash", ["/bin/bash", lab_sh, "compute-power", host, action])
        finally:
            os._exit(127)
    deadline = time.monotonic() + POWER_TIMEOUT
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status) == 0
        time.sleep(0.05)
    return False  # left running; the state file tells the truth once it finishes


def main():
    args = sys.argv[1:]
    if len(args) < 3:
        sys.exit("usage: chassis_control.py LAB_SH HOST [MC] get|set ARGS...")
    lab_sh, host = args[0], args[1]
    rest = args[2:]
    if rest and rest[0] not in ("get", "set", "check"):
        rest = rest[1:]  # the MC address ipmi_sim's examples pass first
    run = os.environ["RUN"]
    op, parms = rest[0], rest[1:]
    if op == "get":
        for p in parms:
            if p == "power":
                print("power:%d" % (1 if power_state(run, host) == "on" else 0))
            elif p == "boot":
                print("boot:default")
            else:
                print("%s:0" % p)
        return 0
    if op == "check":
        return 0
    ok = True
    pairs = list(zip(parms[0::2], parms[1::2]))
    for p, v in pairs:
        v = v.strip('"')
        if p == "power":
            ok = power(lab_sh, run, host, "on" if v not in ("0", "") else "off") and ok
        elif p == "reset" and v not in ("0", ""):
            ok = power(lab_sh, run, host, "off") and power(lab_sh, run, host, "on") and ok
        elif p == "shutdown" and v not in ("0", ""):
            ok = power(lab_sh, run, host, "off") and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
