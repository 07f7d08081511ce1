"""Maps the repository's top-level folders onto the one installed package, ``unicrm``."""

from pathlib import Path

from setuptools import setup

ROOTS = {
    "unicrm.core": "core",
    "unicrm.schema": "schema",
    "unicrm.plugins.ma": "plugins/ma",
    "unicrm.plugins.sfa": "plugins/sfa",
    "unicrm.plugins.crm": "plugins/crm",
    "unicrm.plugins.loyalty": "plugins/loyalty",
}
DATA = ["*.graphql", "*.conf", "*.mako", "*.toml", "*.ini", "*.sql", "fonts/*.ttf", "fonts/*.txt"]


def discover() -> tuple[list[str], dict[str, str]]:
    packages: list[str] = []
    package_dir: dict[str, str] = {}
    for name, folder in ROOTS.items():
        package_dir[name] = folder
        for init in sorted(Path(folder).rglob("__init__.py")):
            rel = init.parent.relative_to(folder).parts
            packages.append(".".join((name, *rel)))
    return packages, package_dir


packages, package_dir = discover()
setup(packages=packages, package_dir=package_dir, package_data={p: DATA for p in packages})
