"""Creates a Python virtual environment from a pinned requirements file (run by bevbuild's
`python-venv` toolchain rule) and writes a fingerprint marker: interpreter version and every
installed distribution. The marker's digest is the toolchain's output digest, so nodes that use
the env rebuild exactly when what is installed changes (e.g. an NNCF bump), and never because of
bytecode files Python writes into site-packages at run time.

Usage: make_venv.py --dir DIR --requirements FILE --marker FILE [--python EXE]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", required=True)
    ap.add_argument("--requirements", required=True)
    ap.add_argument("--marker", required=True)
    args = ap.parse_args()

    shutil.rmtree(args.dir, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", args.dir], check=True)
    py = os.path.join(args.dir, "bin", "python")
    print(f"[venv] {args.dir}: installing {args.requirements}", flush=True)
    pip = subprocess.run(
        [py, "-m", "pip", "install", "--no-input", "--disable-pip-version-check", "-r", args.requirements],
        stdout=sys.stdout, stderr=subprocess.STDOUT,
    )
    if pip.returncode != 0:
        print(
            f"[venv] pip could not install {args.requirements} (exit {pip.returncode}). "
            "Check the pins above against the package index (pip's message names the package), "
            "then rebuild this env.",
            file=sys.stderr,
        )
        return pip.returncode
    freeze = subprocess.run([py, "-m", "pip", "list", "--format=json", "--disable-pip-version-check"],
                            capture_output=True, text=True, check=True)
    packages = {p["name"].lower(): p["version"] for p in json.loads(freeze.stdout)
                if p["name"].lower() not in ("pip", "setuptools", "wheel")}
    version = subprocess.run([py, "-c", "import sys; print(sys.version.split()[0])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    marker = {"format": 1, "python": version, "packages": dict(sorted(packages.items()))}
    tmp = args.marker + ".tmp"
    with open(tmp, "w") as f:
        json.dump(marker, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(tmp, args.marker)
    print(f"[venv] ready: python {version}, {len(packages)} distributions", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
