"""Helpers for the accounts tests."""

import re

_SLIP = re.compile(
    r'data-testid="slip-employee-no">([^<]+)</span>.*?data-testid="slip-code">([^<]+)</code>', re.S
)


def slip_codes(response) -> dict[str, str]:
    """Employee number → activation code, read off an activation slip page."""
    return dict(_SLIP.findall(response.get_data(as_text=True)))
