#!/usr/bin/env python3
"""Extracts a tutorial's C code blocks, in order, into one C file, so the
test suite can compile and run what the document shows.

Usage: extract-snippets.py DOC.md OUT.c            the program: every ```c block
       extract-snippets.py --plugin DOC.md OUT.c   the plugin: the ```c blocks of the
                                                    sections "## Step 1" … "## Step 5" and
                                                    Step 8's solver (its blocks without
                                                    main), then every ```c plugin block"""
import re
import sys

args = sys.argv[1:]
plugin = args[:1] == ["--plugin"]
if plugin:
    args = args[1:]
doc, out = args
text = open(doc, encoding="utf-8").read()

chosen = []
step = None
for m in re.finditer(r"^## Step (\d+)|^```c( plugin)?\n(.*?)^```", text, re.M | re.S):
    if m.group(1):
        step = int(m.group(1))
    elif plugin:
        solver = step == 8 and "main (void)" not in m.group(3)
        if m.group(2) or (step is not None and step <= 5) or solver:
            chosen.append(m.group(3))
    elif not m.group(2):
        chosen.append(m.group(3))

with open(out, "w", encoding="utf-8") as f:
    f.write(f"/* generated from {doc}: its {'plugin' if plugin else 'C'} snippets, in order */\n")
    for i, b in enumerate(chosen):
        f.write(f"\n/* --- snippet {i + 1} --- */\n{b}")
