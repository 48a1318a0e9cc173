"""How the `bookings` command is put together: one handler an action, and the filter
flags made from BookingFilter's own fields."""

from __future__ import annotations

import argparse
from dataclasses import fields

import pytest

from bookings.cli import SUBJECTS, build_parser
from bookings.filters import BookingFilter

FILTERED = [("list",), ("summary",), ("export",)]

# The filter flags of shared/CLI.md (and --source-detail, added since): scripts use them.
CONTRACT_FLAGS = {
    "--created-from", "--created-to", "--visit-from", "--visit-to", "--staff", "--created-by",
    "--cancelled", "--status", "--client", "--service-category", "--booking-category",
    "--source", "--source-detail", "--payment", "--services", "--weekday", "--hour",
}


def subparser(path: tuple[str, ...]) -> argparse.ArgumentParser:
    parser = build_parser()
    for name in path:
        (actions,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        parser = actions.choices[name]
    return parser


def filter_flags(parser: argparse.ArgumentParser) -> dict[str, str]:
    """{flag: the attribute it fills} of the parser's "filters" group."""
    (group,) = [g for g in parser._action_groups if g.title == "filters"]
    return {flag: action.dest for action in group._group_actions
            for flag in action.option_strings}


@pytest.mark.parametrize("path", FILTERED, ids=" ".join)
def test_each_filter_field_has_a_flag_and_each_flag_a_field(path):
    flags = filter_flags(subparser(path))
    names = {f.name for f in fields(BookingFilter)}
    assert {"--" + name.replace("_", "-") for name in names} == set(flags)
    assert set(flags.values()) == names


@pytest.mark.parametrize("path", FILTERED, ids=" ".join)
def test_the_filter_flags_are_the_contracts(path):
    assert set(filter_flags(subparser(path))) == CONTRACT_FLAGS


def test_each_action_has_a_handler_of_its_own():
    """No handler serves several actions by looking at which one was asked for."""
    commands = [command for subject in SUBJECTS for command in subject.commands.commands]
    handlers = [command.handler for command in commands]
    assert len(set(handlers)) == len(handlers)
    assert len({command.path for command in commands}) == len(commands)
