#!/usr/bin/env python3
"""Fill in the withheld owner texts of real_owners.jsonl from their pointers.

usage: python3 rebuild.py real_owners.jsonl [LOCAL_CLONE_OF_Darien89_NLP-Classification-Project]
       > rebuilt.jsonl

Without a local clone the CSVs are read from raw.githubusercontent.com at the pinned commit.
The source repository has no licence, so its texts are not copied here (see SOURCES.md)."""

from __future__ import annotations

import csv
import html
import io
import json
import subprocess
import sys
import urllib.request
from typing import Any


def _table(pointer: dict[str, Any], clone: str | None) -> list[list[str]]:
    if clone:
        text = subprocess.run(
            ["git", "show", f"{pointer['commit']}:{pointer['path']}"],
            cwd=clone,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    else:
        url = (
            f"https://raw.githubusercontent.com/{pointer['repo']}/{pointer['commit']}/"
            f"{pointer['path']}"
        )
        with urllib.request.urlopen(url) as response:  # noqa: S310 (a pinned https URL)
            text = response.read().decode("utf-8")
    return list(csv.reader(io.StringIO(text)))


def rebuild(src: str, clone: str | None) -> list[dict[str, Any]]:
    """Every item of `src`, with the text behind each pointer filled in."""
    cache: dict[tuple[str, str, str], list[list[str]]] = {}
    out = []
    with open(src, encoding="utf-8") as lines:
        for line in lines:
            item = json.loads(line)
            pointer = item.get("pointer")
            if pointer:
                key = (pointer["repo"], pointer["commit"], pointer["path"])
                if key not in cache:
                    cache[key] = _table(pointer, clone)
                table = cache[key]
                column = table[0].index(pointer["column"])
                # `row` counts the data records from 1, the header line excluded
                item["turns"] = [html.unescape(table[pointer["row"]][column])]
                item["text_withheld"] = False
            out.append(item)
    return out


def main() -> None:
    clone = sys.argv[2] if len(sys.argv) > 2 else None
    for item in rebuild(sys.argv[1], clone):
        print(json.dumps(item, ensure_ascii=False))


if __name__ == "__main__":
    main()
