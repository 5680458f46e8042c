"""What the verify commands of the hash-chained ledgers (``flask records verify``, ``flask points
verify``) print: one line per problem, naming the member and the entry, then the verdict."""

import sys
from collections.abc import Callable, Iterable

import click
from flask_babel import gettext as _


def echo_chain_problems(
    problems: Iterable,
    entry_label: Callable[[int], str],
    failed: Callable[[int], str],
    intact: str,
) -> None:
    """Print each problem (``user_id``, ``entry_id``, ``message``) to stderr and exit 1 if there was
    any; otherwise print ``intact``."""
    count = 0
    for problem in problems:
        count += 1
        target = entry_label(problem.entry_id) if problem.entry_id else _("（无记录号）")
        click.echo(
            _(
                "成员 %(id)s %(target)s: %(message)s",
                id=problem.user_id,
                target=target,
                message=problem.message,
            ),
            err=True,
        )
    if count:
        click.echo(failed(count), err=True)
        sys.exit(1)
    click.echo(intact)
