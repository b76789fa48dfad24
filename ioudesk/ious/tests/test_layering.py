"""The import graph keeps the layers of docs/architecture.md: no import circles, and the domain
never imports an interface.

Every module under ioudesk/ is parsed (not imported) and every import in it is counted, at module
level and inside functions alike: an import moved into a function to get round a circle is still a
circle. ``from package import name`` counts as importing the module ``package.name`` when there is
one, else the package.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import ioudesk

ROOT = Path(ioudesk.__file__).parent

# Interfaces parse input, call one service or selector and render; nothing below may import them.
INTERFACE_PACKAGES = ("ioudesk.backoffice", "ioudesk.api", "ioudesk.portal")

# The IOU services' layers, top to bottom, as docs/architecture.md draws them: a module imports only
# from the layers below its own (so the event modules never import each other).
SERVICE_LAYERS = (
    ("origination", "disbursement", "repayment", "corrections", "settlement", "restructure", "writeoff",
     "classification"),
    ("rewind",),
    ("payments",),
    ("accrual",),
    ("limitation",),
    ("schedules",),
    ("allocation",),
    ("installments",),
    ("ledgering", "idempotency", "guards"),
)

# Package edges known to close a circle, each with its way out. A new circle fails the test; fixing
# one of these means deleting its line.
KNOWN_PACKAGE_EDGES: dict[tuple[str, str], str] = {}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    return {module_name(path): path for path in ROOT.rglob("*.py")}


def _resolve(name: str) -> str | None:
    """The project module `name` is, or is inside of (a name imported from a module)."""
    while name and name not in modules():
        name = name.rpartition(".")[0]
    return name or None


def imported_names(name: str) -> set[str]:
    """Every name `name` imports, as written (absolute), at any depth of the module."""
    path = modules()[name]
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package[:len(package) - node.level + 1], *([node.module] if node.module else [])])
            found.update(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules() else base
                         for alias in node.names)
    return found


@cache
def graph() -> dict[str, frozenset[str]]:
    """Project module → the project modules it imports."""
    edges = {}
    for name in modules():
        targets = {_resolve(n) for n in imported_names(name) if n.split(".")[0] == "ioudesk"}
        edges[name] = frozenset(t for t in targets if t and t != name)
    return edges


def is_test(name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    return ".tests" in name or last.startswith("test_") or last == "conftest"


def is_interface(name: str) -> bool:
    return (name.startswith(INTERFACE_PACKAGES) or name == "ioudesk.cli" or ".management." in name
            or name.endswith(".tasks"))


def is_domain(name: str) -> bool:
    return not (is_test(name) or is_interface(name) or ".migrations." in name)


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def package_of(name: str) -> str:
    return ".".join(name.split(".")[:2])


def package_edges(*, allowed: dict = KNOWN_PACKAGE_EDGES) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for name, targets in graph().items():
        if not is_domain(name):
            continue
        for target in targets:
            pair = (package_of(name), package_of(target))
            if pair[0] != pair[1] and pair not in allowed:
                edges.setdefault(pair[0], set()).add(pair[1])
    return edges


def test_the_ious_services_import_no_circle():
    services = "ioudesk.ious.services"
    edges = {name: {t for t in targets if t.startswith(services)}
             for name, targets in graph().items() if name.startswith(services)}
    assert circles(edges) == []


def test_each_ious_service_imports_only_from_the_layers_below_it():
    services = "ioudesk.ious.services"
    layer_of = {f"{services}.{name}": depth for depth, layer in enumerate(SERVICE_LAYERS) for name in layer}
    assert set(layer_of) == {name for name in modules() if name.startswith(services + ".")}, \
        "a new services module: give it its layer here and in docs/architecture.md"
    upwards = {name: sorted(t for t in graph()[name] if t in layer_of and layer_of[t] <= layer_of[name])
               for name in layer_of}
    assert {name: found for name, found in upwards.items() if found} == {}


def test_the_domain_never_imports_an_interface():
    offending = {name: sorted(t for t in targets if is_interface(t))
                 for name, targets in graph().items() if is_domain(name) and any(is_interface(t) for t in targets)}
    assert offending == {}


def test_calc_imports_no_django_and_no_other_package():
    outside = {name: sorted(n for n in imported_names(name)
                            if n.split(".")[0] == "django" or (n.split(".")[0] == "ioudesk"
                                                               and not n.startswith("ioudesk.calc")))
               for name in modules() if name.startswith("ioudesk.calc") and not is_test(name)}
    assert {name: found for name, found in outside.items() if found} == {}


def test_the_packages_import_no_circle_beyond_the_known_ones():
    assert circles(package_edges()) == []


def test_the_circle_finder_finds_a_circle():
    # given a → b → c → a and d → a, then the one circle is a, b, c
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_no_two_domain_modules_import_each_other():
    """Within an app too (e.g. notify's channels ↔ sms, reminders' placeholders ↔ selectors): when two
    modules need each other, the shared part moves down into a module both import."""
    edges = {name: {t for t in targets if is_domain(t)} for name, targets in graph().items() if is_domain(name)}
    assert circles(edges) == []
