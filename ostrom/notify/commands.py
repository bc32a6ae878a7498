"""The SMS commands notify itself answers: HELP, STOP, START, YES <code> and NO <code>. Other apps register
theirs (BAL, PAY, …) the same way from their ``AppConfig.ready``.

STOP and START are acted on before any command is dispatched (see ``actions.inbound``), even for numbers we do
not know; they are registered too so that HELP lists them and the parser forgives a typo in them."""

from __future__ import annotations

from ostrom.notify import registry
from ostrom.notify.actions import inbound
from ostrom.notify.domain.sms_commands import ArgKind, ArgSpec, CommandSpec, ParsedCommand, help_text
from ostrom.notify.registry import SmsCommand, SmsContext, SmsReply

HELP = CommandSpec("HELP", aliases=("COMMANDS", "MENU"), summary="list the commands")
STOP = CommandSpec("STOP", summary="stop all texts")
START = CommandSpec("START", summary="turn texts back on")
YES = CommandSpec("YES", args=(ArgSpec("code", ArgKind.CODE),), summary="confirm a request")
NO = CommandSpec("NO", args=(ArgSpec("code", ArgKind.CODE),), summary="cancel a request")


def answer_help(context: SmsContext, command: ParsedCommand) -> SmsReply:
    if context.member is None:
        return SmsReply(inbound.JOIN_TEXT)
    return SmsReply(help_text(registry.command_specs()))


def answer_stop(context: SmsContext, command: ParsedCommand) -> SmsReply:
    inbound.opt_out(context.phone)
    return SmsReply(inbound.STOPPED_TEXT)


def answer_start(context: SmsContext, command: ParsedCommand) -> SmsReply:
    inbound.opt_in(context.phone)
    return SmsReply(inbound.STARTED_TEXT)


def answer_yes(context: SmsContext, command: ParsedCommand) -> SmsReply:
    return SmsReply(_answer_code(context, command.args["code"], accept=True))


def answer_no(context: SmsContext, command: ParsedCommand) -> SmsReply:
    return SmsReply(_answer_code(context, command.args["code"], accept=False))


def _answer_code(context: SmsContext, code: str, *, accept: bool) -> str:
    """An app's own code first (registry.register_code_answerer), then the confirmations notify stored."""
    for answer in registry.code_answerers():
        reply = answer(context, code, accept)
        if reply is not None:
            return reply
    return inbound.resolve_confirmation(context, code, accept=accept)


def register() -> None:
    """Add notify's commands to the registry; safe to call twice (a second registration replaces the first)."""
    registry.register_command(SmsCommand(HELP, answer_help, needs_member=False))
    registry.register_command(SmsCommand(STOP, answer_stop, needs_member=False))
    registry.register_command(SmsCommand(START, answer_start, needs_member=False))
    registry.register_command(SmsCommand(YES, answer_yes))
    registry.register_command(SmsCommand(NO, answer_no))
