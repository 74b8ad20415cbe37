"""Run `inspect` in a fresh interpreter, through the real click entry point, and report its exit
code and which of the watched modules it left in sys.modules (reading is not running)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence

PROBE = r"""
import json, sys
from inspector.cli import main
watched = sys.argv[1].split(",")
sys.argv = ["inspect", *sys.argv[2:]]
try:
    main()
except SystemExit as exc:
    code = exc.code
print("\n" + json.dumps({"code": code, "loaded": sorted(m for m in watched if m in sys.modules)}))
"""


def run_inspect(args: Sequence[str], watched: Sequence[str], timeout: float) -> tuple[dict, str]:
    """`inspect ARGS` in a fresh interpreter: ({"code": exit code, "loaded": the watched modules
    it imported}, what the command printed)."""
    done = subprocess.run([sys.executable, "-c", PROBE, ",".join(watched), *args], check=False,
                          capture_output=True, text=True, timeout=timeout)
    *output, last = done.stdout.strip().splitlines()
    return json.loads(last), "\n".join(output)


HIDING = r"""
import sys
absent = set(sys.argv[1].split(","))


class Absent:
    '''Answers first for the hidden packages, as when they are not installed.'''

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in absent:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)


sys.meta_path.insert(0, Absent())
from inspector.cli import main
sys.argv = ["inspect", *sys.argv[2:]]
main()
"""


def run_without(absent: Sequence[str], args: Sequence[str], timeout: float = 300) -> subprocess.CompletedProcess:
    """`inspect ARGS` in a fresh interpreter where the `absent` packages cannot be imported (each
    import raises ModuleNotFoundError, as in an install without them)."""
    return subprocess.run([sys.executable, "-c", HIDING, ",".join(absent), *args], check=False,
                          capture_output=True, text=True, timeout=timeout)
