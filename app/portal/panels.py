"""Home-page panels that other domains contribute without the portal importing them.

A domain registers ``register_panel("courses.assigned", provider, roles=("member",), order=10)``
where ``provider(user)`` returns ``(template_name, context)`` or ``None`` to show nothing. The home
page renders, in order, every panel whose roles the user holds; the template sees the context as
``panel``.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Panel:
    key: str
    provider: Callable
    roles: tuple[str, ...]
    order: int


_panels: dict[str, Panel] = {}


def register_panel(key: str, provider: Callable, roles: tuple[str, ...], order: int = 50) -> None:
    """Register (or replace, by ``key``) a home-page panel for users holding any of ``roles``."""
    _panels[key] = Panel(key, provider, tuple(roles), order)


def panels_for(user) -> list[tuple[str, dict]]:
    """``(template, context)`` of each panel ``user`` should see, in display order."""
    shown = []
    for panel in sorted(_panels.values(), key=lambda p: (p.order, p.key)):
        if not any(user.has_role(role) for role in panel.roles):
            continue
        rendered = panel.provider(user)
        if rendered is not None:
            shown.append(rendered)
    return shown
