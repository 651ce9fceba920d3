#!/usr/bin/env python3
"""Extracts every ```c block of a Markdown file, in order, into one C file,
so the test suite can compile and run a tutorial's code.
Usage: extract-snippets.py DOC.md OUT.c"""
import re
import sys

doc, out = sys.argv[1], sys.argv[2]
blocks = re.findall(r"^```c\n(.*?)^```", open(doc, encoding="utf-8").read(), re.M | re.S)
with open(out, "w", encoding="utf-8") as f:
    f.write(f"/* generated from {doc}: its C snippets, in order */\n")
    for i, b in enumerate(blocks):
        f.write(f"\n/* --- snippet {i + 1} --- */\n{b}")
