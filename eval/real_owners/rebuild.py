#!/usr/bin/env python3
"""Fill in the withheld owner texts of real_owners.jsonl from their pointers.
usage: python3 rebuild.py real_owners.jsonl [LOCAL_CLONE_OF_Darien89_NLP-Classification-Project] > rebuilt.jsonl
Without a local clone the CSVs are read from raw.githubusercontent.com at the pinned commit."""
import csv, html, io, json, subprocess, sys, urllib.request
src, clone = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else None)
cache = {}
def rows(p):
    key = (p["repo"], p["commit"], p["path"])
    if key not in cache:
        if clone:
            text = subprocess.run(["git", "show", f'{p["commit"]}:{p["path"]}'], cwd=clone,
                                  capture_output=True, text=True, check=True).stdout
        else:
            url = f'https://raw.githubusercontent.com/{p["repo"]}/{p["commit"]}/{p["path"]}'
            text = urllib.request.urlopen(url).read().decode("utf-8")
        cache[key] = list(csv.reader(io.StringIO(text)))
    return cache[key]
for line in open(src, encoding="utf-8"):
    o = json.loads(line)
    p = o.get("pointer")
    if p:
        table = rows(p)
        col = table[0].index(p["column"])
        o["turns"] = [html.unescape(table[p["row"]][col])]  # row is 1-based after the header line
        o["text_withheld"] = False
    print(json.dumps(o, ensure_ascii=False))
