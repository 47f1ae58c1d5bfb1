"""TAP lines for the Python tests, which tests/run.sh counts.

    from tap import check, status
    check(ok, 'what is asserted', detail)   # prints "ok N - ..." or "not ok N - ..."
    sys.exit(status())                      # 1 if any check failed
"""

_count = 0
_failed = 0


def check(ok, what, detail='', last=False):
    """One TAP line; on failure up to 20 lines of detail (the last 20 with last=True)."""
    global _count, _failed
    _count += 1
    _failed += not ok
    print(f'{"ok" if ok else "not ok"} {_count} - {what}')
    if not ok and detail:
        lines = str(detail).splitlines()
        for line in (lines[-20:] if last else lines[:20]):
            print('#   ' + line)
    return ok


def status():
    return 1 if _failed else 0
