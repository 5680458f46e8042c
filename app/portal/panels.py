"""Home-page panels that other domains contribute without the portal importing them.

A domain registers ``register_panel("courses.assigned", provider, roles=("member",), order=10)``
where ``provider(user)`` returns ``(template_name, context)`` or ``None`` to show nothing. The home
page has one section per role the user holds (admin, coordinator, trainer, member, in that order);
each panel appears once, in the first of those sections whose role it was registered for, and the
panels of a section are rendered in ``order``. The template sees the context as ``panel``.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

#: The home page's sections, top to bottom.
SECTION_ROLES = ("admin", "coordinator", "trainer", "member")


@dataclass(frozen=True)
class Panel:
    key: str
    provider: Callable
    roles: tuple[str, ...]
    order: int


@dataclass
class Section:
    role: str
    #: ``(template, context)`` of each panel, in display order.
    panels: list[tuple[str, dict]] = field(default_factory=list)
    #: Keys of the panels shown, so the page can tell which domains contributed.
    keys: list[str] = field(default_factory=list)


_panels: dict[str, Panel] = {}


def register_panel(key: str, provider: Callable, roles: tuple[str, ...], order: int = 50) -> None:
    """Register (or replace, by ``key``) a home-page panel for users holding any of ``roles``."""
    _panels[key] = Panel(key, provider, tuple(roles), order)


def _ordered() -> list[Panel]:
    return sorted(_panels.values(), key=lambda p: (p.order, p.key))


def panels_for(user) -> list[tuple[str, dict]]:
    """``(template, context)`` of each panel ``user`` should see, in display order."""
    return [panel for section in sections_for(user) for panel in section.panels]


def sections_for(user) -> list[Section]:
    """The home page's sections for ``user``: one per role held, each with its panels."""
    sections = [Section(role) for role in SECTION_ROLES if user.has_role(role)]
    by_role = {s.role: s for s in sections}
    for panel in _ordered():
        section = next((by_role[r] for r in SECTION_ROLES if r in panel.roles and r in by_role), None)
        if section is None:
            continue
        rendered = panel.provider(user)
        if rendered is not None:
            section.panels.append(rendered)
            section.keys.append(panel.key)
    return sections
