"""Fast start-up for the command line: command groups imported on use, and typer's help
formatter without Markdown.

``psoreg --help`` must answer in a fraction of a second (issue 11). Two costs are avoided here,
neither of which changes a character of any output:

- **Command groups on use.** Each group module (``psoreg cases``, ``psoreg signals``, ...)
  defines dozens of commands, and typer inspects every command's signature when it builds the
  command line. :func:`lazy_group_class` makes the top-level group list those groups by the name
  and help registered in ``psoreg.cli.LAZY_GROUPS``, and import and build one only when a command
  line names it (to run it, show its help or complete it).
- **No Markdown parser or syntax highlighter for help.** ``typer.rich_utils`` (the help
  formatter) imports ``rich.markdown`` (markdown-it) and ``rich.traceback`` (Pygments) at its top,
  50-100 ms, for the ``"markdown"`` markup mode (psoreg uses ``"rich"``) and for tracebacks.
  :func:`defer_rich_markdown` stands each in as a small module that imports the real one the
  first time anything in it is used.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

import typer
import typer.core

MARKUP = "rich"  # psoreg's help markup mode (typer's rich_markup_mode), for every group


class _Unloaded(typer.core.TyperGroup):
    """A command group listed in the help whose module has not been imported yet."""


def load_group(name: str, module: str, attr: str, help_: str) -> typer.core.TyperGroup:
    """The click group of the Typer app ``module.attr``, built as ``app.add_typer(app, name=name,
    help=help_)`` on psoreg's app builds it."""
    holder = typer.Typer(rich_markup_mode=MARKUP, pretty_exceptions_show_locals=False)
    holder.add_typer(getattr(importlib.import_module(module), attr), name=name, help=help_)
    group = typer.main.get_command(holder)
    assert isinstance(group, typer.core.TyperGroup)
    return group.commands[name]  # type: ignore[return-value]


def lazy_group_class(groups: dict[str, tuple[str, str, str]]) -> type[typer.core.TyperGroup]:
    """A top-level group class that lists ``groups`` (name -> (module, Typer app attribute,
    help)) after its own commands and imports one when a command line names it."""

    class LazyGroups(typer.core.TyperGroup):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            for name, (_module, _attr, help_) in groups.items():
                self.commands[name] = _Unloaded(name=name, help=help_, rich_markup_mode=MARKUP)

        def resolve_command(self, ctx: Any, args: list[str]) -> Any:
            # click resolves the group a command line names here (to run it, show its help or
            # complete it); listing the commands in the help reads self.commands only
            if args and isinstance(self.commands.get(args[0]), _Unloaded):
                self.commands[args[0]] = load_group(args[0], *groups[args[0]])
            return super().resolve_command(ctx, args)

    return LazyGroups


#: What typer's help formatter imports at its top but uses only for the ``"markdown"`` markup
#: mode and for pretty tracebacks: module -> the class it takes from it.
DEFERRED = {"rich.markdown": "Markdown", "rich.traceback": "Traceback"}


class _DeferredModule(types.ModuleType):
    """A module of :data:`DEFERRED` until something in it is used: then the real module
    replaces it in ``sys.modules``."""

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):  # the import system's probes (__path__, ...) load nothing
            raise AttributeError(attr)
        return getattr(_real_module(self.__name__), attr)


def _real_module(name: str) -> types.ModuleType:
    if isinstance(sys.modules.get(name), _DeferredModule):
        del sys.modules[name]
    return importlib.import_module(name)


class _DeferredClass(type):
    """The class of a stand-in for a class of a deferred module: calling the stand-in makes an
    instance of the real class, and its other attributes (``Traceback.from_exception``) are the
    real class's."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        return cls._real()(*args, **kwargs)

    def __getattr__(cls, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        return getattr(cls._real(), attr)

    def _real(cls) -> Any:
        return getattr(_real_module(cls.__module__), cls.__name__)


class _DeferFinder:
    """A ``sys.meta_path`` finder that finds nothing: just before ``typer.rich_utils`` is
    imported, it stands the modules of :data:`DEFERRED` in (those not imported yet)."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> None:
        if fullname == "typer.rich_utils":
            for module, name in DEFERRED.items():
                if module not in sys.modules:
                    stub = _DeferredModule(module)
                    setattr(stub, name, _DeferredClass(name, (), {"__module__": module}))
                    sys.modules[module] = stub
                    parent, _, child = module.rpartition(".")
                    setattr(importlib.import_module(parent), child, stub)  # as an import does
        return None  # the import itself goes on as usual


def defer_rich_markdown() -> None:
    """Keep ``typer.rich_utils`` from importing ``rich.markdown`` and ``rich.traceback`` (see the
    module docstring)."""
    if "typer.rich_utils" not in sys.modules and not any(
        isinstance(f, _DeferFinder) for f in sys.meta_path
    ):
        sys.meta_path.insert(0, _DeferFinder())  # type: ignore[arg-type]
