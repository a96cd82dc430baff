"""YAML read to plain data plus the line of every key, so errors can name file and line."""

from __future__ import annotations

import difflib
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import yaml

Path_ = tuple[str | int, ...]
_SEXAGESIMAL = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}


class PolicyError(ValueError):
    """A policy file is broken; each problem names the file, the line and the fix."""

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


@dataclass
class Doc:
    """A loaded YAML document: `data` as plain Python, `lines` from key path to 1-based line."""

    source: str
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def line(self, path: Path_) -> int | None:
        """The line of `path`, or of its nearest ancestor that is in the file."""
        for n in range(len(path), -1, -1):
            if path[:n] in self.lines:
                return self.lines[path[:n]]
        return None

    def problem(self, path: Path_, message: str, fix: str = "") -> None:
        line = self.line(path)
        where = f"{self.source}:{line}" if line else self.source
        key = dotted(path)
        text = f"{where}: {key + ': ' if key else ''}{message}"
        self.problems.append(f"{text} — fix: {fix}" if fix else text)

    def get(self, path: Path_, default: Any = None) -> Any:
        node = self.data
        for part in path:
            in_dict = isinstance(node, dict) and isinstance(part, str) and part in node
            in_list = isinstance(node, list) and isinstance(part, int) and part < len(node)
            if in_dict or in_list:
                node = node[part]
            else:
                return default
        return default if node is None else node

    def note(self, path: Path_, message: str) -> None:
        """Not a problem, but what the line will do that its reader may not expect."""
        line = self.line(path)
        where = f"{self.source}:{line}" if line else self.source
        key = dotted(path)
        self.notes.append(f"{where}: {key + ': ' if key else ''}{message}")

    def known_keys(self, path: Path_, allowed: set[str]) -> None:
        """Report keys under `path` that the schema does not know, with a likely correction."""
        node = self.get(path)
        if not isinstance(node, dict):
            return
        for key in node:
            if key in allowed or key.startswith("x-"):
                continue
            self.problem((*path, key), "unknown key", suggest(key, allowed, "allowed"))


def suggest(name: str, valid: Collection[str], what: str) -> str:
    """The fix for an unknown name: the nearest valid one, then every valid one."""
    choices = sorted(valid)
    listed = f"{what}: " + (", ".join(choices) or "(none defined)")
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`? ({listed})" if close else listed


def dotted(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def load_doc(text: str, source: str) -> Doc:
    """Parse YAML; a syntax error becomes a problem with its line, the data then None."""
    doc = Doc(source=source, data=None)
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            doc.data = _build(loader, node, (), doc)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        problem = getattr(exc, "problem", None) or str(exc)
        doc.problems.append(
            f"{where}: not valid YAML ({problem}) — fix: check the indentation (spaces, not "
            "tabs) and quote values that contain ': ' or start with a special character"
        )
        doc.data = None
    finally:
        loader.dispose()
    return doc


def _build(loader: yaml.SafeLoader, node: yaml.Node, path: Path_, doc: Doc) -> Any:
    doc.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
            child = (*path, key)
            if key in out:
                first = doc.lines.get(child)
                doc.lines[child] = key_node.start_mark.line + 1
                doc.problem(child, f"appears twice (also on line {first})", "keep only one")
            doc.lines[child] = key_node.start_mark.line + 1
            out[key] = _build(loader, value_node, child, doc)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(loader, item, (*path, i), doc) for i, item in enumerate(node.value)]
    assert isinstance(node, yaml.ScalarNode)
    if node.tag in _SEXAGESIMAL and ":" in node.value:
        return node.value  # 08:00 unquoted is base-60 480 in YAML 1.1; keep the text
    return loader.construct_object(node, deep=True)
