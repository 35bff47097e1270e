"""`omnistock --help` names every command, every option says what it does and its default, and
`--version` tells the installed version: other engineers' new options are held to it too."""

from __future__ import annotations

import argparse
import re

import pytest

from omnistock.cli import _parser, installed_version


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _commands_with_help(parser: argparse.ArgumentParser) -> dict[str, str | None]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return {choice.dest: choice.help for choice in action._choices_actions}
    return {}


def test_the_top_help_lists_every_command_with_a_sentence(capsys: pytest.CaptureFixture[str]) -> None:
    parser = _parser()
    with pytest.raises(SystemExit):
        parser.parse_args(["--help"])
    shown = capsys.readouterr().out

    commands = _commands_with_help(parser)
    assert set(commands) == set(_subparsers(parser))
    for name, sentence in commands.items():
        assert sentence, f"{name} has no help"
        assert re.search(rf"^\s+{re.escape(name)}(\s|$)", shown, re.MULTILINE), f"{name} not listed"


@pytest.mark.parametrize("command", sorted(_subparsers(_parser())))
def test_every_argument_of_every_command_has_help(command: str) -> None:
    sub = _subparsers(_parser())[command]
    missing = [
        action.dest
        for action in sub._actions
        if not isinstance(action, argparse._HelpAction) and not (action.help and action.help.strip())
    ]
    assert missing == [], f"omnistock {command}: no help for {missing}"


@pytest.mark.parametrize("command", sorted(_subparsers(_parser())))
def test_every_option_shows_its_default(command: str) -> None:
    sub = _subparsers(_parser())[command]
    formatter = sub._get_formatter()
    for action in sub._actions:
        if action.option_strings and not isinstance(action, argparse._HelpAction):
            shown = formatter._get_help_string(action) or ""  # what --help prints, before expansion
            assert "default" in shown, f"omnistock {command} {action.option_strings[-1]}: no default shown"


def test_version_prints_the_installed_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        _parser().parse_args(["--version"])

    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"omnistock {installed_version()}"
    assert installed_version()[0].isdigit()
