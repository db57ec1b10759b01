"""Print the shell command under a ``<!-- NAME-command -->`` marker in README.md."""

import pathlib
import re
import sys

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def readme_command(name):
    """Return the bash block that follows ``<!-- {name}-command -->``."""
    text = README.read_text(encoding="utf-8")
    match = re.search(rf"<!-- {name}-command -->\s*```bash\n(.+?)\n```", text, re.S)
    if match is None:
        raise SystemExit(f"README.md has no '<!-- {name}-command -->' block")
    return match.group(1).strip()


if __name__ == "__main__":
    print(readme_command(sys.argv[1]))
