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
