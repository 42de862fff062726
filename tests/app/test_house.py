"""The shape of the house: rules a reviewer would otherwise check by hand."""

import ast
import inspect
import re
from pathlib import Path

import pytest

from lms.extensions import db

#: the code's shape, read from its source and its mappers: the same on every backend
pytestmark = pytest.mark.one_database


def _commented_attributes(cls):
    """Names assigned in the class body whose line above is a ``#:`` comment."""
    source = inspect.getsource(cls)
    lines = source.splitlines()
    body = ast.parse(source).body[0].body
    names = set()
    for node in body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            target = node.targets[0] if isinstance(node, ast.Assign) else node.target
            if isinstance(target, ast.Name) and lines[node.lineno - 2].strip().startswith("#:"):
                names.add(target.id)
    return names


def test_every_column_and_relationship_says_what_it_holds():
    """Each mapped column and relationship has its ``#:`` line (indico's rule)."""
    missing = []
    for mapper in db.Model.registry.mappers:
        cls = mapper.class_
        commented = _commented_attributes(cls)
        for attr in mapper.column_attrs.keys() + mapper.relationships.keys():
            if attr in cls.__dict__ and attr not in commented:
                missing.append(f"{cls.__module__}.{cls.__name__}.{attr}")
    assert missing == [], "add a #: comment above " + ", ".join(sorted(missing))


# --- the floors of the house (STYLE.md §7) ----------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
#: the floor of each room, lowest first; a room imports from its own floor or below, never above.
#: Rooms on one floor with a decimal are ordered too (auth reads partners, catalog reads auth...).
FLOORS = {
    "config": 1,
    "lms.extensions": 1,
    "lms.course_types": 1,
    "lms.i18n": 1,
    "lms.web": 1,
    "courses": 2,
    "lms.core": 3,
    "lms.errors": 3,
    "lms.audit": 3,
    "lms.outbox": 3,
    "lms.jobs": 3,
    "lms.regions": 3,
    "lms.templating": 3,
    "lms.signals": 3,
    "lms.partners": 4.1,
    "lms.auth": 4.2,
    "lms.catalog": 4.3,
    "lms.users": 4.4,
    "lms.enrollment": 5.1,
    "lms.attendance": 5.2,
    "lms.certificates": 5.3,
    "lms.progress": 5.4,
    "lms.reports": 6,
    "lms.exports": 6,
    "lms.imports": 6,
    "lms.privacy": 6,
    "lms.backup": 6,
    "lms.ops": 6,
    "lms.api": 7,
    "lms.cli": 7,
    "lms.demo": 7,
    "lms.models": 7,
    "lms.pages": 7,
    "lms": 8,
}
#: the faces: the HTML pages (and the CLI of an area) are on floor 7 whatever their area, since
#: a page may show several areas' records; a face never imports another area's face
FACE_NAMES = ("views", "manage", "roster", "wellknown", "cli")
FACES = 7


def _module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _floor(module):
    """(room, floor) of a module: its room's floor, or the faces' floor for a page module."""
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        room = ".".join(parts[:n])
        if room in FLOORS:
            face = module != room and parts[-1] in FACE_NAMES and FLOORS[room] < FACES
            return room, FACES if face else FLOORS[room]
    return None, None


def _imports():
    """{module: {(imported module, line)}} of the project's own imports, lazy ones included."""
    found = {}
    for path in sorted((ROOT / "lms").rglob("*.py")) + sorted((ROOT / "courses").rglob("*.py")):
        module = _module_name(path)
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        targets = found.setdefault(module, set())
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    base = ".".join(up + ([node.module] if node.module else []))
                names = (
                    [f"{base}.{alias.name}" for alias in node.names] if not node.module else [base]
                )
                if node.module:
                    # "from lms.x import y" may import the module lms.x.y
                    names += [f"{base}.{alias.name}" for alias in node.names]
            else:
                continue
            for name in names:
                if name.split(".")[0] in ("lms", "courses", "config"):
                    targets.add((name, node.lineno))
    modules = set(found)
    resolved = {}
    for module, targets in found.items():
        resolved[module] = set()
        for name, line in targets:
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name and name != module:
                resolved[module].add((name, line))
    return resolved


def test_no_room_imports_from_a_floor_above_it():
    wrong = []
    for module, targets in _imports().items():
        room, floor = _floor(module)
        for target, line in sorted(targets):
            other, other_floor = _floor(target)
            if room is None or other is None or room == other:
                continue
            if other_floor > floor:
                wrong.append(f"{module}:{line} imports {target} (floor {other_floor} > {floor})")
            elif (
                floor == other_floor == FACES
                and target.rpartition(".")[2] in FACE_NAMES
                and room not in ("lms.cli", "lms")
            ):
                wrong.append(f"{module}:{line} imports another area's page {target}")
    assert wrong == [], "\n".join(wrong)


def test_no_import_cycle():
    graph = {m: {t for t, _line in targets} for m, targets in _imports().items()}
    graph.pop("lms", None)  # the factory imports every room inside create_app
    cycles, index, low, stack, on_stack = [], {}, {}, [], set()

    def visit(node):  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in graph:
                continue
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    assert cycles == [], cycles


#: what only the transaction boundary (lms/core/transaction.py) does
BOUNDARY_ONLY = re.compile(
    r"db\.session\.(?:commit|rollback)\(|except \(?(?:LmsError|InvalidInput|Conflict|NotFound"
    r"|Forbidden|Unauthorized)\b"
)


def test_pages_api_and_commands_leave_the_transaction_to_the_boundary():
    faces = [
        path
        for path in (ROOT / "lms").rglob("*.py")
        if path.stem in FACE_NAMES or path.parent.name == "api" or path.stem in ("cli", "demo")
    ]
    assert len(faces) > 20
    found = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in faces
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if BOUNDARY_ONLY.search(line)
    ]
    assert found == [], "\n".join(found)
