"""rdb-node processes for the tools that start a cluster of their own (bench-cluster, chaos):
PD and N stores on loopback, each in a directory of its own, on ports the system picks."""

import os
import signal
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def binary(tool, name):
    """The path of a built binary (build/ or $RDB_BUILD); exits with a hint if it is missing."""
    build = os.environ.get("RDB_BUILD", os.path.join(ROOT, "build"))
    path = os.path.join(build, name)
    if not os.access(path, os.X_OK):
        sys.exit(f"{tool}: no {path}; build first (tools/test or ninja -C build)")
    return path


class Node:
    """One rdb-node process. A restart reuses its directory and the ports it first got."""

    def __init__(self, tool, binary_path, data, name, flags):
        self.tool = tool
        self.binary = binary_path
        self.name = name
        self.dir = os.path.join(data, name)
        self.log_path = os.path.join(data, name + ".log")
        self.flags = list(flags)
        self.ready = []
        self.proc = None
        self.start()

    def start(self):
        log = open(self.log_path, "a")
        self.proc = subprocess.Popen([self.binary, f"--data-dir={self.dir}"] + self.flags,
                                     stdout=subprocess.PIPE, stderr=log, text=True)
        log.close()

    def wait_ready(self):
        # rdb-node prints its ready line once it serves, or exits.
        self.ready = self.proc.stdout.readline().split()
        if not self.ready or self.ready[0] != "rdb-node":
            self.proc.wait()
            with open(self.log_path) as log:
                sys.exit(f"{self.tool}: {self.name} did not start:\n{log.read().strip()}")

    def field(self, key):
        for word in self.ready:
            if word.startswith(key + "="):
                return word.split("=", 1)[1]
        sys.exit(f"{self.tool}: {self.name} printed no {key}")

    def port(self, key):
        return int(self.field(key).rsplit(":", 1)[1])

    def pin_ports(self, **ports):
        """Makes a restart take the ports this run got: flag name -> ready-line field."""
        for flag, key in ports.items():
            self.flags = [f for f in self.flags if not f.startswith(f"--{flag}=")]
            self.flags.append(f"--{flag}={self.port(key)}")

    def signal(self, sig):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)

    def kill(self):
        self.signal(signal.SIGKILL)
        self.proc.wait()

    def restart(self):
        self.start()
        self.wait_ready()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                print(f"{self.tool}: {self.name} did not stop in 30 s; killed", file=sys.stderr)
                self.proc.kill()
                self.proc.wait()


def start_cluster(tool, data, regions, store_flags=(), stores=3):
    """PD and `stores` stores (replicas 3) with `regions` initial regions, all ready; the PD
    first in the list."""
    node_bin = binary(tool, "tools/rdb-node/rdb-node")
    nodes = []
    try:
        pd = Node(tool, node_bin, data, "pd", ["--mode=pd", "--pd-port=0",
                                              f"--initial-stores={stores}", "--replicas=3",
                                              f"--initial-regions={regions}"])
        nodes.append(pd)
        pd.wait_ready()
        pd.pin_ports(**{"pd-port": "pd"})
        for i in range(stores):
            nodes.append(Node(tool, node_bin, data, f"store{i + 1}",
                              ["--mode=store", f"--pd={pd.field('pd')}", "--peer-port=0",
                               "--client-port=0"] + list(store_flags)))
        for n in nodes[1:]:
            n.wait_ready()
            n.pin_ports(**{"peer-port": "peer", "client-port": "client"})
    except BaseException:
        stop_all(nodes)
        raise
    return nodes


def stop_all(nodes):
    for n in reversed(nodes):
        n.stop()
