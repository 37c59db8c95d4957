#!/usr/bin/env python3
"""README.md's cookbook shows exactly the snippets in examples/cookbook/.

Each snippet is the text of a cookbook header between its `// [cookbook]`
and `// [/cookbook]` lines; README.md shows it in the ```cpp block that
follows `<!-- cookbook: NAME.hpp -->`. Every header appears once, every
marker names a header, and the code is the same, line for line.

    check_cookbook.py README.md examples/cookbook
"""
import difflib
import pathlib
import re
import sys

BEGIN, END = "// [cookbook]", "// [/cookbook]"
MARKER = re.compile(r"^<!-- cookbook: (\S+) -->$")


def snippet_of(path):
    lines = path.read_text(encoding="utf-8").splitlines()
    if lines.count(BEGIN) != 1 or lines.count(END) != 1:
        raise ValueError(f"{path}: needs exactly one {BEGIN} and one {END} line")
    begin, end = lines.index(BEGIN), lines.index(END)
    if end < begin:
        raise ValueError(f"{path}: {END} comes before {BEGIN}")
    return lines[begin + 1:end]


def shown_in_readme(readme):
    """{name: [lines of the cpp block after its marker]}"""
    lines = readme.read_text(encoding="utf-8").splitlines()
    shown = {}
    for i, line in enumerate(lines):
        match = MARKER.match(line)
        if not match:
            continue
        name = match.group(1)
        if name in shown:
            raise ValueError(f"{readme}:{i + 1}: {name} is shown twice")
        if i + 1 >= len(lines) or lines[i + 1] != "```cpp":
            raise ValueError(f"{readme}:{i + 1}: the marker for {name} must be followed by a ```cpp line")
        try:
            close = lines.index("```", i + 2)
        except ValueError:
            raise ValueError(f"{readme}:{i + 1}: the block for {name} is not closed") from None
        shown[name] = lines[i + 2:close]
    return shown


def main(readme, folder):
    readme, folder = pathlib.Path(readme), pathlib.Path(folder)
    problems = []
    try:
        snippets = {path.name: snippet_of(path) for path in sorted(folder.glob("*.hpp"))}
        shown = shown_in_readme(readme)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 1
    if not snippets:
        problems.append(f"{folder} holds no cookbook headers")
    for name in sorted(set(shown) - set(snippets)):
        problems.append(f"{readme} shows {name}, which {folder} does not have")
    for name, code in snippets.items():
        if name not in shown:
            problems.append(f"{readme} does not show {name} (add <!-- cookbook: {name} --> and its ```cpp block)")
        elif shown[name] != code:
            diff = difflib.unified_diff(shown[name], code, f"{readme} ({name})", str(folder / name), lineterm="")
            problems.append("\n".join(diff))
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"{readme}: all {len(snippets)} cookbook snippets match {folder}")
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2]))
