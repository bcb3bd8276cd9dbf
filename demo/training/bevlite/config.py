"""torchpack-0.3.1-style config loading + Intel's safe `recursive_eval` (mirrors T/mmdet3d/utils/config.py).

* `load_config(path)` builds the chain ``[leaf, dir(leaf)/default.yaml, dir(dir)/default.yaml, ...]``
  walking ``os.path.dirname`` to a fixed point, applies it root-first, deep-merges dicts and replaces
  lists/scalars; missing files are skipped silently (as torchpack does).
* CLI overrides ``--a.b.c VALUE`` / ``--a.b.c=VALUE`` are applied *before* interpolation
  (``ast.literal_eval`` with fallback to the raw string).
* ``${...}`` whole-string interpolation with a safe AST subset; scope = deep copy of the whole
  top-level config taken before evaluation; results are re-evaluated recursively.

YAML is parsed by a small built-in reader (the bev env pins only numpy + onnx): block mappings,
block sequences of scalars/flow items, flow lists/dicts, quoted strings, comments.
"""
from __future__ import annotations

import ast
import copy
import hashlib
import json
import operator
import os
import sys
from typing import Any


class ConfigError(Exception):
    pass


# --------------------------------------------------------------------------- minimal YAML reader
def _strip_comment(line: str) -> str:
    out, quote = [], None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            break
        out.append(ch)
    return "".join(out).rstrip()


def _scalar(text: str) -> Any:
    t = text.strip()
    if t == "":
        return None
    if t[0] in "[{" :
        return _flow(t)
    if t[0] in "'\"" and t[-1] == t[0]:
        return t[1:-1]
    low = t.lower()
    if low in ("null", "~", "none"):
        return None
    if low in ("true", "yes"):
        return True
    if low in ("false", "no"):
        return False
    try:
        return int(t)
    except ValueError:
        pass
    try:
        return float(t)
    except ValueError:
        return t


def _split_top(s: str) -> list[str]:
    parts, depth, quote, cur = [], 0, None, []
    for ch in s:
        if quote:
            cur.append(ch)
            if ch == quote:
                quote = None
            continue
        if ch in "'\"":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    if "".join(cur).strip():
        parts.append("".join(cur))
    return parts


def _flow(t: str) -> Any:
    t = t.strip()
    if t.startswith("[") and t.endswith("]"):
        return [_scalar(p) for p in _split_top(t[1:-1])]
    if t.startswith("{") and t.endswith("}"):
        d = {}
        for p in _split_top(t[1:-1]):
            k, _, v = p.partition(":")
            d[_scalar(k)] = _scalar(v)
        return d
    if t.startswith("${"):
        return t
    raise ConfigError(f"cannot parse flow value {t!r}")


def parse_yaml(text: str, filename: str = "<yaml>") -> Any:
    lines = []
    for no, raw in enumerate(text.splitlines(), 1):
        s = _strip_comment(raw)
        if s.strip():
            lines.append((len(s) - len(s.lstrip(" ")), s.strip(), no))
    pos = 0

    def block(indent: int) -> Any:
        nonlocal pos
        if pos >= len(lines):
            return None
        if lines[pos][1].startswith("- ") or lines[pos][1] == "-":
            seq = []
            while pos < len(lines) and lines[pos][0] == indent and lines[pos][1].startswith("-"):
                item = lines[pos][1][1:].strip()
                pos += 1
                if item == "":
                    seq.append(block(lines[pos][0]) if pos < len(lines) and lines[pos][0] > indent else None)
                else:
                    seq.append(_scalar(item))
            return seq
        mapping: dict = {}
        while pos < len(lines) and lines[pos][0] == indent:
            ind, s, no = lines[pos]
            if s.startswith("-"):
                raise ConfigError(f"{filename}:{no}: unexpected sequence item")
            key, sep, rest = s.partition(":")
            if not sep:
                raise ConfigError(f"{filename}:{no}: expected 'key: value', got {s!r}")
            pos += 1
            key = _scalar(key)
            if rest.strip():
                mapping[key] = _scalar(rest)
            elif pos < len(lines) and (lines[pos][0] > ind or (lines[pos][0] == ind and lines[pos][1].startswith("- "))):
                mapping[key] = block(lines[pos][0])
            else:
                mapping[key] = None
        if pos < len(lines) and lines[pos][0] > indent:
            ind, s, no = lines[pos]
            raise ConfigError(f"{filename}:{no}: bad indentation")
        return mapping

    out = block(lines[0][0]) if lines else {}
    return out if out is not None else {}


def dump_yaml(obj: Any, indent: int = 0) -> str:
    """Dump as YAML whose scalars/lists are JSON flow values (readable by parse_yaml and PyYAML)."""
    pad = " " * indent
    out = []
    for k, v in obj.items():
        if isinstance(v, dict) and v:
            out.append(f"{pad}{k}:")
            out.append(dump_yaml(v, indent + 2))
        else:
            out.append(f"{pad}{k}: {json.dumps(v)}")
    return "\n".join(out)


# --------------------------------------------------------------------------- chain + merge
def config_chain(path: str) -> list[str]:
    """[leaf, dir/default.yaml, parent/default.yaml, ...] exactly like torchpack's load(recursive=True)."""
    ext = os.path.splitext(path)[1]
    chain = [path]
    d = os.path.dirname(path)
    while True:
        chain.append(os.path.join(d, "default" + ext))
        nd = os.path.dirname(d)
        if nd == d:
            break
        d = nd
    return chain


def deep_merge(base: dict, update: dict) -> dict:
    for k, v in update.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            deep_merge(base[k], v)
        else:
            base[k] = copy.deepcopy(v)
    return base


# --------------------------------------------------------------------------- safe interpolation
_BINOPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod}
_UNOPS = {ast.UAdd: operator.pos, ast.USub: operator.neg}


def _safe_eval(node: ast.AST, scope: dict) -> Any:
    if isinstance(node, ast.Expression):
        return _safe_eval(node.body, scope)
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id not in scope:
            raise ConfigError(f"unknown name {node.id!r}")
        return scope[node.id]
    if isinstance(node, ast.Attribute):
        base = _safe_eval(node.value, scope)
        if isinstance(base, dict):
            return base[node.attr]
        raise ConfigError(f"attribute access on non-mapping ({node.attr})")
    if isinstance(node, ast.Subscript):
        return _safe_eval(node.value, scope)[_safe_eval(node.slice, scope)]
    if isinstance(node, ast.Slice):
        return slice(*(None if p is None else _safe_eval(p, scope) for p in (node.lower, node.upper, node.step)))
    if isinstance(node, (ast.List, ast.Tuple)):
        vals = [_safe_eval(e, scope) for e in node.elts]
        return vals if isinstance(node, ast.List) else tuple(vals)
    if isinstance(node, ast.Dict):
        return {_safe_eval(k, scope): _safe_eval(v, scope) for k, v in zip(node.keys, node.values)}
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        return _BINOPS[type(node.op)](_safe_eval(node.left, scope), _safe_eval(node.right, scope))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNOPS:
        return _UNOPS[type(node.op)](_safe_eval(node.operand, scope))
    raise ConfigError(f"disallowed expression: {ast.dump(node)[:80]}")


def recursive_eval(obj: Any, globals_: dict | None = None) -> Any:
    if globals_ is None:
        globals_ = copy.deepcopy(obj)
    if isinstance(obj, dict):
        return {k: recursive_eval(v, globals_) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(recursive_eval(v, globals_) for v in obj)
    if isinstance(obj, str) and obj.startswith("${") and obj.endswith("}"):
        try:
            value = _safe_eval(ast.parse(obj[2:-1], mode="eval"), globals_)
        except ConfigError:
            raise
        except Exception as e:  # noqa: BLE001 - report which expression failed
            raise ConfigError(f"cannot evaluate {obj!r}: {e}") from e
        return recursive_eval(value, globals_)
    return obj


# --------------------------------------------------------------------------- public API
def parse_overrides(opts: list[str]) -> list[tuple[str, Any]]:
    """torchpack Config.update(opts): --a.b.c VALUE or --a.b.c=VALUE; every flag needs a value."""
    out, i = [], 0
    while i < len(opts):
        o = opts[i]
        if not o.startswith("--"):
            raise ConfigError(f"unexpected argument {o!r} (overrides look like --a.b.c VALUE)")
        if "=" in o:
            key, raw = o[2:].split("=", 1)
            i += 1
        else:
            if i + 1 >= len(opts):
                raise ConfigError(f"override {o} has no value")
            key, raw = o[2:], opts[i + 1]
            i += 2
        try:
            val = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            val = raw
        out.append((key, val))
    return out


def load_config(path: str, overrides: list[str] | None = None) -> dict:
    if not os.path.isfile(path):
        raise ConfigError(f"config file not found: {path}")
    cfg: dict = {}
    for f in reversed(config_chain(path)):
        if os.path.isfile(f):
            with open(f, encoding="utf-8") as fh:
                data = parse_yaml(fh.read(), f)
            if not isinstance(data, dict):
                raise ConfigError(f"{f}: top level must be a mapping")
            deep_merge(cfg, data)
    for key, val in parse_overrides(overrides or []):
        node = cfg
        parts = key.split(".")
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = val
    return recursive_eval(cfg)


def config_hash(cfg: dict) -> str:
    """Digest of the effective config, minus run-only keys (where the run writes, what it resumes
    from: a resumed run is the same training); stored in checkpoints."""
    clean = {k: v for k, v in cfg.items() if k not in ("run_dir", "resume_from")}
    return hashlib.sha256(json.dumps(clean, sort_keys=True).encode()).hexdigest()


def load_or_exit(path: str, overrides: list[str] | None = None) -> dict:
    try:
        return load_config(path, overrides)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
