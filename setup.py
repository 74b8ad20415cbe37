"""The long description a package index shows: README.md with its relative links and pictures made
absolute. On an index page there is no repository around the text, so `docs/rules.md` or
`docs/examples/x.svg` would lead nowhere; they point at this version's tag in the repository named
by `[project.urls] Source` instead (pages under /blob/, pictures as raw files). The README itself
keeps relative links, which work in a clone and on the repository's own page. Everything else is
in pyproject.toml."""

import re
import sys
from pathlib import Path

from setuptools import setup

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

HERE = Path(__file__).parent
LINK = re.compile(r"(!?)\[([^\]]*)\]\(([^)\s]+)\)")


def absolute_links(text: str, source: str, tag: str) -> str:
    def link(m: re.Match) -> str:
        bang, label, target = m.groups()
        if re.match(r"[a-z][a-z+.-]*:|#|/", target):  # a URL, an anchor on the same page, a site path
            return m.group(0)
        base = source.replace("https://github.com/", "https://raw.githubusercontent.com/") + f"/{tag}/" \
            if bang else f"{source}/blob/{tag}/"
        return f"{bang}[{label}]({base}{target})"

    return LINK.sub(link, text)


project = tomllib.loads((HERE / "pyproject.toml").read_text(encoding="utf-8"))["project"]
setup(
    long_description=absolute_links((HERE / "README.md").read_text(encoding="utf-8"),
                                    project["urls"]["Source"].rstrip("/"), f"v{project['version']}"),
    long_description_content_type="text/markdown",
)
