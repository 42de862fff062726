"""PostgreSQL driver settings applied once per process."""

import sys


def resolve_psycopg_dumpers():
    """Resolve psycopg's dumpers registered by type name, once, before any thread queries.

    psycopg (before 3.3.2) swaps a type's name for the type itself on the first value of that
    type it adapts, and the swap is not thread-safe: two threads sending their first date at the
    same moment can fail with "cannot adapt type 'date'" (psycopg issue #1230). Doing every swap
    here, while the process is still single-threaded, leaves nothing to race over. Only modules
    already imported are looked at (nothing is imported for it).
    """
    try:
        from psycopg import adapters
        from psycopg.adapt import PyFormat
    except ImportError:  # pragma: no cover (psycopg is a requirement)
        return
    for fmt in (PyFormat.AUTO, PyFormat.TEXT, PyFormat.BINARY):
        names = [key for key in list(adapters._dumpers.get(fmt, {})) if isinstance(key, str)]
        for name in names:
            module_name, _dot, qualname = name.rpartition(".")
            module = sys.modules.get(module_name)
            target = module
            for part in qualname.split("."):
                target = getattr(target, part, None)
            if isinstance(target, type):
                adapters.get_dumper(target, fmt)
