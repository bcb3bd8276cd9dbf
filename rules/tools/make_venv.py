"""Creates a Python virtual environment from a pinned requirements file (run by bevbuild's
`python-venv` toolchain rule) and writes a fingerprint marker: interpreter version and every
installed distribution. Nodes that use the env key on the env's key (requirements, interpreter,
rule version) or on the pins of the distributions they use, not on this marker; the marker is what
provenance and the rebuild reasons read (`nncf 3.3.0→3.4.0`), and it never changes because of
bytecode files Python writes into site-packages at run time.

Usage: make_venv.py --dir DIR --requirements FILE --marker FILE [--python EXE]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys


# A copy of the marker inside the env: bevbuild removes the marker (an in-place output) before
# running this script, so the copy is what lets a failed rebuild put the working env back whole.
KEEP = ".bevbuild-env.keep.json"


def usable(env_dir: str) -> bool:
    return os.path.exists(os.path.join(env_dir, KEEP)) and os.path.exists(os.path.join(env_dir, "bin", "python"))


def put_back(env_dir: str, aside: str, marker: str) -> None:
    """Restores the env moved aside (the failed new one is removed), marker included."""
    shutil.rmtree(env_dir, ignore_errors=True)
    os.rename(aside, env_dir)
    shutil.copyfile(os.path.join(env_dir, KEEP), marker)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", required=True)
    ap.add_argument("--requirements", required=True)
    ap.add_argument("--marker", required=True)
    args = ap.parse_args()

    # Venvs are not relocatable (scripts embed their absolute path), so the new env is built at
    # its real path while the working one waits beside it, and is swapped back if the build fails.
    aside = args.dir.rstrip("/") + ".previous"
    if os.path.isdir(aside):  # an earlier run was killed mid-build
        if usable(aside) and not usable(args.dir):
            put_back(args.dir, aside, args.marker)
        else:
            shutil.rmtree(aside)
    if usable(args.dir):
        os.rename(args.dir, aside)
    else:
        shutil.rmtree(args.dir, ignore_errors=True)
    try:
        code = build(args)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"[venv] could not create {args.dir}: {e}", file=sys.stderr)
        code = 1
    if code != 0:
        if os.path.isdir(aside):
            put_back(args.dir, aside, args.marker)
            print(f"[venv] kept the previous environment in {args.dir}", file=sys.stderr)
        return code
    shutil.rmtree(aside, ignore_errors=True)
    return 0


def build(args: argparse.Namespace) -> int:
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
    shutil.copyfile(tmp, os.path.join(args.dir, KEEP))
    os.replace(tmp, args.marker)
    print(f"[venv] ready: python {version}, {len(packages)} distributions", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
