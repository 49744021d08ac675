"""How a long loop says how far it is, to whoever shows it (the CLI's bar): a plain callable."""

from __future__ import annotations

from collections.abc import Callable

# Called with the work done so far and, when the loop knows it, the whole of it (else None).
Progress = Callable[[int, int | None], None]
