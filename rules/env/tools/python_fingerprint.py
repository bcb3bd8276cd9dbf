"""Writes the fingerprint of the running interpreter's environment as JSON:
{"python": "3.8.18", "implementation": ..., "distributions": {"torch": "1.11.0", ...}}.
Uses only the standard library (importlib.metadata, Python >= 3.8) so it runs in any env."""
import argparse
import json
import platform
import sys

try:
    from importlib import metadata
except ImportError:  # pragma: no cover - Python < 3.8
    sys.exit("python_fingerprint.py needs Python >= 3.8 (importlib.metadata)")

parser = argparse.ArgumentParser()
parser.add_argument("--out", required=True)
args = parser.parse_args()

dists = {}
for d in metadata.distributions():
    name = d.metadata["Name"]
    if name:
        dists[name.lower()] = d.version
print(f"python {platform.python_version()}, {len(dists)} distributions")
with open(args.out, "w") as f:
    json.dump({"python": platform.python_version(), "implementation": platform.python_implementation(),
               "executable": sys.executable, "distributions": dict(sorted(dists.items()))}, f, indent=1)
