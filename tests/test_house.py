"""The shape of the house: rules a reviewer would otherwise check by hand."""

import ast
import inspect

from lms.extensions import db


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
