#!/usr/bin/env python3
"""The layering check passes on this tree and fails on each kind of planted bad include."""

import pathlib
import subprocess
import sys
import tempfile

SCRIPT = pathlib.Path(__file__).resolve().parents[2] / "tools" / "check-layers"

# (file, its content, a phrase the report must contain); each planted alone in a clean tree.
PLANTED = [
    ("actors/raft/core.cpp", '#include <caf/all.hpp>\n', "standard library only"),
    ("actors/raft/core.cpp", '#include <thread>\n', "no threads"),
    ("actors/raft/core.cpp", '#include "storage/types.hpp"\n', "nothing of rdb outside"),
    ("storage/store.cpp", '#include <caf/actor.hpp>\n', "no CAF"),
    ("storage/store.cpp", '#include "actors/region/peer.hpp"\n', "storage includes only"),
    ("pd/cluster_state.cpp", '#include <caf/actor.hpp>\n', "PD's state includes no CAF"),
    ("pd/cluster_state.cpp", '#include "actors/region/peer.hpp"\n', "pd includes only"),
    ("actors/common/log.cpp", '#include "actors/router/router.hpp"\n', "actors/common includes"),
    ("actors/store/store_node.cpp", '#include "tools/client/client.hpp"\n', "only tools/ and tests/"),
    ("actors/store/store_node.cpp", '#include "pd/cluster_state.hpp"\n', "PD's contract"),
    ("actors/kv/kv_service.hpp", '#include "schemas/kv.capnp.h"\n', "by .cpp files only"),
    ("schemas/kv_stream.cpp", '#include <string>\n', "schemas only"),
]

# Includes that are allowed, in the same places.
CLEAN = {
    "actors/raft/core.cpp": '#include <vector>\n#include "actors/raft/core.hpp"\n',
    "storage/store.cpp": '#include <lmdb.h>\n#include "actors/raft/types.hpp"\n'
                         '#include "store_meta_generated.h"\n',
    "pd/cluster_state.cpp": '#include "storage/types.hpp"\n#include "actors/common/log.hpp"\n',
    "pd/pd_actor.cpp": '#include <caf/actor_system.hpp>\n',
    "actors/common/log.cpp": '#include "storage/ids.hpp"\n',
    "actors/store/store_node.cpp": '#include <caf/actor.hpp>\n#include "pd/pd_interface.hpp"\n'
                                   '#include "actors/router/router.hpp"\n',
    "actors/kv/kv_service.cpp": '#include "schemas/kv.capnp.h"\n',
    "tools/rdb-node/main.cpp": '#include "pd/cluster_state.hpp"\n#include "tests/x.hpp"\n',
    "schemas/kv.capnp": "@0xb6f3c9b1d3a1e2f4;\n",
}


def run(root):
    p = subprocess.run([sys.executable, str(SCRIPT), str(root)], capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def plant(root, files):
    for rel, text in files.items():
        path = pathlib.Path(root) / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def main():
    failures = []
    code, out = run(SCRIPT.parents[1])
    if code != 0:
        failures.append("the tree itself breaks the layering:\n" + out)
    with tempfile.TemporaryDirectory() as d:
        plant(d, CLEAN)
        code, out = run(d)
        if code != 0:
            failures.append("a clean tree was refused:\n" + out)
    for rel, text, phrase in PLANTED:
        with tempfile.TemporaryDirectory() as d:
            files = dict(CLEAN)
            files[rel] = files.get(rel, "") + text
            plant(d, files)
            code, out = run(d)
            if code == 0 or phrase not in out or rel not in out:
                failures.append(f"planted {text.strip()} in {rel}: exit {code}, wanted the rule "
                                f"'{phrase}':\n{out}")
    for f in failures:
        print("FAIL:", f)
    print(f"check-layers-test: {len(PLANTED)} planted includes, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
